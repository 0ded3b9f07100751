"""Availability search: feasible options (start, room, staff) for one session, best first.

Loads one calendar for its first days, and one for the rest of the range only when those do not
settle the answer (a fixed handful of queries each, however long the range), and tries candidate
starts on the clinic's slot grid. Preferences only rank here: every feasible option
is eligible, those matching more preferences first, then the earliest.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kat_clinic.errors import RuleViolation
from kat_clinic.models import Clinic, Patient
from programs.models import PlannedSession
from sessions.availability import Need, Shape
from sessions.calendar_loading import calendar_load
from sessions.placement import NO_PREFERENCES, Finder, Option, Preferences, slot_starts
from sessions.program_rules import planned_shape, program_context_load, program_violations
from sessions.timeutil import local_to_aware

MAX_SEARCH_DAYS = 62


def _check_range(date_from: dt.date, date_to: dt.date) -> None:
    if date_to < date_from or (date_to - date_from).days > MAX_SEARCH_DAYS:
        raise RuleViolation(
            f"Search between 1 and {MAX_SEARCH_DAYS} days.",
            code="search_range",
            errors={"date_to": [f"Must be on or after date_from and at most {MAX_SEARCH_DAYS} days later."]},
        )


def availability_search(
    *,
    clinic: Clinic,
    patient: Patient,
    shape: Shape,
    date_from: dt.date,
    date_to: dt.date,
    prefs: Preferences = NO_PREFERENCES,
    planned: PlannedSession | None = None,
    limit: int = 10,
    now: dt.datetime | None = None,
) -> list[dict]:
    """Feasible options (start, room, staff) between two local dates inclusive, best first.

    Every rule of booking holds for each option (availability, licences, rooms, program rules of
    `planned`). About a dozen queries, whatever the range.
    """
    _check_range(date_from, date_to)
    now = now or timezone.now()
    tz = clinic.tz
    start = max(local_to_aware(date_from, dt.time(0), tz), now)
    end = local_to_aware(date_to + dt.timedelta(days=1), dt.time(0), tz)
    ctx = program_context_load(enrollment=planned.enrollment) if planned is not None else None
    search = _Search(clinic, patient, shape, prefs, planned, ctx, limit)
    first_days_end = local_to_aware(date_from + dt.timedelta(days=FIRST_DAYS), dt.time(0), tz)
    if start < first_days_end < end:
        if search.settled_over(start, first_days_end):
            return search.answer()
        start = first_days_end  # the rest of the range, after the starts tried
    search.settled_over(start, end)
    return search.answer()


# The days a search reads first: most searches find their answer there, and a calendar read for
# the whole range (a week, or up to `MAX_SEARCH_DAYS`) costs its rows and its expansion for nothing.
# A search they do not settle reads the rest of its range and goes on from there.
FIRST_DAYS = 2


class _Search:
    """The search of one shape, its range tried in parts, each against a calendar read for it.

    Each start's placement reads the calendar of its own block and day only (rooms, people, hours,
    closures and bookings over that block; licences and REMS certification on that day), so a
    start is judged alike against any calendar read for a range holding its block."""

    def __init__(self, clinic, patient, shape, prefs, planned, ctx, limit) -> None:
        self.clinic, self.patient, self.shape, self.prefs = clinic, patient, shape, prefs
        self.planned, self.ctx, self.limit = planned, ctx, limit
        self.options: list[Option] = []
        self.at_best = 0

    def settled_over(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Tries the starts in [start, end) (after those tried before), against a calendar read for
        them; whether the answer is settled: `limit` options score the best any can, so no later
        start can enter it (without preferences, every option scores that best)."""
        shape, planned, ctx = self.shape, self.planned, self.ctx
        cal = calendar_load(
            clinic=self.clinic, start=start, end=end + shape.block, patient_ids=[self.patient.pk], shape=shape
        )
        finder = Finder(cal, shape, self.patient.pk, self.prefs)
        best = finder.best_possible_score()
        for t in slot_starts(cal, start, end, cal.slot):
            if ctx is not None and program_violations(ctx, planned, t, t + shape.block, telehealth=shape.telehealth):
                continue
            option = finder.place(t)
            if option is not None:
                self.options.append(option)
                self.at_best += option.score == best
                if self.at_best >= self.limit:
                    return True
        return False

    def answer(self) -> list[dict]:
        """The first `limit` options found, by (best score, earliest start)."""
        options = sorted(self.options, key=lambda o: (-o.score, o.placement.starts_at))
        return [o.as_dict(self.clinic.tz) for o in options[: self.limit]]


def search_shape(
    *,
    clinic: Clinic,
    patient: Patient,
    planned: PlannedSession | None,
    telehealth: bool,
    kind: str | None = None,
    session_minutes: int | None = None,
    block_minutes: int | None = None,
    needs: list[tuple[str, str]] = (),
    room_kind: str = "",
    room_capability: str = "",
) -> Shape:
    """What to search for: a planned session's shape (its step), or an ad-hoc one from its parts,
    each need spanning the whole block. 422 when the planned session is another patient's or clinic's."""
    if planned is not None:
        if planned.enrollment.clinic_id != clinic.pk or planned.enrollment.patient_id != patient.pk:
            raise RuleViolation(
                "The planned session belongs to another patient or clinic.",
                code="planned_session_mismatch",
                errors={"planned_session": ["Not a planned session of this patient at this clinic."]},
            )
        return planned_shape(planned, telehealth=telehealth)
    block = dt.timedelta(minutes=block_minutes)
    return Shape(
        kind=kind,
        session_minutes=session_minutes,
        block_minutes=block_minutes,
        needs=tuple(Need(role, mode, dt.timedelta(0), block) for role, mode in needs),
        room_kind=room_kind,
        room_capability=room_capability,
        telehealth=telehealth,
    )
