"""Raising and acknowledging alerts. One alert per rule per episode; notification after commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import Conflict
from kat_clinic.models import StaffMember
from monitoring import signals
from monitoring.models import Alert


@dataclass(frozen=True)
class AlertCandidate:
    kind: str
    dedupe_key: str
    message: str
    episode_started_at: datetime
    clinic_id: int
    patient_id: int
    session_id: int | None = None
    scale_response_id: int | None = None
    priority: str = Alert.Priority.HIGH
    details: dict = field(default_factory=dict)


def alerts_raise(*, candidates: list[AlertCandidate]) -> list[Alert]:
    """Insert the alerts not raised yet (ON CONFLICT DO NOTHING on `dedupe_key`) and hand each new one
    to Celery once the transaction commits. Returns the alerts of these keys, new or not."""
    if not candidates:
        return []
    from monitoring.tasks import alert_notify

    Alert.objects.bulk_create(
        [
            Alert(
                clinic_id=c.clinic_id,
                patient_id=c.patient_id,
                session_id=c.session_id,
                scale_response_id=c.scale_response_id,
                kind=c.kind,
                priority=c.priority,
                dedupe_key=c.dedupe_key,
                message=c.message,
                episode_started_at=c.episode_started_at,
                details=c.details,
            )
            for c in candidates
        ],
        ignore_conflicts=True,
    )
    alerts = list(Alert.objects.filter(dedupe_key__in=[c.dedupe_key for c in candidates]).order_by("pk"))
    unnotified = [alert for alert in alerts if alert.notified_at is None]
    for alert in unnotified:
        # The task marks notified_at with a conditional update, so a second enqueue is a no-op.
        alert_notify.delay_on_commit(alert.pk)
    if unnotified:
        signals.alerts_raised.send(sender=Alert, alerts=unnotified)
    return alerts


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: StaffMember) -> Alert:
    updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=by, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    if not updated:
        raise Conflict("The alert was already acknowledged.", code="alert_acknowledged")
    return alert


def alert_mark_notified(*, alert_id: int) -> Alert | None:
    """Claim the notification of one alert; None if it was already sent (safe to run twice)."""
    updated = Alert.objects.filter(pk=alert_id, notified_at__isnull=True).update(notified_at=timezone.now())
    return Alert.objects.select_related("session").get(pk=alert_id) if updated else None
