"""A program template's rules, checked when one of its planned sessions is placed.

`program_context_load` reads an enrollment's plan, its template rules and its active bookings in a
fixed number of queries; `program_violations` then judges a placement in pure Python, so the
search and whole-program booking can try many placements cheaply. Every interval is elapsed time.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Prefetch

from programs.choices import Medication, SessionKind
from programs.models import Enrollment, PlannedSession, StaffNeed, TemplateRule
from sessions.availability import Need, Shape, Violation
from sessions.models import Session

Rule = TemplateRule.Kind


@dataclass
class Booked:
    start: dt.datetime
    block_end: dt.datetime
    session_id: int | None


@dataclass(frozen=True, slots=True)
class PlannedInfo:
    """The fields of a planned session the rules read, as plain values (model attribute access is
    slow enough to matter when a search checks thousands of starts)."""

    pk: int
    kind: str
    step_id: int
    sequence: int
    status: str
    linked_dosing_id: int | None
    window_min: dt.timedelta | None
    window_max: dt.timedelta | None
    telehealth_allowed: bool


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A template rule's fields as plain values: a foreign key's id on a model is a descriptor call,
    and the search reads every rule for every start it tries."""

    kind: str
    step_id: int | None
    min_interval: dt.timedelta | None
    max_interval: dt.timedelta | None
    max_count: int | None
    period: dt.timedelta | None

    @classmethod
    def of(cls, rule: TemplateRule) -> RuleInfo:
        return cls(rule.kind, rule.step_id, rule.min_interval, rule.max_interval, rule.max_count, rule.period)


@dataclass
class ProgramContext:
    enrollment: Enrollment
    planned: dict[int, PlannedSession]
    rules: list[TemplateRule]
    booked: dict[int, Booked] = field(default_factory=dict)  # planned session id -> its active booking
    info: dict[int, PlannedInfo] = field(default_factory=dict)
    rule_info: tuple[RuleInfo, ...] = ()
    # Lists the rules derive from the plan and its bookings, kept until a booking is placed or
    # released (`place` and `release` clear it): the search judges hundreds of starts in between.
    derived: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.info = {
            p.pk: PlannedInfo(
                p.pk,
                p.kind,
                p.step_id,
                p.sequence,
                p.status,
                p.linked_dosing_id,
                p.window_min,
                p.window_max,
                p.step.telehealth_allowed,
            )
            for p in self.planned.values()
        }
        self.rule_info = tuple(RuleInfo.of(r) for r in self.rules)
        self.derived = {}

    def place(self, planned_id: int, start: dt.datetime, block_end: dt.datetime, session_id: int | None) -> None:
        self.booked[planned_id] = Booked(start, block_end, session_id)
        self.derived.clear()

    def release(self, planned_id: int) -> None:
        self.booked.pop(planned_id, None)
        self.derived.clear()

    def fork(self) -> ProgramContext:
        """A copy whose bookings can change without touching this one (the plan and rules are shared)."""
        return ProgramContext(
            enrollment=self.enrollment, planned=self.planned, rules=self.rules, booked=dict(self.booked)
        )


def program_context_load(*, enrollment: Enrollment, exclude_session_ids=()) -> ProgramContext:
    """Plan (with steps and staff needs), rules and active bookings of the enrollment: four queries."""
    planned = {
        p.pk: p
        for p in PlannedSession.objects.filter(enrollment=enrollment)
        .select_related("step")
        .prefetch_related(
            Prefetch("step__staff_needs", queryset=StaffNeed.objects.order_by("start_offset_minutes", "role"))
        )
        .order_by("sequence")
    }
    for p in planned.values():
        p.enrollment = enrollment  # what booking and its receivers read, without one query per session
    rules = list(TemplateRule.objects.filter(template_id=enrollment.template_id).order_by("id"))
    ctx = ProgramContext(enrollment=enrollment, planned=planned, rules=rules)
    rows = (
        Session.objects.filter(planned_session_id__in=list(planned), active=True)
        .exclude(pk__in=list(exclude_session_ids))
        .values_list("planned_session_id", "block_starts_at", "block_ends_at", "pk")
    )
    for planned_id, start, end, sid in rows:
        ctx.place(planned_id, start, end, sid)
    return ctx


