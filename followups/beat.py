"""The engine's beat entries: the dispatcher's, shared by its data migration and `manage.py
setup_beat`, and the queue tally's fold."""

from __future__ import annotations

DISPATCH_TASK_NAME = "integration: dispatch due follow-ups"
DISPATCH_TASK = "integration.dispatch_followups"
# Run by beat every minute (the periodic task is registered by migration 0007).
FOLD_TASK = "followups.fold_queue_tallies"


def register_dispatcher(*, periodic_task_model, interval_model, every: int) -> bool:
    """Create or update the periodic task; True if it was created. Safe to run any number of times."""
    interval, _ = interval_model.objects.get_or_create(every=every, period="seconds")
    _, created = periodic_task_model.objects.update_or_create(
        name=DISPATCH_TASK_NAME,
        defaults={
            "task": DISPATCH_TASK,
            "interval": interval,
            "enabled": True,
            # A pass that waited in the queue for several intervals is pointless: a newer one follows.
            "expire_seconds": every * 4,
        },
    )
    return created
