"""The follow-up engine: claim due rows with a lease, deliver each exactly once.

Exactly-once rests on PostgreSQL, never on Redis:
- `followups_dispatch` claims due rows (and rows whose lease ran out) in one statement with
  `FOR UPDATE SKIP LOCKED`, so two dispatchers never claim the same row; each claim bumps
  `attempts`, which the delivery task carries as a fencing token.
- Delivery tasks, one per batch of claims (FOLLOWUP_DELIVERY_BATCH), are published after the claim
  commits. If Redis loses one (flush, restart, worker killed), nothing waits on Redis: the lease
  runs out and the next pass claims its rows again.
- Before the provider calls, `followups_deliver` commits, for the whole batch, a Delivery in state
  "sending" with the key the provider receives; what went out is recorded in one transaction after
  the calls. A later try that finds "sending" asks the provider (`lookup`) before sending, so a
  crash between a provider call and our commit does not send twice. Rows of the batch whose
  provider was never asked (the task failed or ran short of lease) are given back at once.
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
from time import monotonic

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


def delivery_batches(claims: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The claims in groups of FOLLOWUP_DELIVERY_BATCH: one delivery task each."""
    size = max(1, conf("FOLLOWUP_DELIVERY_BATCH"))
    return [claims[i : i + size] for i in range(0, len(claims), size)]


def followups_publish(claims: list[tuple[int, int]]) -> None:
    """Publish one delivery task per batch of claims. Called after the claim committed, never inside it.

    A failure here loses nothing: the rows stay claimed and are claimed again when the lease ends.
    """
    if not claims:
        return
    from followups.tasks import deliver_followups
    from kat_clinic.celery import app

    queue_name = app.conf.task_default_queue
    try:
        with app.producer_or_acquire() as producer:
            # Declared on every pass, not through kombu's declaration cache: a Redis flush removes
            # the queue binding, and without it the Redis transport silently drops what we publish.
            app.amqp.queues[queue_name].bind(producer.channel).declare()
            for batch in delivery_batches(claims):
                deliver_followups.apply_async((batch,), producer=producer, queue=queue_name)
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

    Returns what happened: sent, stale, cancelled, postponed, retry, failed, held or released
    (given back to the queue unsent).
    """
    return followups_deliver(claims=[(followup_id, claim)], now=now)[followup_id]


def followups_deliver(*, claims: list[tuple[int, int]], now: dt.datetime | None = None) -> dict[int, str]:
    """Deliver a batch of claimed follow-ups: {id: what happened}, as `followup_deliver` says it.

    One transaction locks the batch's rows, applies the rules and commits every intent ("sending");
    then each message goes to its provider; then one transaction records what went out. A worker
    killed in between leaves the batch's intents behind: the lease brings the rows back and each is
    settled by asking the provider, as a single interrupted try is.
    """
    now = now or timezone.now()
    outcomes, prepared = _prepare_batch(claims=claims, now=now)
    # Every provider call of the batch starts inside the first half of the lease and ends within
    # its own timeout, well under the other half, so no re-claim overlaps a call.
    deadline = monotonic() + settings.FOLLOWUP_LEASE_SECONDS / 2
    sent: list[tuple[_Prepared, str]] = []
    asked = 0
    try:
        for item in prepared:
            if monotonic() > deadline:
                break
            asked += 1
            outcomes[item.followup.pk] = _send(item, sent)
    finally:
        # The provider was never asked for the rest: they go back to the queue at once.
        for item in _release(prepared[asked:], now=timezone.now()):
            outcomes[item.followup.pk] = "released"
        _record_sent_batch(sent, now=timezone.now())
    return outcomes


def _send(item: _Prepared, sent: list[tuple[_Prepared, str]]) -> str:
    """Ask the provider; a message that went out is added to `sent`, recorded with its batch."""
    message, provider = item.message, provider_for(item.message.channel)
    if item.interrupted_before:
        # An earlier try wrote its intent and then died: it may or may not have reached the provider.
        seen = provider.lookup(message.idempotency_key)
        if seen is True:
            sent.append((item, ""))
            return "sent"
        if seen is None:
            return _record_held(item, now=timezone.now())
    try:
        provider_message_id = provider.send(message)
    except ProviderRefused as exc:
        return _record_refused(item, error=str(exc), now=timezone.now())
    except ProviderDropped as exc:
        return _record_dropped(item, error=str(exc), status=exc.status, now=timezone.now())
    sent.append((item, provider_message_id))
    return "sent"


def _prepare_batch(*, claims: list[tuple[int, int]], now: dt.datetime) -> tuple[dict[int, str], list[_Prepared]]:
    """Under the rows' locks: check each claim is ours, apply the patient rules, commit the intents."""
    claim_of = dict(claims)
    outcomes: dict[int, str] = {pk: "stale" for pk in claim_of}
    with transaction.atomic():
        # In id order, so two batches never wait on each other's locks in a cycle.
        followups = list(
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("clinic", "patient", "session", "staff__user", "alert")
            .filter(pk__in=list(claim_of))
            .order_by("pk")
        )
        messages: list[tuple[FollowUp, OutboundMessage]] = []
        for followup in followups:
            judged = _judge(followup, claim=claim_of[followup.pk], now=now)
            if isinstance(judged, str):
                outcomes[followup.pk] = judged
            else:
                messages.append((followup, judged))
        if not messages:
            return outcomes, []
        # The rows' locks serialise every try of these follow-ups, so no savepoint dance.
        existing = {d.followup_id: d for d in Delivery.objects.filter(followup_id__in=[f.pk for f, _ in messages])}
        new: list[Delivery] = []
        again: list[Delivery] = []
        prepared: list[_Prepared] = []
        for followup, message in messages:
            delivery = existing.get(followup.pk)
            if delivery is None:
                delivery = Delivery(
                    followup=followup,
                    provider_key=followup.idempotency_key,
                    channel=followup.channel,
                    state=Delivery.State.SENDING,
                    tries=1,
                    started_at=now,
                )
                new.append(delivery)
            elif delivery.state in (Delivery.State.SENT, Delivery.State.UNKNOWN):
                # Already settled by an earlier try whose follow-up update was lost: settle it again.
                status = Status.SENT if delivery.state == Delivery.State.SENT else Status.FAILED
                _finish(followup, status=status, error=followup.last_error, now=now)
                continue
            else:
                interrupted = delivery.state == Delivery.State.SENDING
                delivery.state, delivery.tries, delivery.started_at = Delivery.State.SENDING, delivery.tries + 1, now
                again.append(delivery)
                prepared.append(_Prepared(followup, delivery, message, interrupted_before=interrupted))
                continue
            prepared.append(_Prepared(followup, delivery, message, interrupted_before=False))
        Delivery.objects.bulk_create(new)
        if again:
            Delivery.objects.bulk_update(again, ["state", "tries", "started_at"])
        if prepared:
            # A whole lease for the batch's provider calls, counted from now.
            lease = _lease_until(now)
            FollowUp.objects.filter(pk__in=[p.followup.pk for p in prepared]).update(lease_expires_at=lease)
            for p in prepared:
                p.followup.lease_expires_at = lease
    return outcomes, prepared