def planned_shape(planned: PlannedSession, *, telehealth: bool = False) -> Shape:
    step = planned.step
    needs = tuple(
        Need(
            n.role,
            n.mode,
            dt.timedelta(minutes=n.start_offset_minutes),
            dt.timedelta(minutes=n.end_offset_minutes),
        )
        for n in step.staff_needs.all()
    )
    return Shape(
        kind=step.kind,
        session_minutes=step.session_minutes,
        block_minutes=step.block_minutes,
        needs=needs,
        room_kind="" if telehealth else step.room_kind,
        room_capability="" if telehealth else step.room_capability,
        telehealth=telehealth,
        requires_rems=step.medication == Medication.ESKETAMINE,
    )


def _called(c: _Candidate, planned_id: int) -> str:
    return c.ctx.planned[planned_id].ordinal_name


def _local(c: _Candidate, at: dt.datetime) -> str:
    return f"{at.astimezone(c.ctx.enrollment.clinic.tz):%A %d %B %Y, %H:%M}"


def _fmt(value: dt.timedelta) -> str:
    hours = value.total_seconds() / 3600
    return f"{hours:g} h"


@dataclass(slots=True)
class _Candidate:
    """One placement being judged: the planned session `me` at [start, block_end). (Not frozen:
    one is built for every start a search judges, and a frozen one costs a call per field.)"""

    ctx: ProgramContext
    me: PlannedInfo
    start: dt.datetime
    block_end: dt.datetime

    def dosing_starts(self, step_id: int | None) -> list[tuple[int, dt.datetime]]:
        """(planned id, start) of the other booked dosing sessions, of `step_id` when given."""
        key = ("dosing_starts", self.me.pk, step_id)
        found = self.ctx.derived.get(key)
        if found is None:
            info = self.ctx.info
            found = self.ctx.derived[key] = [
                (pid, b.start)
                for pid, b in self.ctx.booked.items()
                if pid != self.me.pk
                and info[pid].kind == SessionKind.DOSING
                and (step_id is None or info[pid].step_id == step_id)
            ]
        return found

    def dosing_times(self, step_id: int | None) -> list[dt.datetime]:
        """The starts of `dosing_starts`, in order."""
        key = ("dosing_times", self.me.pk, step_id)
        found = self.ctx.derived.get(key)
        if found is None:
            found = self.ctx.derived[key] = sorted(start for _pid, start in self.dosing_starts(step_id))
        return found

    def preparations(self, step_id: int | None) -> list[PlannedInfo]:
        """The plan's preparation sessions not cancelled (those of `step_id` when given)."""
        key = ("preparations", step_id)
        found = self.ctx.derived.get(key)
        if found is None:
            found = self.ctx.derived[key] = [
                i
                for i in self.ctx.info.values()
                if (i.step_id == step_id if step_id else i.kind == SessionKind.PREPARATION)
                and i.status != PlannedSession.Status.CANCELLED
            ]
        return found


_ZERO = dt.timedelta(0)


def _prep_before_first_dosing(rule: RuleInfo, c: _Candidate) -> list[Violation]:
    """Every preparation ends (plus the rule's gap) before the first dosing starts."""
    gap = rule.min_interval or _ZERO
    me, booked = c.me, c.ctx.booked
    preps = c.preparations(rule.step_id)
    violations = []
    if me.kind == SessionKind.DOSING:
        for prep in preps:
            if prep.status == PlannedSession.Status.COMPLETED:
                continue
            b = booked.get(prep.pk)
            if b is None:
                violations.append(
                    Violation(
                        "prep_before_first_dosing",
                        "starts_at",
                        lambda pk=prep.pk: f"{_called(c, pk).capitalize()} must be booked before any dosing session.",
                    )
                )
            elif b.block_end + gap > c.start:
                violations.append(
                    Violation(
                        "prep_before_first_dosing",
                        "starts_at",
                        lambda pk=prep.pk, start=b.start: (
                            f"{_called(c, pk).capitalize()} ({_local(c, start)}) must end "
                            f"{f'at least {_fmt(gap)} ' if gap else ''}before the dosing session starts."
                        ),
                    )
                )
    elif any(p.pk == me.pk for p in preps):
        first = min((s for _, s in c.dosing_starts(None)), default=None)
        if first is not None and c.block_end + gap > first:
            violations.append(
                Violation(
                    "prep_before_first_dosing",
                    "starts_at",
                    f"A preparation session must end {f'at least {_fmt(gap)} ' if gap else ''}"
                    "before the first dosing session.",
                )
            )
    return violations


