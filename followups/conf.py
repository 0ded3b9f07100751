"""Defaults of the follow-up engine. Each one can be overridden in Django settings under the same name."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Engine
    "FOLLOWUP_LEASE_SECONDS": 120,
    "FOLLOWUP_DISPATCH_BATCH": 500,
    # Claims per delivery task: its rows are locked, their intents written and their outcomes
    # recorded together. A worker killed mid-task leaves at most this many rows to settle by lookup.
    "FOLLOWUP_DELIVERY_BATCH": 25,
    "FOLLOWUP_DISPATCH_INTERVAL_SECONDS": 5,
    "FOLLOWUP_MAX_ATTEMPTS": 8,
    "FOLLOWUP_RETRY_BASE_SECONDS": 30,
    "FOLLOWUP_RETRY_MAX_SECONDS": 3600,
    # Planners (clinic-wide defaults until a clinic carries its own)
    "FOLLOWUP_NO_SHOW_GRACE_MINUTES": 60,
    "FOLLOWUP_INTEGRATION_WINDOW_HOURS": 72,
    "FOLLOWUP_INTEGRATION_UNBOOKED_AFTER_HOURS": 2,
    "FOLLOWUP_INTEGRATION_ESCALATE_BEFORE_HOURS": 24,
    "FOLLOWUP_REMS_FORM_DAYS": 7,
    "FOLLOWUP_REMS_ALERT_BEFORE_DAYS": 2,
    "FOLLOWUP_CHECKIN_LOCAL_HOUR": 10,
    "FOLLOWUP_FASTING_HOURS": 6,
    "FOLLOWUP_SCALE_SEND_BEFORE_HOURS": 48,
    "FOLLOWUP_SCALE_REMINDER_AFTER_HOURS": 24,
    "FOLLOWUP_BOOSTER_WEEKS": 4,
    "FOLLOWUP_OVERDUE_MINUTES": 15,
    # Inbound SMS webhook (STOP); empty refuses every call.
    "SMS_WEBHOOK_TOKEN": "",
}


def conf(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