def _judge(followup: FollowUp, *, claim: int, now: dt.datetime) -> OutboundMessage | str:
    """Under the row lock: the message to send, or what happened instead (stale, cancelled,
    postponed, sent in-app, failed), already written."""
    if followup.status != Status.CLAIMED or followup.attempts != claim:
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
        return webhook_message(followup)
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
    return OutboundMessage(
        channel=followup.channel,
        to=recipient_address(followup),
        subject=subject,
        body=body,
        idempotency_key=followup.idempotency_key,
    )


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
def _record_sent_batch(sent: list[tuple[_Prepared, str]], *, now: dt.datetime) -> None:
    """Record the batch's messages that went out: two statements however many."""
    if not sent:
        return
    deliveries = []
    for item, provider_message_id in sent:
        delivery = item.delivery
        delivery.state, delivery.provider_message_id, delivery.finished_at = (
            Delivery.State.SENT,
            provider_message_id,
            now,
        )
        deliveries.append(delivery)
    Delivery.objects.bulk_update(deliveries, ["state", "provider_message_id", "finished_at"])
    # Conditional: only a claimed row becomes sent (a cancel that raced the call keeps its status).
    FollowUp.objects.filter(pk__in=[item.followup.pk for item, _ in sent], status=Status.CLAIMED).update(
        status=Status.SENT, sent_at=now, lease_expires_at=None, last_error=""
    )


@transaction.atomic
def _release(unsent: list[_Prepared], *, now: dt.datetime) -> list[_Prepared]:
    """Give back rows whose provider was never called (the batch stopped before them): their
    intent is closed as not sent and the row is due again at once, under the same fencing."""
    for item in unsent:
        Delivery.objects.filter(pk=item.delivery.pk, state=Delivery.State.SENDING).update(
            state=Delivery.State.NOT_SENT, finished_at=now
        )
        FollowUp.objects.filter(pk=item.followup.pk, status=Status.CLAIMED, attempts=item.followup.attempts).update(
            status=Status.PENDING, due_at=now, lease_expires_at=None
        )
    return unsent


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