def _prep_gap_judges(rule: RuleInfo, i: PlannedInfo) -> bool:
    """The preparation gap judges the rule's step when it names one, else every preparation."""
    return i.step_id == rule.step_id if rule.step_id else i.kind == SessionKind.PREPARATION


def _prep_min_gap(rule: RuleInfo, c: _Candidate) -> list[Violation]:
    """Preparation sessions (of the rule's step, else all) start at least the rule's interval apart."""
    me, info = c.me, c.ctx.info
    if not _prep_gap_judges(rule, me):
        return []
    gap = rule.min_interval or _ZERO
    return [
        Violation(
            "prep_min_gap",
            "starts_at",
            lambda pid=pid, start=b.start: (
                f"Preparation sessions must start at least {_fmt(gap)} apart ({_called(c, pid)}, {_local(c, start)})."
            ),
        )
        for pid, b in c.ctx.booked.items()
        if pid != me.pk and _prep_gap_judges(rule, info[pid]) and abs(b.start - c.start) < gap
    ]


def _integration_window(rule: RuleInfo, c: _Candidate) -> list[Violation]:
    """An integration starts inside its window after its dosing block; moving a dosing session
    must keep its booked integrations inside theirs."""
    me, info, booked = c.me, c.ctx.info, c.ctx.booked
    low, high = rule.min_interval or _ZERO, rule.max_interval
    violations = []
    if me.linked_dosing_id and (rule.step_id is None or rule.step_id == me.step_id):
        low = me.window_min if me.window_min is not None else low
        high = me.window_max if me.window_max is not None else high
        dosing = booked.get(me.linked_dosing_id)
        if dosing is None:
            violations.append(
                Violation(
                    "integration_window",
                    "starts_at",
                    lambda: f"{_called(c, me.pk).capitalize()} needs {_called(c, me.linked_dosing_id)} booked first.",
                )
            )
        else:
            elapsed = c.start - dosing.block_end
            if elapsed < low or (high is not None and elapsed > high):
                violations.append(
                    Violation(
                        "integration_window",
                        "starts_at",
                        lambda low=low, high=high: (
                            f"{_called(c, me.pk).capitalize()} must start {_fmt(low)} to "
                            f"{_fmt(high) if high is not None else 'any time'} after its dosing block ends."
                        ),
                    )
                )
    elif me.kind == SessionKind.DOSING:
        # Moving a dosing session moves the window of the integration that follows it.
        for pid, b in booked.items():
            follower = info[pid]
            if follower.linked_dosing_id != me.pk or (rule.step_id and rule.step_id != follower.step_id):
                continue
            f_low = follower.window_min if follower.window_min is not None else low
            f_high = follower.window_max if follower.window_max is not None else high
            elapsed = b.start - c.block_end
            if elapsed < f_low or (f_high is not None and elapsed > f_high):
                violations.append(
                    Violation(
                        "integration_window",
                        "starts_at",
                        lambda pid=pid, start=b.start, f_low=f_low, f_high=f_high: (
                            f"Its {_called(c, pid)} ({_local(c, start)}) would fall "
                            f"outside its window of {_fmt(f_low)} to {_fmt(f_high) if f_high else 'any time'}."
                        ),
                    )
                )
    return violations


