"""Validation of a template, in two stages.

- On save (`validate_for_save`): every step, staff need, rule, prerequisite and scale item must make
  sense on its own (durations > 0, a block covering its session, a window that ends after it
  starts, a role that exists, a gap the weekly cap can satisfy...).
- On publish (`validate_for_publish`): the save checks again, then the whole must be complete (an
  integration step has a dosing step before it and a window rule, dosing steps say what is given
  and are gated by prerequisites, the measurement schedule names known scales).

Both work on a *spec*: plain dicts in the shape the API accepts (see `programs.services`), so
the same code checks a request body before anything is written and a stored template before it is
published. Errors are keyed by dotted paths (`steps.1.block_minutes`), one list of messages each.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from kat_clinic.models import Room
from kat_clinic.roles import Role
from programs.choices import Medication, Pathway, Route, Scale, SessionKind, StaffMode
from programs.models import ScaleScheduleItem, TemplatePrerequisite, TemplateRule, TemplateStep

Errors = dict[str, list[str]]
ZERO = dt.timedelta(0)
# Longer than any protocol; keeps interval arithmetic far from timedelta's limits.
MAX_INTERVAL = dt.timedelta(days=3650)

# Which rule kinds need which fields, and what kind of step they may point at.
RULE_STEP_KINDS: dict[str, frozenset[str]] = {
    TemplateRule.Kind.PREP_BEFORE_FIRST_DOSING: frozenset({SessionKind.PREPARATION}),
    TemplateRule.Kind.PREP_MIN_GAP: frozenset({SessionKind.PREPARATION}),
    TemplateRule.Kind.INTEGRATION_WINDOW: frozenset({SessionKind.INTEGRATION}),
    TemplateRule.Kind.DOSING_MIN_GAP: frozenset({SessionKind.DOSING}),
    TemplateRule.Kind.DOSING_WEEKLY_CAP: frozenset({SessionKind.DOSING}),
    TemplateRule.Kind.BOOSTER_DUE: frozenset({SessionKind.DOSING}),
}
RULES_NEEDING_STEP = frozenset({TemplateRule.Kind.INTEGRATION_WINDOW, TemplateRule.Kind.BOOSTER_DUE})


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _minutes(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _human(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours % 24 == 0:
        return f"{int(hours // 24)} day(s)"
    return f"{hours:g} h"


def _check_choice(errors: Errors, field: str, value: Any, choices, what: str, *, blank_ok: bool = False) -> bool:
    if blank_ok and value in ("", None):
        return True
    if value not in choices.values:
        _add(errors, field, f"{value!r} is not a known {what}.")
        return False
    return True


def _validate_step(errors: Errors, i: int, step: dict) -> None:
    p = f"steps.{i}"
    _check_choice(errors, f"{p}.phase", step.get("phase"), TemplateStep.Phase, "phase")
    _check_choice(errors, f"{p}.kind", step.get("kind"), SessionKind, "session kind")
    _check_choice(errors, f"{p}.room_kind", step.get("room_kind", ""), Room.Kind, "room kind", blank_ok=True)
    _check_choice(
        errors,
        f"{p}.room_capability",
        step.get("room_capability", ""),
        Room.Capability,
        "room capability",
        blank_ok=True,
    )
    _check_choice(errors, f"{p}.medication", step.get("medication", ""), Medication, "medication", blank_ok=True)
    _check_choice(errors, f"{p}.route", step.get("route", ""), Route, "route", blank_ok=True)
    if not str(step.get("label") or "").strip():
        _add(errors, f"{p}.label", "Give the step a label, e.g. 'Dosing session'.")
    position = _minutes(step.get("position"))
    if position is None or position < 1:
        _add(errors, f"{p}.position", "The position must be a whole number from 1.")
    count = _minutes(step.get("count"))
    if count is None or count < 1:
        _add(errors, f"{p}.count", "A step plans at least one session.")
    session = _minutes(step.get("session_minutes"))
    block = _minutes(step.get("block_minutes"))
    if session is None or session <= 0:
        _add(errors, f"{p}.session_minutes", "The session must last more than 0 minutes.")
    if block is None or block <= 0:
        _add(errors, f"{p}.block_minutes", "The block must last more than 0 minutes.")
    elif session is not None and session > 0 and block < session:
        _add(
            errors,
            f"{p}.block_minutes",
            f"The block ({block} min) must be at least as long as the session ({session} min): "
            "it includes monitoring and recovery.",
        )
    infusion = step.get("infusion_minutes")
    if infusion is not None:
        if _minutes(infusion) is None or infusion <= 0:
            _add(errors, f"{p}.infusion_minutes", "The infusion must last more than 0 minutes.")
        elif block and infusion > block:
            _add(
                errors,
                f"{p}.infusion_minutes",
                f"The infusion ({infusion} min) cannot outlast the block ({block} min).",
            )
    for field in ("dose_mg_per_kg", "dose_mg", "first_dose_mg"):
        value = step.get(field)
        if value is not None and value <= 0:
            _add(errors, f"{p}.{field}", "A dose must be more than 0.")
    if step.get("kind") != SessionKind.DOSING:
        for field in ("medication", "route"):
            if step.get(field):
                _add(errors, f"{p}.{field}", "Only dosing steps say what is given.")
        for field in ("dose_mg_per_kg", "dose_mg", "first_dose_mg", "infusion_minutes"):
            if step.get(field) is not None:
                _add(errors, f"{p}.{field}", "Only dosing steps carry a dose.")

    seen_roles: set[str] = set()
    for j, need in enumerate(step.get("staff_needs") or []):
        q = f"{p}.staff_needs.{j}"
        role = need.get("role")
        if _check_choice(errors, f"{q}.role", role, Role, "role"):
            if role in seen_roles:
                _add(errors, f"{q}.role", f"The {role} is already listed for this step.")
            seen_roles.add(role)
        _check_choice(errors, f"{q}.mode", need.get("mode"), StaffMode, "staff mode")
        start = _minutes(need.get("start_offset_minutes"))
        end = _minutes(need.get("end_offset_minutes"))
        if start is None or start < 0:
            _add(errors, f"{q}.start_offset_minutes", "The start must be 0 or more minutes into the block.")
        if end is None:
            _add(errors, f"{q}.end_offset_minutes", "Say when the need ends, in minutes from the block start.")
        elif start is not None and end <= start:
            _add(errors, f"{q}.end_offset_minutes", "The need must end after it starts.")
        elif block is not None and end > block:
            _add(
                errors,
                f"{q}.end_offset_minutes",
                f"The need ends at {end} min, after the end of the block ({block} min).",
            )


def _validate_rule(errors: Errors, i: int, rule: dict, steps_by_position: dict[int, dict]) -> None:
    p = f"rules.{i}"
    kind = rule.get("kind")
    if not _check_choice(errors, f"{p}.kind", kind, TemplateRule.Kind, "rule"):
        return
    position = rule.get("step_position")
    if position is None:
        if kind in RULES_NEEDING_STEP:
            _add(errors, f"{p}.step_position", "Say which step this rule applies to.")
    elif position not in steps_by_position:
        _add(errors, f"{p}.step_position", f"No step at position {position}.")
    elif steps_by_position[position].get("kind") not in RULE_STEP_KINDS[kind]:
        wanted = " or ".join(sorted(RULE_STEP_KINDS[kind]))
        _add(errors, f"{p}.step_position", f"This rule applies to a {wanted} step.")

    low, high = rule.get("min_interval"), rule.get("max_interval")
    max_count, period = rule.get("max_count"), rule.get("period")
    for field in ("min_interval", "max_interval", "period"):
        value = rule.get(field)
        if value is not None and value > MAX_INTERVAL:
            _add(errors, f"{p}.{field}", "An interval is at most 10 years.")
            return
    if low is not None and low < ZERO:
        _add(errors, f"{p}.min_interval", "An interval cannot be negative.")
    if kind in (TemplateRule.Kind.INTEGRATION_WINDOW, TemplateRule.Kind.BOOSTER_DUE):
        if low is None:
            _add(errors, f"{p}.min_interval", "Say when the window opens.")
        if high is None:
            _add(errors, f"{p}.max_interval", "Say when the window closes.")
        elif low is not None and high <= low:
            _add(errors, f"{p}.max_interval", "The window must end after it starts.")
    elif high is not None:
        _add(errors, f"{p}.max_interval", "Only a window (integration, booster) has a maximum.")
    if kind in (TemplateRule.Kind.DOSING_MIN_GAP, TemplateRule.Kind.PREP_MIN_GAP) and (low is None or low <= ZERO):
        _add(errors, f"{p}.min_interval", "A minimum gap must be more than 0.")
    if kind == TemplateRule.Kind.DOSING_WEEKLY_CAP:
        if max_count is None or max_count < 1:
            _add(errors, f"{p}.max_count", "A cap allows at least one session.")
        if period is None or period <= ZERO:
            _add(errors, f"{p}.period", "A cap needs a rolling period longer than 0, e.g. 7 days.")
    else:
        if max_count is not None:
            _add(errors, f"{p}.max_count", "Only a cap has a maximum count.")
        if period is not None:
            _add(errors, f"{p}.period", "Only a cap has a period.")


def _validate_rules_together(errors: Errors, rules: list[dict]) -> None:
    seen: dict[tuple[str, Any], int] = {}
    for i, rule in enumerate(rules):
        key = (rule.get("kind"), rule.get("step_position"))
        if key in seen:
            _add(errors, f"rules.{i}.kind", f"Rule {seen[key]} already sets this for the same step.")
        seen.setdefault(key, i)
    # A minimum gap so long that the cap can never be reached means one of the two numbers is wrong.
    gaps = [(i, r) for i, r in enumerate(rules) if r.get("kind") == TemplateRule.Kind.DOSING_MIN_GAP]
    caps = [r for r in rules if r.get("kind") == TemplateRule.Kind.DOSING_WEEKLY_CAP]
    for i, gap in gaps:
        for cap in caps:
            gap_step, cap_step = gap.get("step_position"), cap.get("step_position")
            if gap_step is not None and cap_step is not None and gap_step != cap_step:
                continue
            low, count, period = gap.get("min_interval"), cap.get("max_count"), cap.get("period")
            if low is None or not count or not period or count < 2 or max(low, period) > MAX_INTERVAL:
                continue
            if low * (count - 1) >= period:
                _add(
                    errors,
                    f"rules.{i}.min_interval",
                    f"With {_human(low)} between sessions, {count} sessions never fit in {_human(period)}: "
                    "shorten the gap or lower the cap.",
                )


def validate_for_save(spec: dict) -> Errors:
    """Errors of each part on its own. Empty when the draft may be saved."""
    errors: Errors = {}
    if not str(spec.get("name") or "").strip():
        _add(errors, "name", "Give the program a name.")
    _check_choice(errors, "pathway", spec.get("pathway"), Pathway, "pathway")

    steps = spec.get("steps") or []
    positions: dict[int, int] = {}
    for i, step in enumerate(steps):
        _validate_step(errors, i, step)
        position = step.get("position")
        if position in positions:
            _add(errors, f"steps.{i}.position", f"Step {positions[position]} already has position {position}.")
        positions.setdefault(position, i)
    steps_by_position = {s.get("position"): s for s in steps}

    rules = spec.get("rules") or []
    for i, rule in enumerate(rules):
        _validate_rule(errors, i, rule, steps_by_position)
    _validate_rules_together(errors, rules)

    kinds: set[str] = set()
    for i, prerequisite in enumerate(spec.get("prerequisites") or []):
        kind = prerequisite.get("kind")
        if _check_choice(errors, f"prerequisites.{i}.kind", kind, TemplatePrerequisite.Kind, "prerequisite"):
            if kind in kinds:
                _add(errors, f"prerequisites.{i}.kind", "This prerequisite is already listed.")
            kinds.add(kind)
        age = prerequisite.get("max_age_days")
        if age is not None and age < 1:
            _add(errors, f"prerequisites.{i}.max_age_days", "A maximum age is at least 1 day.")

    seen_items: set[tuple[str, str]] = set()
    for i, item in enumerate(spec.get("scale_schedule") or []):
        p = f"scale_schedule.{i}"
        _check_choice(errors, f"{p}.scale", item.get("scale"), Scale, "rating scale")
        timing = item.get("timing")
        _check_choice(errors, f"{p}.timing", timing, ScaleScheduleItem.Timing, "timing")
        interval = item.get("interval_days")
        if timing == ScaleScheduleItem.Timing.EVERY_N_DAYS and (interval is None or interval < 1):
            _add(errors, f"{p}.interval_days", "Say every how many days (1 or more).")
        if timing != ScaleScheduleItem.Timing.EVERY_N_DAYS and interval is not None:
            _add(errors, f"{p}.interval_days", "Only 'every N days' takes an interval.")
        key = (item.get("scale"), timing)
        if key in seen_items:
            _add(errors, f"{p}.timing", "This scale is already scheduled at this time.")
        seen_items.add(key)
    return errors


def dosing_step_before(steps: list[dict], position: int) -> dict | None:
    """The dosing step closest before `position`: the one an integration step follows."""
    before = [s for s in steps if s.get("kind") == SessionKind.DOSING and s.get("position", 0) < position]
    return max(before, key=lambda s: s["position"]) if before else None


def validate_for_publish(spec: dict) -> Errors:
    """Errors of the whole template: the save checks, then completeness. Empty when it may be published."""
    errors = validate_for_save(spec)
    steps = sorted(spec.get("steps") or [], key=lambda s: s.get("position") or 0)
    index_of = {id(s): i for i, s in enumerate(spec.get("steps") or [])}
    rules = spec.get("rules") or []
    prerequisite_kinds = {p.get("kind") for p in spec.get("prerequisites") or []}

    if not steps:
        _add(errors, "steps", "A program needs at least one step.")
    rule_steps = defaultdict(set)
    for rule in rules:
        rule_steps[rule.get("kind")].add(rule.get("step_position"))

    has_dosing = False
    for step in steps:
        p = f"steps.{index_of[id(step)]}"
        if step.get("kind") == SessionKind.DOSING:
            has_dosing = True
            if not step.get("medication"):
                _add(errors, f"{p}.medication", "A dosing step says which medication is given.")
            if not step.get("route"):
                _add(errors, f"{p}.route", "A dosing step says the route.")
            if step.get("dose_mg_per_kg") is None and step.get("dose_mg") is None:
                _add(errors, f"{p}.dose_mg", "A dosing step has a default dose, in mg or mg/kg.")
            if step.get("route") == Route.IV and step.get("infusion_minutes") is None:
                _add(errors, f"{p}.infusion_minutes", "An IV dosing step says how long the infusion runs.")
            if step.get("dose_mg_per_kg") is not None and TemplatePrerequisite.Kind.WEIGHT_RECENT not in (
                prerequisite_kinds
            ):
                _add(errors, "prerequisites", "A dose in mg/kg needs a recent weight: add 'weight_recent'.")
            if step.get("medication") == Medication.ESKETAMINE and TemplatePrerequisite.Kind.REMS_ENROLLMENT not in (
                prerequisite_kinds
            ):
                _add(errors, "prerequisites", "Esketamine requires REMS enrollment: add 'rems_enrollment'.")
        if step.get("kind") == SessionKind.INTEGRATION:
            dosing = dosing_step_before(steps, step.get("position") or 0)
            if dosing is None:
                _add(errors, f"{p}.position", "An integration step needs a dosing step before it.")
            elif (step.get("count") or 0) > (dosing.get("count") or 0):
                _add(
                    errors,
                    f"{p}.count",
                    f"At most one integration per dosing session: the dosing step before it plans {dosing['count']}.",
                )
            if step.get("position") not in rule_steps[TemplateRule.Kind.INTEGRATION_WINDOW]:
                _add(errors, "rules", f"Integration step {step.get('position')} needs an integration_window rule.")
    if has_dosing:
        for required in (TemplatePrerequisite.Kind.CONSENT, TemplatePrerequisite.Kind.CONTRAINDICATION_SCREEN):
            if required not in prerequisite_kinds:
                _add(errors, "prerequisites", f"Dosing sessions need the '{required}' prerequisite.")
    for i, item in enumerate(spec.get("scale_schedule") or []):
        if item.get("scale") not in Scale.values and f"scale_schedule.{i}.scale" not in errors:
            _add(errors, f"scale_schedule.{i}.scale", f"{item.get('scale')!r} is not a known rating scale.")
    return errors
