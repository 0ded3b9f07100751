"""The follow-up engine: claim due rows with a lease, deliver each exactly once.

Exactly-once rests on PostgreSQL, never on Redis:
- `followups_dispatch` claims due rows (and rows whose lease ran out) in one statement with
  `FOR UPDATE SKIP LOCKED`, so two dispatchers never claim the same row; each claim bumps
  `attempts`, which the delivery task carries as a fencing token.
- The delivery task is published after the claim commits. If Redis loses it (flush, restart,
  worker killed), nothing waits on Redis: the lease runs out and the next pass claims it again.
- Before the provider call, `followup_deliver` commits a Delivery in state "sending" with the key the
  provider receives. A later try that finds "sending" asks the provider (`lookup`) before sending,
  so a crash between the provider call and our commit does not send twice.
- The provider call must finish well inside the lease, or a re-claim could overlap it: providers
  get timeouts shorter than FOLLOWUP_LEASE_SECONDS.
- Webhook rows (channel "webhook", target "endpoint", written by `interop`) skip the patient rules
  (quiet hours, opt-ins, the privacy filter). Their provider answers `lookup` with False, so an
  interrupted try is sent again under the same webhook-id: at least once, receivers dedupe. A
  provider that must never send a row (its endpoint gone or refused) raises ProviderDropped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from followups import rules
from followups.channels import OutboundMessage, ProviderDropped, ProviderRefused, provider_for
from followups.conf import conf
from followups.messages import UnsafePatientMessage, recipient_address, render_message
from followups.models import Delivery, FollowUp
from kat_clinic.patient_messages import patient_facing_name_problem
from kat_clinic.services import clinic_message_problem_record
from monitoring.services.alerts import alert_mark_notified

logger = logging.getLogger(__name__)

Status = FollowUp.Status

# One statement claims a batch. A row that ran out of claims is failed instead of claimed again.
_CLAIM_SQL = """
WITH due AS (
    SELECT id FROM followups_followup
    WHERE (status = 'pending' AND due_at <= %(now)s)
       OR (status = 'claimed' AND lease_expires_at < %(now)s)
    ORDER BY due_at
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
)
UPDATE followups_followup AS f SET
    status = CASE WHEN f.attempts >= %(max_attempts)s THEN 'failed' ELSE 'claimed' END,
    attempts = CASE WHEN f.attempts >= %(max_attempts)s THEN f.attempts ELSE f.attempts + 1 END,
    lease_expires_at = CASE WHEN f.attempts >= %(max_attempts)s THEN NULL ELSE %(lease_until)s END,
    last_error = CASE WHEN f.attempts >= %(max_attempts)s
                      THEN 'gave up: lease expired on every claim' ELSE f.last_error END
FROM due WHERE f.id = due.id
RETURNING f.id, f.attempts, f.status
"""


def _lease_until(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS)


def followups_claim_due(*, now: dt.datetime | None = None, batch: int | None = None) -> list[tuple[int, int]]:
    """Claim up to `batch` due follow-ups; returns [(id, claim)] of the rows now claimed by us."""
    now = now or timezone.now()
    params = {
        "now": now,
        "batch": batch or conf("FOLLOWUP_DISPATCH_BATCH"),
        "max_attempts": conf("FOLLOWUP_MAX_ATTEMPTS"),
        "lease_until": _lease_until(now),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, params)
        rows = cursor.fetchall()
    return [(pk, attempts) for pk, attempts, status in rows if status == Status.CLAIMED]


def followups_publish(claims: list[tuple[int, int]]) -> None:
    """Publish one delivery task per claim. Called after the claim committed, never inside it.

    A failure here loses nothing: the rows stay claimed and are claimed again when the lease ends.
    """
    if not claims:
        return
    from followups.tasks import deliver_followup
    from kat_clinic.celery import app

    queue_name = app.conf.task_default_queue
    try:
        with app.producer_or_acquire() as producer:
            # Declared on every pass, not through kombu's declaration cache: a Redis flush removes
            # the queue binding, and without it the Redis transport silently drops what we publish.
            app.amqp.queues[queue_name].bind(producer.channel).declare()
            for pk, claim in claims:
                deliver_followup.apply_async((pk, claim), producer=producer, queue=queue_name)
    except Exception:  # the broker is down: the lease brings these rows back
        logger.exception("publishing %d follow-up deliveries failed; they will be claimed again", len(claims))


def followups_dispatch(*, now: dt.datetime | None = None, batch: int | None = None) -> int:
    """One dispatcher pass: claim a batch, then publish after commit. Returns how many were claimed."""
    if connection.in_atomic_block:
        raise RuntimeError("followups_dispatch publishes to the broker; call it outside a transaction")
    claims = followups_claim_due(now=now, batch=batch)
    followups_publish(claims)
    return len(claims)


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff between tries, capped."""
    base, cap = conf("FOLLOWUP_RETRY_BASE_SECONDS"), conf("FOLLOWUP_RETRY_MAX_SECONDS")
    return dt.timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


