"""Clinical alerts reach people: the routing and escalation of a charting alert, as outbox rows.

When charting raises an alert (`monitoring.signals.alerts_raised`: a vitals threshold, a
desaturation, PHQ-9 item 9 above 0, a positive C-SSRS, a check-in flagged for review),
`followups_plan_for_alert` writes every step at once, in the alert's own transaction, each due at
its time (N = the clinic's `AlertPolicy.escalation_minutes`, default 5):

- at once: in-app to the session's assigned clinicians and everyone on the clinic's on-call list,
  and a page (SMS, or email without a phone number) to the first person on call;
- k·N minutes later: a page to the (k+1)-th person on call;
- after the last person on call (at once when nobody is on call): in-app and a page to each of
  the clinic's prescribers.

The alert stays open until someone acknowledges it. Every row checks, when it fires, that the
alert is still open (`followups.rules`), and acknowledging it cancels the rows not yet sent
(`followups_close_for_alert`), so escalation stops and a redelivery is a no-op. A normal-priority
alert is shown in-app only. Pages carry a link into the app, never clinical content
(`followups.messages.render_staff_message`).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from followups.models import FollowUp
from integration.models import OnCallEntry
from integration.selectors import alert_policy_for
from kat_clinic.models import ClinicMembership, StaffMember
from kat_clinic.roles import CLINICAL_ROLES, Role
from monitoring.models import Alert
from sessions.models import StaffAssignment

Kind = FollowUp.Kind
Status = FollowUp.Status


def staff_channel(staff: StaffMember) -> str | None:
    """How a staff member is paged: SMS to their phone, else email; None when they left neither."""
    if staff.phone:
        return FollowUp.Channel.SMS
    if staff.user.email:
        return FollowUp.Channel.EMAIL
    return None


def _row(alert: Alert, *, staff_id: int, channel: str, due: dt.datetime, step: int, why: str) -> FollowUp:
    what = "app" if channel == FollowUp.Channel.IN_APP else "page"
    return FollowUp(
        clinic_id=alert.clinic_id,
        kind=Kind.CLINICAL_ALERT,
        channel=channel,
        target=FollowUp.Target.STAFF,
        staff_id=staff_id,
        patient_id=alert.patient_id,
        session_id=alert.session_id,
        alert=alert,
        due_at=due,
        # One in-app item and at most one page per person per alert, whichever step reaches them first.
        idempotency_key=f"{Kind.CLINICAL_ALERT}:a{alert.pk}:{what}:{staff_id}",
        payload={"step": step, "why": why},
    )


def _page(alert: Alert, staff: StaffMember, *, due: dt.datetime, step: int, why: str) -> FollowUp | None:
    channel = staff_channel(staff)
    if channel is None:
        return None
    return _row(alert, staff_id=staff.pk, channel=channel, due=due, step=step, why=why)


def alert_recipients(alert: Alert) -> tuple[list[int], list[StaffMember], list[StaffMember]]:
    """(the session's assigned clinicians' ids, the on-call list in order, the clinic's prescribers)."""
    assigned: list[int] = []
    if alert.session_id is not None:
        assigned = list(
            StaffAssignment.objects.filter(
                session_id=alert.session_id, active=True, role__in=CLINICAL_ROLES, staff__active=True
            )
            .order_by("staff_id")
            .values_list("staff_id", flat=True)
            .distinct()
        )
    on_call = [
        entry.staff
        for entry in OnCallEntry.objects.filter(clinic_id=alert.clinic_id, staff__active=True)
        .select_related("staff__user")
        .order_by("position")
    ]
    prescribers = [
        membership.staff
        for membership in ClinicMembership.objects.filter(
            clinic_id=alert.clinic_id, role=Role.PRESCRIBER, active=True, staff__active=True
        )
        .select_related("staff__user")
        .order_by("staff_id")
    ]
    return assigned, on_call, prescribers


@transaction.atomic
def followups_plan_for_alert(*, alert: Alert, now: dt.datetime | None = None) -> list[FollowUp]:
    """Write the alert's in-app items, pages and escalation steps. Idempotent (keys per alert and person)."""
    now = now or timezone.now()
    assigned, on_call, prescribers = alert_recipients(alert)
    rows: list[FollowUp | None] = [
        _row(alert, staff_id=staff.pk, channel=FollowUp.Channel.IN_APP, due=now, step=0, why="on_call")
        for staff in on_call
    ]
    rows += [
        _row(alert, staff_id=staff_id, channel=FollowUp.Channel.IN_APP, due=now, step=0, why="assigned")
        for staff_id in assigned
    ]
    if alert.priority == Alert.Priority.HIGH:
        every = dt.timedelta(minutes=alert_policy_for(alert.clinic_id).escalation_minutes)
        rows += [
            _page(alert, staff, due=now + step * every, step=step, why="on_call") for step, staff in enumerate(on_call)
        ]
        step = len(on_call)
        for staff in prescribers:
            due = now + step * every
            rows.append(
                _row(alert, staff_id=staff.pk, channel=FollowUp.Channel.IN_APP, due=due, step=step, why="prescriber")
            )
            rows.append(_page(alert, staff, due=due, step=step, why="prescriber"))
    # The first row of a key wins: someone on call who is also a prescriber is paged as on call.
    unique: dict[str, FollowUp] = {}
    for row in rows:
        if row is not None:
            unique.setdefault(row.idempotency_key, row)
    FollowUp.objects.bulk_create(list(unique.values()), ignore_conflicts=True)
    # The first step is due now: wake the dispatcher rather than wait for beat. If the broker is
    # down, beat's next pass picks the rows up; they are already committed with the alert.
    transaction.on_commit(_nudge_dispatcher, robust=True)
    return list(unique.values())


def _nudge_dispatcher() -> None:
    from followups.tasks import dispatch_followups

    dispatch_followups.delay()


@transaction.atomic
def followups_close_for_alert(*, alert: Alert, by: StaffMember) -> int:
    """The alert was acknowledged: its in-app items already due (shown in the queue, delivered or
    not) are acknowledged by `by`, every step not yet due or sent is cancelled. Returns how many
    were cancelled. Safe to run twice."""
    now = timezone.now()
    rows = FollowUp.objects.filter(alert=alert, kind=Kind.CLINICAL_ALERT)
    rows.filter(
        channel=FollowUp.Channel.IN_APP, status__in=(Status.SENT, *FollowUp.OPEN_STATUSES), due_at__lte=now
    ).update(status=Status.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=by, lease_expires_at=None)
    return rows.filter(status__in=FollowUp.OPEN_STATUSES).update(
        status=Status.CANCELLED, cancelled_at=now, lease_expires_at=None, last_error=f"alert acknowledged by {by}"
    )
