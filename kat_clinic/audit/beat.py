"""The audit sealer's periodic task, registered with django-celery-beat like the follow-up dispatcher."""

from __future__ import annotations

SEAL_TASK = "kat_clinic.audit_seal"
SEAL_TASK_NAME = "Seal the audit trail's hash chains"


def register_audit_sealer(*, periodic_task_model, interval_model, every: int) -> bool:
    """Create or update the periodic task; True if it was created. Safe to run any number of times."""
    interval, _ = interval_model.objects.get_or_create(every=every, period="seconds")
    _, created = periodic_task_model.objects.update_or_create(
        name=SEAL_TASK_NAME,
        defaults={"task": SEAL_TASK, "interval": interval, "enabled": True, "expire_seconds": every * 2},
    )
    return created
