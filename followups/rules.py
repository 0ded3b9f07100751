"""Checks made at delivery time, when the world may have changed since the follow-up was planned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from followups.models import FollowUp
from integration.models import CheckIn
from kat_clinic.models import Clinic
from monitoring.models import Alert
from programs.choices import SessionKind
from sessions.models import Session

Kind = FollowUp.Kind


def quiet_hours_end(clinic: Clinic, at: dt.datetime) -> dt.datetime | None:
    """When the clinic's quiet hours end, if `at` falls inside them; None outside quiet hours.

    Quiet hours are local clock times in the clinic's zone and usually wrap midnight (21:00-08:00).
    """
    start, end = clinic.quiet_hours_start, clinic.quiet_hours_end
    if start == end:
        return None
    local = timezone.localtime(at, clinic.tz)
    now_t = local.time()
    if start < end:
        inside = start <= now_t < end
        end_day = local.date()
    else:
        inside = now_t >= start or now_t < end
        end_day = local.date() + dt.timedelta(days=1) if now_t >= start else local.date()
    if not inside:
        return None
    # Built from the local wall clock, so a DST change overnight still lands on 08:00 local.
    return dt.datetime.combine(end_day, end, tzinfo=clinic.tz)


def patient_refuses(followup: FollowUp) -> str:
    """Why the patient must not get this message now (opted out, no address); empty if they may."""
    patient = followup.patient
    if followup.channel == FollowUp.Channel.SMS:
        if not patient.sms_opt_in:
            return "patient has not opted in to SMS (or sent STOP)"
        if not patient.phone:
            return "patient has no phone number"
    if followup.channel == FollowUp.Channel.EMAIL:
        if not patient.email_opt_in:
            return "patient has opted out of email"
        if not patient.email:
            return "patient has no email address"
    return ""


def staff_refuses(followup: FollowUp) -> str:
    """Why this staff member cannot get this item now (left, no address for the page); empty if they can."""
    staff = followup.staff
    if not staff.active:
        return "staff member is no longer active"
    if followup.channel == FollowUp.Channel.SMS and not staff.phone:
        return "staff member has no phone number"
    if followup.channel == FollowUp.Channel.EMAIL and not staff.user.email:
        return "staff member has no email address"
    return ""


def integration_booked_in_window(session: Session, window_hours: int) -> bool:
    window_end = session.ends_at + dt.timedelta(hours=window_hours)
    return Session.objects.filter(
        patient_id=session.patient_id,
        kind=SessionKind.INTEGRATION,
        status__in=Session.ACTIVE_STATUSES,
        starts_at__gte=session.ends_at,
        starts_at__lte=window_end,
    ).exists()


def _session_reminder(followup: FollowUp) -> str:
    status = followup.session.status
    return "" if status == Session.Status.SCHEDULED else f"session is {status}"


def _no_show_review(followup: FollowUp) -> str:
    status = followup.session.status
    return "" if status == Session.Status.SCHEDULED else f"session is {status}"


def _integration_window(followup: FollowUp) -> str:
    if integration_booked_in_window(followup.session, followup.payload.get("window_hours", 72)):
        return "integration session booked inside the window"
    return ""


def _clinical_alert(followup: FollowUp) -> str:
    # Read under the follow-up's row lock at delivery: an acknowledgement committed before this
    # point stops the step (its receiver also cancels the step, if it got there first).
    acknowledged = Alert.objects.filter(pk=followup.alert_id, acknowledged_at__isnull=False).exists()
    return "alert acknowledged" if acknowledged else ""


def _scale_request(followup: FollowUp) -> str:
    if followup.session_id and followup.session.status != Session.Status.SCHEDULED:
        return f"session is {followup.session.status}"
    return ""


def _scale_reminder(followup: FollowUp) -> str:
    request_key = followup.payload.get("request_key")
    if request_key and CheckIn.objects.filter(followup__idempotency_key=request_key).exists():
        return "questionnaire already answered"
    return _scale_request(followup)


_CHECKS: dict[str, Callable[[FollowUp], str]] = {
    Kind.SESSION_REMINDER: _session_reminder,
    Kind.NO_SHOW_REVIEW: _no_show_review,
    Kind.INTEGRATION_UNBOOKED: _integration_window,
    Kind.INTEGRATION_WINDOW_CLOSING: _integration_window,
    Kind.CLINICAL_ALERT: _clinical_alert,
    Kind.SCALE_REQUEST: _scale_request,
    Kind.SCALE_REMINDER: _scale_reminder,
}


def no_longer_needed(followup: FollowUp, *, now: dt.datetime) -> str:
    """Why this follow-up should not go out any more; empty if it still should."""
    check = _CHECKS.get(followup.kind)
    return check(followup) if check else ""
