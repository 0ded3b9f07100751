"""Delivering a batch of claims: the rows locked, their intents written and their outcomes recorded
together, so a backlog costs a fixed handful of queries per batch rather than per row."""

from __future__ import annotations

import pytest

from followups import engine
from followups.engine import delivery_batches, followups_claim_due, followups_deliver
from followups.models import Delivery, FollowUp
from tests.followups.factories import FollowUpFactory
from tests.followups.recording_provider import RecordingProvider

pytestmark = pytest.mark.django_db

S = FollowUp.Status


def _due(clinic, daytime, n: int) -> list[FollowUp]:
    return [FollowUpFactory(clinic=clinic, due_at=daytime, idempotency_key=f"b{i}") for i in range(n)]


def test_a_batch_of_25_is_delivered_once_each_in_a_fixed_number_of_queries(
    clinic, daytime, sent, django_assert_max_num_queries
):
    # given
    followups = _due(clinic, daytime, 25)
    claims = followups_claim_due(now=daytime)

    # when
    with django_assert_max_num_queries(12):
        outcomes = followups_deliver(claims=claims, now=daytime)

    # then
    assert outcomes == {f.pk: "sent" for f in followups}
    assert sent() == {f"b{i}": 1 for i in range(25)}
    rows = FollowUp.objects.filter(pk__in=[f.pk for f in followups])
    assert set(rows.values_list("status", "lease_expires_at", "last_error")) == {(S.SENT, None, "")}
    deliveries = Delivery.objects.filter(followup__in=followups)
    assert sorted(deliveries.values_list("provider_message_id", flat=True)) == sorted(f"rec-b{i}" for i in range(25))
    assert set(deliveries.values_list("state", "tries")) == {(Delivery.State.SENT, 1)}


def test_a_batch_mixes_stale_claims_and_fresh_ones(clinic, daytime, sent):
    # given: one row's claim is an old one
    first, second = _due(clinic, daytime, 2)
    claims = dict(followups_claim_due(now=daytime))

    # when
    outcomes = followups_deliver(claims=[(first.pk, claims[first.pk] + 1), (second.pk, claims[second.pk])], now=daytime)

    # then
    assert outcomes == {first.pk: "stale", second.pk: "sent"}
    assert sent() == {"b1": 1}
    assert not Delivery.objects.filter(followup=first).exists()


def test_a_provider_failure_mid_batch_records_what_went_out_and_gives_back_what_never_left(
    clinic, daytime, sent, monkeypatch
):
    # given: the provider breaks down unexpectedly on the second message of three
    followups = _due(clinic, daytime, 3)
    claims = followups_claim_due(now=daytime)
    real_send = RecordingProvider.send

    def send(self, message):
        if message.idempotency_key == "b1":
            raise ConnectionResetError("gateway went away")
        return real_send(self, message)

    monkeypatch.setattr(RecordingProvider, "send", send)

    # when
    with pytest.raises(ConnectionResetError):
        followups_deliver(claims=claims, now=daytime)

    # then: the first is recorded as sent; the second may have reached the gateway, so it stays
    # "sending" under its lease (the next try asks the provider); the third is due again at once
    sent_row, unknown, never = (FollowUp.objects.get(pk=f.pk) for f in followups)
    assert sent() == {"b0": 1}
    assert (sent_row.status, sent_row.delivery.state) == (S.SENT, Delivery.State.SENT)
    assert (unknown.status, unknown.delivery.state) == (S.CLAIMED, Delivery.State.SENDING)
    assert unknown.lease_expires_at is not None
    assert (never.status, never.delivery.state, never.attempts) == (S.PENDING, Delivery.State.NOT_SENT, 1)
    assert never.lease_expires_at is None


def test_a_batch_that_runs_short_of_lease_gives_back_the_rest_unsent(clinic, daytime, sent, monkeypatch, settings):
    # given: no time left in the lease once the batch is prepared
    settings.FOLLOWUP_LEASE_SECONDS = 0
    followups = _due(clinic, daytime, 2)
    claims = followups_claim_due(now=daytime)
    ticks = iter(range(100))
    monkeypatch.setattr(engine, "monotonic", lambda: next(ticks))

    # when
    outcomes = followups_deliver(claims=claims, now=daytime)

    # then
    assert outcomes == {f.pk: "released" for f in followups}
    assert sent() == {}
    assert set(FollowUp.objects.values_list("status", flat=True)) == {S.PENDING}


def test_claims_are_published_in_batches_of_the_configured_size(settings):
    settings.FOLLOWUP_DELIVERY_BATCH = 2
    claims = [(1, 1), (2, 1), (3, 2), (4, 1), (5, 1)]
    assert delivery_batches(claims) == [[(1, 1), (2, 1)], [(3, 2), (4, 1)], [(5, 1)]]
