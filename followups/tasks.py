"""Thin Celery tasks around the engine. Each is safe to run twice."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from followups.beat import FOLD_TASK
from followups.conf import conf
from followups.engine import followup_deliver, followups_deliver, followups_dispatch
from followups.services import queue_tallies_fold

# A retry's countdown is a broker ETA; it must stay well inside the visibility timeout, or Redis
# would hand the message to a second worker while the first still holds it.
RETRY_COUNTDOWN_CAP_SECONDS = min(60, settings.CELERY_VISIBILITY_TIMEOUT_SECONDS // 4)


# Both delivery tasks: acknowledged after the work, retried with backoff on a database error.
DELIVERY_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": RETRY_COUNTDOWN_CAP_SECONDS,
    "retry_jitter": True,
    "max_retries": 5,
    "ignore_result": True,
}


@shared_task(name="integration.deliver_followup", **DELIVERY_TASK_OPTIONS)
def deliver_followup(followup_id: int, claim: int) -> str:
    # One claim: the task published before batches (messages still queued at an upgrade).
    # If retries run out, nothing is lost: the row stays claimed and its lease brings it back.
    return followup_deliver(followup_id=followup_id, claim=claim)


@shared_task(name="integration.deliver_followups", **DELIVERY_TASK_OPTIONS)
def deliver_followups(claims: list[list[int]]) -> dict[int, str]:
    """A batch of claims, [[follow-up id, claim], ...]: what the dispatcher publishes. A retry after
    a database error is safe: settled rows are stale, interrupted ones are settled by lookup."""
    return followups_deliver(claims=[(pk, claim) for pk, claim in claims])


@shared_task(name="integration.dispatch_followups", ignore_result=True)
def dispatch_followups() -> int:
    """Run by beat every few seconds. Drains a backlog in batches, within one beat interval."""
    deadline = time.monotonic() + conf("FOLLOWUP_DISPATCH_INTERVAL_SECONDS")
    batch = conf("FOLLOWUP_DISPATCH_BATCH")
    total = 0
    while True:
        claimed = followups_dispatch(batch=batch)
        total += claimed
        if claimed < batch or time.monotonic() >= deadline:
            return total


@shared_task(name=FOLD_TASK, ignore_result=True)
def fold_queue_tallies() -> int:
    """Run by beat every minute: keeps the queue's tally a few rows per clinic."""
    return queue_tallies_fold()
