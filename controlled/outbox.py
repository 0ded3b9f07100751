"""The ledger's alerts and reminders, written as follow-up rows (the transactional outbox).

The one place this app touches the follow-up engine: when the engine's package moves, only the
import below changes. Every row is written in the caller's transaction, so an alert exists if and
only if what caused it committed; the engine delivers it (in-app, to the registrant).
"""

from __future__ import annotations

import datetime as dt

from followups.models import FollowUp

# Kinds of the ledger's follow-ups (strings kept with the rows; rendered by the staff queue).
UNWITNESSED_WASTE = "controlled_unwitnessed_waste"
DISCREPANCY = "controlled_discrepancy"
LOSS_ALERT = "controlled_loss_alert"
LOSS_NOTICE_DUE = "controlled_loss_notice_due"
FORM_106_DUE = "controlled_form_106_due"


def alert_staff(*, clinic_id: int, staff_id: int, kind: str, key: str, due_at: dt.datetime, payload: dict) -> None:
    """An in-app alert to one staff member; a second call with the same key is a no-op."""
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                clinic_id=clinic_id,
                kind=kind,
                channel=FollowUp.Channel.IN_APP,
                target=FollowUp.Target.STAFF,
                staff_id=staff_id,
                due_at=due_at,
                idempotency_key=key,
                payload=payload,
            )
        ],
        ignore_conflicts=True,
    )


def cancel(*, key: str, reason: str, now: dt.datetime) -> int:
    """Cancel an alert not delivered yet (its cause went away)."""
    return FollowUp.objects.filter(idempotency_key=key, status__in=FollowUp.OPEN_STATUSES).update(
        status=FollowUp.Status.CANCELLED, cancelled_at=now, last_error=reason
    )


def open_alerts(*, key_prefix: str):
    return FollowUp.objects.filter(idempotency_key__startswith=key_prefix)
