"""The follow-up engine's answers to what the apps below it announce (their `signals.py`).

Each receiver runs inside the sender's transaction, so the outbox rows it writes exist if and only
if their cause commits. Connected once, in `FollowupsConfig.ready()`.
"""

from __future__ import annotations

from followups import alerting, planners, services
from integration import signals as integration_signals
from monitoring import signals as monitoring_signals
from programs import signals as program_signals
from programs.choices import SessionKind
from sessions import signals as session_signals


def _enrollment_created(sender, *, enrollment, **kwargs) -> None:
    # Rating scales the template asks for (baseline, every N days).
    planners.followups_for_enrollment(enrollment=enrollment)


def _enrollment_closed(sender, *, enrollment, **kwargs) -> None:
    planners.followups_cancel_for_enrollment(enrollment=enrollment)


def _session_booked(sender, *, session, **kwargs) -> None:
    # Reminders (with preparation instructions) and the no-show review.
    planners.followups_plan_for_session(session=session)


def _program_booked(sender, *, sessions, **kwargs) -> None:
    # Reminders and scale requests for the whole plan, in one write.
    planners.followups_plan_for_sessions(sessions=sessions)


def _session_released(sender, *, session, **kwargs) -> None:
    # A cancelled, absent or moved booking withdraws its pending follow-ups.
    planners.followups_cancel_for_session(session=session)


def _session_completed(sender, *, session, **kwargs) -> None:
    if session.kind == SessionKind.DOSING:
        # Integration window watch, next-day check-in, REMS form due, booster.
        planners.followups_after_dosing_completed(session=session)


def _checkin_link_followed(sender, *, followup_id, patient_id=None, lock=False, **kwargs) -> str | None:
    return services.checkin_link_request(followup_id=followup_id, patient_id=patient_id, lock=lock)


def _alerts_raised(sender, *, alerts, **kwargs) -> None:
    # In-app to the session's clinicians and the on-call list, pages, escalation to the prescribers.
    for alert in alerts:
        alerting.followups_plan_for_alert(alert=alert)


def _alert_acknowledged(sender, *, alert, by, **kwargs) -> None:
    # Escalation stops: the steps not yet sent are cancelled.
    alerting.followups_close_for_alert(alert=alert, by=by)


def connect() -> None:
    uid = "followups.receivers"
    program_signals.enrollment_created.connect(_enrollment_created, dispatch_uid=f"{uid}.enrollment_created")
    program_signals.enrollment_closed.connect(_enrollment_closed, dispatch_uid=f"{uid}.enrollment_closed")
    session_signals.session_booked.connect(_session_booked, dispatch_uid=f"{uid}.session_booked")
    session_signals.program_booked.connect(_program_booked, dispatch_uid=f"{uid}.program_booked")
    session_signals.session_released.connect(_session_released, dispatch_uid=f"{uid}.session_released")
    session_signals.session_completed.connect(_session_completed, dispatch_uid=f"{uid}.session_completed")
    integration_signals.checkin_link_followed.connect(_checkin_link_followed, dispatch_uid=f"{uid}.checkin_link")
    monitoring_signals.alerts_raised.connect(_alerts_raised, dispatch_uid=f"{uid}.alerts_raised")
    monitoring_signals.alert_acknowledged.connect(_alert_acknowledged, dispatch_uid=f"{uid}.alert_acknowledged")
