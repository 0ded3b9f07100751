"""What must hold before a session is checked in or started: the clock and the plan.

- The clock: check-in and start are allowed only inside the clinic's window around the booked
  start (`SchedulingPolicy.status_window_before_minutes` / `..._after_minutes`), so tomorrow's
  session cannot be checked in today.
- The plan: a dosing session of a program whose template says "preparation before the first
  dosing" cannot start while a preparation session of that rule is not completed; an integration
  session cannot start before its own dosing session is completed.

Both raise before anything is written, so a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kat_clinic.errors import Conflict, RuleViolation
from programs.choices import SessionKind
from programs.models import PlannedSession, TemplateRule
from sessions.models import SchedulingPolicy, Session

DEFAULT_WINDOW_BEFORE_MINUTES = 120
DEFAULT_WINDOW_AFTER_MINUTES = 120

# Planned sessions that no longer block anything: done, or taken out of the plan.
_SETTLED = (PlannedSession.Status.COMPLETED, PlannedSession.Status.CANCELLED)


def status_window(session: Session) -> tuple[dt.datetime, dt.datetime]:
    """[opens, closes] of the check-in / start window of the session, per its clinic's policy."""
    policy = (
        SchedulingPolicy.objects.filter(clinic_id=session.clinic_id)
        .values("status_window_before_minutes", "status_window_after_minutes")
        .first()
    ) or {
        "status_window_before_minutes": DEFAULT_WINDOW_BEFORE_MINUTES,
        "status_window_after_minutes": DEFAULT_WINDOW_AFTER_MINUTES,
    }
    return (
        session.starts_at - dt.timedelta(minutes=policy["status_window_before_minutes"]),
        session.starts_at + dt.timedelta(minutes=policy["status_window_after_minutes"]),
    )


def _local(at: dt.datetime, session: Session) -> str:
    local = timezone.localtime(at, session.clinic.tz)
    return f"{local:%A %d %B %Y, %H:%M} ({session.clinic.timezone})"


def require_within_window(*, session: Session, action: str, now: dt.datetime) -> None:
    """422 `outside_status_window` unless `now` is inside the session's window."""
    opens, closes = status_window(session)
    if opens <= now <= closes:
        return
    if now < opens:
        booked = _local(session.starts_at, session)
        detail = f"This session can be {action} from {_local(opens, session)}; it is booked for {booked}."
    else:
        detail = f"This session can no longer be {action}: the window closed at {_local(closes, session)}."
    raise RuleViolation(
        detail,
        code="outside_status_window",
        errors={"starts_at": [detail]},
        window={"opens_at": opens.isoformat(), "closes_at": closes.isoformat()},
    )


def _describe(planned: PlannedSession, count: int) -> str:
    return f"{planned.get_kind_display().lower()} {planned.occurrence} of {count}"


def unmet_dependencies(session: Session) -> list[PlannedSession]:
    """The planned sessions that must be completed before this one starts, and are not."""
    if not session.planned_session_id:
        return []
    planned = session.planned_session
    if planned.kind == SessionKind.INTEGRATION:
        if planned.linked_dosing_id is None:
            return []
        return list(
            PlannedSession.objects.filter(pk=planned.linked_dosing_id)
            .exclude(status__in=_SETTLED)
            .select_related("step")
        )
    if planned.kind != SessionKind.DOSING:
        return []
    rules = TemplateRule.objects.filter(
        template_id=planned.step.template_id, kind=TemplateRule.Kind.PREP_BEFORE_FIRST_DOSING
    ).values_list("step_id", flat=True)
    rule_steps = list(rules)
    if not rule_steps:
        return []
    preps = PlannedSession.objects.filter(enrollment_id=planned.enrollment_id, kind=SessionKind.PREPARATION)
    if None not in rule_steps:
        preps = preps.filter(step_id__in=rule_steps)
    return list(preps.exclude(status__in=_SETTLED).select_related("step").order_by("sequence"))


def require_dependencies_completed(*, session: Session) -> None:
    """409 `dependencies_not_completed` naming each session that must be completed first."""
    unmet = unmet_dependencies(session)
    if not unmet:
        return
    names = [_describe(p, p.step.count) for p in unmet]
    detail = f"This session cannot start before these are completed: {', '.join(names)}."
    raise Conflict(
        detail,
        code="dependencies_not_completed",
        errors={"status": [detail]},
        unmet=[
            {
                "planned_session": p.pk,
                "kind": p.kind,
                "occurrence": p.occurrence,
                "of": p.step.count,
                "status": p.status,
            }
            for p in unmet
        ],
    )