@dataclass
class _Prepared:
    followup: FollowUp
    delivery: Delivery
    message: OutboundMessage
    interrupted_before: bool


def followup_deliver(*, followup_id: int, claim: int, now: dt.datetime | None = None) -> str:
    """Deliver one claimed follow-up. Safe to run twice: a stale or finished claim is a no-op.

    Returns what happened: sent, stale, cancelled, postponed, retry, failed or held.
    """
    now = now or timezone.now()
    prepared = _prepare(followup_id=followup_id, claim=claim, now=now)
    if isinstance(prepared, str):
        return prepared
    message, provider = prepared.message, provider_for(prepared.message.channel)

    if prepared.interrupted_before:
        # An earlier try wrote its intent and then died: it may or may not have reached the provider.
        seen = provider.lookup(message.idempotency_key)
        if seen is True:
            return _record_sent(prepared, provider_message_id="", now=timezone.now())
        if seen is None:
            return _record_held(prepared, now=timezone.now())

    try:
        provider_message_id = provider.send(message)
    except ProviderRefused as exc:
        return _record_refused(prepared, error=str(exc), now=timezone.now())
    except ProviderDropped as exc:
        return _record_dropped(prepared, error=str(exc), status=exc.status, now=timezone.now())
    return _record_sent(prepared, provider_message_id=provider_message_id, now=timezone.now())


def _prepare(*, followup_id: int, claim: int, now: dt.datetime) -> _Prepared | str:
    """Under the row lock: check the claim is ours, apply the patient rules, commit the intent."""
    with transaction.atomic():
        followup = (
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("clinic", "patient", "session", "staff__user", "alert")
            .filter(pk=followup_id)
            .first()
        )
        if followup is None or followup.status != Status.CLAIMED or followup.attempts != claim:
            return "stale"

        reason = rules.no_longer_needed(followup, now=now)
        if reason:
            _finish(followup, status=Status.CANCELLED, error=reason, now=now)
            return "cancelled"

        if followup.target == FollowUp.Target.STAFF:
            refusal = rules.staff_refuses(followup)
            if refusal:
                _finish(followup, status=Status.CANCELLED, error=refusal, now=now)
                return "cancelled"

        if followup.target == FollowUp.Target.PATIENT:
            refusal = rules.patient_refuses(followup)
            if refusal:
                _finish(followup, status=Status.CANCELLED, error=refusal, now=now)
                return "cancelled"
            quiet_until = rules.quiet_hours_end(followup.clinic, now)
            if quiet_until is not None:
                # Postponed, not dropped. `attempts` is not given back: it is also the fencing token,
                # and a claim number must never be reused.
                followup.status, followup.due_at, followup.lease_expires_at = Status.PENDING, quiet_until, None
                followup.save(update_fields=["status", "due_at", "lease_expires_at"])
                return "postponed"

        if followup.channel == FollowUp.Channel.IN_APP:
            # The row is the alert: delivering it is making it visible in the staff queue.
            _finish(followup, status=Status.SENT, error="", now=now)
            if followup.kind == FollowUp.Kind.CLINICAL_ALERT:
                alert_mark_notified(alert_id=followup.alert_id, at=now)
            return "sent"

        if followup.channel == FollowUp.Channel.WEBHOOK:
            # System to system: the patient-message rules (quiet hours, the privacy filter) do not apply.
            message = webhook_message(followup)
        else:
            try:
                subject, body = render_message(followup)
            except UnsafePatientMessage as exc:
                # Not a delivery failure but the clinic's configuration (its name, most likely): the
                # clinic's admin sees why on the clinic (API and admin) and on the follow-up.
                problem = patient_facing_name_problem(followup.clinic.name_for_patients) or (
                    f"A patient message ({followup.get_kind_display()}) was not sent: {exc}."
                )
                _finish(followup, status=Status.FAILED, error=f"configuration error: {problem}", now=now)
                clinic_message_problem_record(clinic_id=followup.clinic_id, problem=problem, at=now)
                return "failed"
            message = OutboundMessage(
                channel=followup.channel,
                to=recipient_address(followup),
                subject=subject,
                body=body,
                idempotency_key=followup.idempotency_key,
            )
        # The follow-up's row lock serialises every try of this follow-up, so no savepoint dance.
        delivery = Delivery.objects.filter(followup=followup).first()
        interrupted_before = delivery is not None and delivery.state == Delivery.State.SENDING
        if delivery is None:
            delivery = Delivery.objects.create(
                followup=followup,
                provider_key=followup.idempotency_key,
                channel=followup.channel,
                state=Delivery.State.SENDING,
                tries=1,
                started_at=now,
            )
        elif delivery.state in (Delivery.State.SENT, Delivery.State.UNKNOWN):
            # Already settled by an earlier try whose follow-up update was lost: settle it again.
            status = Status.SENT if delivery.state == Delivery.State.SENT else Status.FAILED
            _finish(followup, status=status, error=followup.last_error, now=now)
            return "stale"
        else:
            delivery.state, delivery.tries, delivery.started_at = Delivery.State.SENDING, delivery.tries + 1, now
            delivery.save(update_fields=["state", "tries", "started_at"])
        # A whole lease for the provider call, counted from now.
        followup.lease_expires_at = _lease_until(now)
        followup.save(update_fields=["lease_expires_at"])
    return _Prepared(followup=followup, delivery=delivery, message=message, interrupted_before=interrupted_before)


