"""Charting tasks: thin wrappers over services, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="monitoring.alert_notify", ignore_result=True)
def alert_notify(alert_id: int) -> None:
    """Hand a new alert to the care team. Routing (SMS, pager) belongs to the follow-up engine later;
    for now the alert is logged once: the conditional update makes a redelivery a no-op."""
    from monitoring.services.alerts import alert_mark_notified

    alert = alert_mark_notified(alert_id=alert_id)
    if alert is None:
        return
    logger.warning(
        "Clinical alert %s (%s, %s priority) for patient %s, session %s: %s",
        alert.pk,
        alert.kind,
        alert.priority,
        alert.patient_id,
        alert.session_id,
        alert.message,
    )
