"""Webhook events: what the apps below announce, turned into one outbox row per subscribed endpoint.

Each receiver runs inside the sender's transaction (see the apps' `signals.py`), so a webhook row
exists if and only if its cause committed. Rows are follow-ups of kind "webhook" addressed to an
endpoint; the engine claims, leases and retries them, skipping the patient-message rules. Each row's
idempotency key names (endpoint, event, subject), so an announcement repeated writes nothing new.
Payloads carry the event type and ids only: receivers fetch the details with their own credentials.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from followups.models import FollowUp
from interop.models import WebhookEndpoint, WebhookEvent
from monitoring import signals as monitoring_signals
from sessions import signals as session_signals
from sessions.models import Session


@dataclass(frozen=True)
class Event:
    type: str
    clinic_id: int
    patient_id: int
    subject: str  # what the event is about, unique per occurrence: "session:12", "alert:7"
    data: dict
    occurred_at: dt.datetime


def _utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def webhook_events_plan(*, events: list[Event]) -> int:
    """Write the outbox rows of these events for every active endpoint that subscribed to them, in
    the caller's transaction (one query for the endpoints, one insert). Returns how many rows."""
    if not events:
        return 0
    endpoints = list(
        WebhookEndpoint.objects.filter(clinic_id__in={e.clinic_id for e in events}, active=True).values_list(
            "pk", "clinic_id", "events"
        )
    )
    rows = []
    now = timezone.now()
    for event in events:
        body = {"type": event.type, "timestamp": _utc(event.occurred_at), "data": event.data}
        for endpoint_id, clinic_id, subscribed in endpoints:
            if clinic_id != event.clinic_id or event.type not in subscribed:
                continue
            rows.append(
                FollowUp(
                    clinic_id=clinic_id,
                    kind=FollowUp.Kind.WEBHOOK,
                    channel=FollowUp.Channel.WEBHOOK,
                    target=FollowUp.Target.ENDPOINT,
                    # Kept on the row for the accounting of disclosures; the body names it as an id.
                    patient_id=event.patient_id,
                    due_at=now,
                    idempotency_key=f"webhook:{endpoint_id}:{event.type}:{event.subject}",
                    payload={"endpoint_id": endpoint_id, "webhook_id": f"msg_{uuid.uuid4().hex}", "event": body},
                )
            )
    if rows:
        FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
        # Due now: wake the dispatcher instead of waiting for beat. If the broker is down, beat's
        # next pass delivers them; the rows commit with their cause either way.
        transaction.on_commit(_nudge_dispatcher, robust=True)
    return len(rows)


def _nudge_dispatcher() -> None:
    from followups.tasks import dispatch_followups

    dispatch_followups.delay()


def _session_event(event_type: str, session: Session, *, subject: str, at: dt.datetime) -> Event:
    return Event(
        type=event_type,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        subject=subject,
        data={"session_id": session.pk, "patient_id": session.patient_id, "clinic_id": session.clinic_id},
        occurred_at=at,
    )


def _booked(session: Session) -> Event:
    # Booked again at a new time is a new booking: the start is part of the subject.
    slot = session.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")
    return _session_event(
        WebhookEvent.SESSION_BOOKED, session, subject=f"session:{session.pk}:{slot}", at=timezone.now()
    )


def _session_booked(sender, *, session, **kwargs) -> None:
    webhook_events_plan(events=[_booked(session)])


def _program_booked(sender, *, sessions, **kwargs) -> None:
    webhook_events_plan(events=[_booked(s) for s in sessions])


def _session_released(sender, *, session, **kwargs) -> None:
    # Released is cancelled, moved away (cancelled, the new time is booked) or absent; absence is
    # not an event receivers subscribe to.
    if session.status == Session.Status.NO_SHOW:
        return
    at = session.cancelled_at or timezone.now()
    webhook_events_plan(
        events=[_session_event(WebhookEvent.SESSION_CANCELLED, session, subject=f"session:{session.pk}", at=at)]
    )


def _session_completed(sender, *, session, **kwargs) -> None:
    at = session.completed_at or timezone.now()
    webhook_events_plan(
        events=[_session_event(WebhookEvent.SESSION_COMPLETED, session, subject=f"session:{session.pk}", at=at)]
    )


def _alerts_raised(sender, *, alerts, **kwargs) -> None:
    webhook_events_plan(
        events=[
            Event(
                type=WebhookEvent.ALERT_RAISED,
                clinic_id=alert.clinic_id,
                patient_id=alert.patient_id,
                subject=f"alert:{alert.pk}",
                data={
                    "alert_id": alert.pk,
                    "patient_id": alert.patient_id,
                    "clinic_id": alert.clinic_id,
                    "session_id": alert.session_id,
                },
                occurred_at=alert.raised_at,
            )
            for alert in alerts
        ]
    )


def _scale_response_recorded(sender, *, response, **kwargs) -> None:
    clinic_id = response.session.clinic_id if response.session_id else response.patient.home_clinic_id
    webhook_events_plan(
        events=[
            Event(
                type=WebhookEvent.SCALE_COMPLETED,
                clinic_id=clinic_id,
                patient_id=response.patient_id,
                subject=f"scale_response:{response.pk}",
                data={
                    "scale_response_id": response.pk,
                    "patient_id": response.patient_id,
                    "clinic_id": clinic_id,
                    "session_id": response.session_id,
                },
                occurred_at=response.completed_at,
            )
        ]
    )


def connect() -> None:
    uid = "interop.webhooks"
    session_signals.session_booked.connect(_session_booked, dispatch_uid=f"{uid}.session_booked")
    session_signals.program_booked.connect(_program_booked, dispatch_uid=f"{uid}.program_booked")
    session_signals.session_released.connect(_session_released, dispatch_uid=f"{uid}.session_released")
    session_signals.session_completed.connect(_session_completed, dispatch_uid=f"{uid}.session_completed")
    monitoring_signals.alerts_raised.connect(_alerts_raised, dispatch_uid=f"{uid}.alerts_raised")
    monitoring_signals.scale_response_recorded.connect(
        _scale_response_recorded, dispatch_uid=f"{uid}.scale_response_recorded"
    )