def webhook_message(followup: FollowUp) -> OutboundMessage:
    """A webhook row as the provider receives it: the endpoint, the event type, the JSON body (the
    same bytes on every try) and the stable webhook-id, which receivers dedupe on."""
    payload = followup.payload
    event = payload["event"]
    return OutboundMessage(
        channel=followup.channel,
        to=str(payload["endpoint_id"]),
        subject=event["type"],
        body=json.dumps(event, separators=(",", ":"), sort_keys=True),
        idempotency_key=payload["webhook_id"],
    )


def _finish(followup: FollowUp, *, status: str, error: str, now: dt.datetime) -> None:
    followup.status, followup.last_error, followup.lease_expires_at = status, error, None
    fields = ["status", "last_error", "lease_expires_at"]
    if status == Status.SENT:
        followup.sent_at = now
        fields.append("sent_at")
    if status == Status.CANCELLED:
        followup.cancelled_at = now
        fields.append("cancelled_at")
    followup.save(update_fields=fields)


@transaction.atomic
def _record_sent(prepared: _Prepared, *, provider_message_id: str, now: dt.datetime) -> str:
    Delivery.objects.filter(pk=prepared.delivery.pk).update(
        state=Delivery.State.SENT, provider_message_id=provider_message_id, finished_at=now
    )
    # Conditional: only a claimed row becomes sent (a cancel that raced the call keeps its status).
    FollowUp.objects.filter(pk=prepared.followup.pk, status=Status.CLAIMED).update(
        status=Status.SENT, sent_at=now, lease_expires_at=None, last_error=""
    )
    return "sent"


@transaction.atomic
def _record_refused(prepared: _Prepared, *, error: str, now: dt.datetime) -> str:
    Delivery.objects.filter(pk=prepared.delivery.pk).update(state=Delivery.State.NOT_SENT, finished_at=now)
    followup = prepared.followup
    if followup.attempts >= conf("FOLLOWUP_MAX_ATTEMPTS"):
        FollowUp.objects.filter(pk=followup.pk, status=Status.CLAIMED, attempts=followup.attempts).update(
            status=Status.FAILED, lease_expires_at=None, last_error=error[:2000]
        )
        return "failed"
    FollowUp.objects.filter(pk=followup.pk, status=Status.CLAIMED, attempts=followup.attempts).update(
        status=Status.PENDING,
        due_at=now + retry_delay(followup.attempts),
        lease_expires_at=None,
        last_error=error[:2000],
    )
    return "retry"


@transaction.atomic
def _record_dropped(prepared: _Prepared, *, error: str, status: str, now: dt.datetime) -> str:
    Delivery.objects.filter(pk=prepared.delivery.pk).update(state=Delivery.State.NOT_SENT, finished_at=now)
    fields = {"status": status, "lease_expires_at": None, "last_error": error[:2000]}
    if status == Status.CANCELLED:
        fields["cancelled_at"] = now
    FollowUp.objects.filter(pk=prepared.followup.pk, status=Status.CLAIMED, attempts=prepared.followup.attempts).update(
        **fields
    )
    return status


@transaction.atomic
def _record_held(prepared: _Prepared, *, now: dt.datetime) -> str:
    Delivery.objects.filter(pk=prepared.delivery.pk).update(state=Delivery.State.UNKNOWN, finished_at=now)
    FollowUp.objects.filter(pk=prepared.followup.pk, status=Status.CLAIMED).update(
        status=Status.FAILED,
        lease_expires_at=None,
        last_error=(
            "interrupted during the provider call and the provider cannot tell whether it was sent; "
            "not resent, to avoid a duplicate: review"
        ),
    )
    return "held"