def _dosing_rule_judges(rule: RuleInfo, me: PlannedInfo) -> bool:
    """Dosing rules judge dosing sessions only, of the rule's step when it names one."""
    return me.kind == SessionKind.DOSING and (rule.step_id is None or rule.step_id == me.step_id)


def _dosing_min_gap(rule: RuleInfo, c: _Candidate) -> list[Violation]:
    if not _dosing_rule_judges(rule, c.me):
        return []
    gap = rule.min_interval or _ZERO
    return [
        Violation(
            "dosing_min_gap",
            "starts_at",
            lambda pid=pid, other=other: (
                f"Dosing sessions must start at least {_fmt(gap)} apart ({_called(c, pid)}, {_local(c, other)})."
            ),
        )
        for pid, other in c.dosing_starts(rule.step_id)
        if abs(other - c.start) < gap
    ]


def _dosing_weekly_cap(rule: RuleInfo, c: _Candidate) -> list[Violation]:
    if not _dosing_rule_judges(rule, c.me):
        return []
    period, cap = rule.period or dt.timedelta(days=7), rule.max_count or 0
    start = c.start
    others = c.dosing_times(rule.step_id)
    # The fullest rolling window that holds the new start begins at one of the starts: the new one,
    # or another in (start - period, start]. Each window holds the new start and the others in it.
    anchors = others[bisect.bisect_right(others, start - period) : bisect.bisect_right(others, start)]
    for anchor in (start, *anchors):
        if 1 + bisect.bisect_left(others, anchor + period) - bisect.bisect_left(others, anchor) > cap:
            return [
                Violation("dosing_weekly_cap", "starts_at", f"At most {cap} dosing sessions in any {period.days} days.")
            ]
    return []


# One checker per rule kind. A kind without one constrains nothing at booking time (booster_due is
# a follow-up the engine plans, not a placement rule).
RULE_CHECKERS: dict[str, Callable[[RuleInfo, _Candidate], list[Violation]]] = {
    Rule.PREP_BEFORE_FIRST_DOSING: _prep_before_first_dosing,
    Rule.PREP_MIN_GAP: _prep_min_gap,
    Rule.INTEGRATION_WINDOW: _integration_window,
    Rule.DOSING_MIN_GAP: _dosing_min_gap,
    Rule.DOSING_WEEKLY_CAP: _dosing_weekly_cap,
}


def program_violations(
    ctx: ProgramContext,
    planned: PlannedSession,
    start: dt.datetime,
    block_end: dt.datetime,
    *,
    telehealth: bool = False,
) -> list[Violation]:
    """Every template rule the placement of `planned` at [start, block_end) would break, in the
    order of the template's rules.

    Pure Python over plain values (`ctx.info`): the search calls it for every candidate start.
    """
    candidate = _Candidate(ctx, ctx.info[planned.pk], start, block_end)
    violations: list[Violation] = []
    if telehealth and not candidate.me.telehealth_allowed:
        violations.append(Violation("telehealth_not_allowed", "telehealth", "This step must be held in person."))
    for rule, checker in _checks_for(ctx, candidate.me):
        violations.extend(checker(rule, candidate))
    return violations


def _checks_for(ctx: ProgramContext, me: PlannedInfo) -> list[tuple[RuleInfo, Callable]]:
    """The template's rules, with their checkers, that can judge `me` at all, in the template's order.

    A dosing rule never judges a preparation or an integration, nor the preparation gap anything but
    a preparation, whatever the time: the search skips them instead of calling them for every start.
    """
    key = ("checks", me.pk)
    found = ctx.derived.get(key)
    if found is None:
        found = []
        for rule in ctx.rule_info:
            checker = RULE_CHECKERS.get(rule.kind)
            if checker is None:
                continue
            if rule.kind in (Rule.DOSING_MIN_GAP, Rule.DOSING_WEEKLY_CAP) and not _dosing_rule_judges(rule, me):
                continue
            if rule.kind == Rule.PREP_MIN_GAP and not _prep_gap_judges(rule, me):
                continue
            found.append((rule, checker))
        ctx.derived[key] = found
    return found
