"""The gate every dose passes (the first, each titration and each bolus): the session's latest blood
pressure inside the clinic's pre-dose limit and no high-priority alert left open. Each item names
the reading or the alert, so a prescriber's override (stage `dose`) covers that reading or alert
only: a new high reading or a new alert blocks the next dose again."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from monitoring.models import Alert, VitalSign
from monitoring.models.policy import ThresholdRuleKind
from monitoring.selectors.gate import _item, _overrides, _split
from monitoring.selectors.policy import bp_above_hold, thresholds_for
from sessions.models import Session

DOSE_STAGE = "dose"
BP_ITEM = "bp_above_limit:"
ALERT_ITEM = "open_alert:"


def dose_items(*, session: Session, now: datetime | None = None) -> list[dict]:
    """Every in-session item that holds a dose now, overridden or not."""
    now = now or timezone.now()
    items = []
    hold = thresholds_for(clinic=session.clinic_id).get(ThresholdRuleKind.PREDOSE_HOLD)
    latest = (
        VitalSign.objects.filter(session=session, systolic_mmhg__isnull=False, measured_at__lte=now)
        .filter(entered_in_error_at__isnull=True)
        .order_by("-measured_at", "-pk")
        .first()
    )
    if hold and latest is not None and bp_above_hold(latest, hold):
        items.append(
            _item(
                f"{BP_ITEM}{latest.pk}",
                f"The latest blood pressure {latest.systolic_mmhg}/{latest.diastolic_mmhg} is above the limit "
                f"{hold['systolic_mmhg']}/{hold['diastolic_mmhg']}.",
                reading_id=latest.pk,
            )
        )
    alerts = Alert.objects.filter(session=session, priority=Alert.Priority.HIGH, acknowledged_at__isnull=True).order_by(
        "raised_at", "pk"
    )
    items.extend(
        _item(f"{ALERT_ITEM}{alert.pk}", f"Open alert: {alert.message}", alert_id=alert.pk, kind=alert.kind)
        for alert in alerts
    )
    return items


def dose_unmet(*, session: Session, first: bool) -> list[dict]:
    """What blocks the next dose (not overridden). The first dose's blood pressure is the pre-dose
    gate's item (`predose_vitals`), so only the open alerts are added to it."""
    items = dose_items(session=session)
    if first:
        items = [i for i in items if i["item"].startswith(ALERT_ITEM)]
    blocking, _ = _split(items, _overrides(session, DOSE_STAGE))
    return blocking
