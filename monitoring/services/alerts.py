"""Raising and acknowledging alerts. One alert per rule per episode.

Who hears of an alert is not charting's business: each new alert is announced
(`monitoring.signals.alerts_raised`) inside the transaction that raised it, and the follow-up engine
routes it (in-app at once, pages to the on-call list, escalation). Acknowledging is announced too
(`alert_acknowledged`), which stops the escalation.
"""

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
    """Insert the alerts not raised yet (ON CONFLICT DO NOTHING on `dedupe_key`) and announce each
    new one in the caller's transaction. Returns the alerts of these keys, new or not."""
    if not candidates:
        return []
    keys = [c.dedupe_key for c in candidates]
    before = set(Alert.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
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
            if c.dedupe_key not in before
        ],
        ignore_conflicts=True,
    )
    alerts = list(Alert.objects.filter(dedupe_key__in=keys).order_by("pk"))
    new = [alert for alert in alerts if alert.dedupe_key not in before]
    if new:
        # A concurrent raiser of the same key may announce it too: what the receivers write is keyed
        # by the alert, so the second announcement writes nothing.
        signals.alerts_raised.send(sender=Alert, alerts=new)
    return alerts


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: StaffMember) -> Alert:
    """Acknowledge an open alert (409 if it already was). Its escalation stops in this transaction."""
    updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=by, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    if not updated:
        raise Conflict("The alert was already acknowledged.", code="alert_acknowledged")
    signals.alert_acknowledged.send(sender=Alert, alert=alert, by=by)
    return alert


def alert_mark_notified(*, alert_id: int, at: datetime | None = None) -> bool:
    """Stamp the first time anyone was told of the alert; False if it already was (safe to run twice)."""
    return bool(Alert.objects.filter(pk=alert_id, notified_at__isnull=True).update(notified_at=at or timezone.now()))
