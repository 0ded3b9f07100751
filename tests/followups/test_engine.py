from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction
from django_celery_beat.models import PeriodicTask

from followups.engine import followup_deliver, followups_claim_due, followups_dispatch
from followups.models import Delivery, FollowUp
from kat_clinic.roles import Role
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

S = FollowUp.Status


def test_claim_takes_only_due_pending_rows(clinic, daytime):
    # given
    due = FollowUpFactory(clinic=clinic, due_at=daytime - dt.timedelta(minutes=1))
    FollowUpFactory(clinic=clinic, due_at=daytime + dt.timedelta(minutes=1))
    FollowUpFactory(clinic=clinic, due_at=daytime - dt.timedelta(minutes=1), status=S.CANCELLED)

    # when
    claims = followups_claim_due(now=daytime)

    # then
    assert claims == [(due.pk, 1)]
    due.refresh_from_db()
    assert due.status == S.CLAIMED
    assert due.lease_expires_at == daytime + dt.timedelta(seconds=120)


def test_a_claim_with_a_live_lease_is_not_claimed_again(clinic, daytime):
    # given
    FollowUpFactory(clinic=clinic, due_at=daytime)
    followups_claim_due(now=daytime)

    # when
    again = followups_claim_due(now=daytime + dt.timedelta(seconds=119))

    # then
    assert again == []


def test_a_claim_whose_lease_expired_is_claimed_again_with_a_new_token(clinic, daytime):
    # given
    followup = FollowUpFactory(clinic=clinic, due_at=daytime)
    followups_claim_due(now=daytime)

    # when
    again = followups_claim_due(now=daytime + dt.timedelta(seconds=121))

    # then
    assert again == [(followup.pk, 2)]


def test_a_row_out_of_claims_is_failed_instead_of_claimed(clinic, daytime, settings):
    # given
    settings.FOLLOWUP_MAX_ATTEMPTS = 2
    followup = FollowUpFactory(clinic=clinic, due_at=daytime)
    followups_claim_due(now=daytime)
    followups_claim_due(now=daytime + dt.timedelta(seconds=121))

    # when
    again = followups_claim_due(now=daytime + dt.timedelta(seconds=242))

    # then
    assert again == []
    followup.refresh_from_db()
    assert (followup.status, followup.attempts) == (S.FAILED, 2)
    assert followup.last_error == "gave up: lease expired on every claim"


def test_delivery_sends_once_and_records_it(clinic, daytime, sent):
    # given
    followup = FollowUpFactory(clinic=clinic, due_at=daytime, idempotency_key="k1")
    [(pk, claim)] = followups_claim_due(now=daytime)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=daytime)

    # then
    assert outcome == "sent"
    assert sent() == {"k1": 1}
    followup.refresh_from_db()
    assert (followup.status, followup.lease_expires_at) == (S.SENT, None)
    assert followup.sent_at is not None
    assert Delivery.objects.get(followup=followup).state == Delivery.State.SENT


def test_running_the_same_delivery_twice_sends_once(clinic, daytime, sent):
    # given
    FollowUpFactory(clinic=clinic, due_at=daytime, idempotency_key="k1")
    [(pk, claim)] = followups_claim_due(now=daytime)
    followup_deliver(followup_id=pk, claim=claim, now=daytime)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=daytime)

    # then
    assert outcome == "stale"
    assert sent() == {"k1": 1}


def test_a_delivery_for_an_old_claim_does_nothing(clinic, daytime, sent):
    # given
    followup = FollowUpFactory(clinic=clinic, due_at=daytime, idempotency_key="k1")
    followups_claim_due(now=daytime)
    followups_claim_due(now=daytime + dt.timedelta(seconds=121))

    # when
    outcome = followup_deliver(followup_id=followup.pk, claim=1, now=daytime)

    # then
    assert outcome == "stale"
    assert sent() == {}
    assert not Delivery.objects.exists()


def _interrupt_after_intent(followup: FollowUp, *, now: dt.datetime) -> None:
    """What a worker killed inside the provider call leaves behind: intent committed, lease running."""
    Delivery.objects.create(followup=followup, provider_key=followup.idempotency_key, channel=followup.channel, tries=1)


def test_an_interrupted_send_the_provider_saw_is_recorded_without_sending_again(clinic, daytime, sent, provider_dir):
    # given: the first try reached the provider, then its worker died
    followup = FollowUpFactory(clinic=clinic, due_at=daytime, idempotency_key="k1")
    followups_claim_due(now=daytime)
    _interrupt_after_intent(followup, now=daytime)
    (provider_dir / "sent.log").write_text("k1\tsms\t+1\n")
    [(pk, claim)] = followups_claim_due(now=daytime + dt.timedelta(seconds=121))

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=daytime + dt.timedelta(seconds=121))

    # then
    assert outcome == "sent"
    assert sent() == {"k1": 1}
    followup.refresh_from_db()
    assert followup.status == S.SENT


def test_an_interrupted_send_the_provider_never_saw_is_sent_once(clinic, daytime, sent):
    # given: the first try died after writing its intent, before the provider call
    followup = FollowUpFactory(clinic=clinic, due_at=daytime, idempotency_key="k1")
    followups_claim_due(now=daytime)
    _interrupt_after_intent(followup, now=daytime)
    [(pk, claim)] = followups_claim_due(now=daytime + dt.timedelta(seconds=121))

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=daytime + dt.timedelta(seconds=121))

    # then
    assert outcome == "sent"
    assert sent() == {"k1": 1}
    assert Delivery.objects.get(followup=followup).tries == 2


def test_an_interrupted_send_the_provider_cannot_check_is_held_for_review(clinic, daytime, settings):
    # given: the logging SMS provider cannot say what it sent
    settings.FOLLOWUP_SMS_PROVIDER = "followups.channels.LoggingSmsProvider"
    followup = FollowUpFactory(clinic=clinic, due_at=daytime)
    followups_claim_due(now=daytime)
    _interrupt_after_intent(followup, now=daytime)
    [(pk, claim)] = followups_claim_due(now=daytime + dt.timedelta(seconds=121))

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=daytime + dt.timedelta(seconds=121))

    # then
    assert outcome == "held"
    followup.refresh_from_db()
    assert followup.status == S.FAILED
    assert "not resent" in followup.last_error
    assert Delivery.objects.get(followup=followup).state == Delivery.State.UNKNOWN


def test_a_refused_send_is_retried_later_with_backoff(clinic, daytime, settings):
    # given
    settings.FOLLOWUP_SMS_PROVIDER = "tests.followups.test_engine.RefusingProvider"
    followup = FollowUpFactory(clinic=clinic, due_at=daytime)
    [(pk, claim)] = followups_claim_due(now=daytime)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=daytime)

    # then
    assert outcome == "retry"
    followup.refresh_from_db()
    assert followup.status == S.PENDING
    assert followup.last_error == "gateway busy"
    assert followup.due_at >= daytime + dt.timedelta(seconds=30)
    assert Delivery.objects.get(followup=followup).state == Delivery.State.NOT_SENT


def test_backoff_doubles_and_is_capped():
    from followups.engine import retry_delay

    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 12)] == [30, 60, 120, 240, 3600]


class RefusingProvider:
    def send(self, message):
        from followups.channels import ProviderRefused

        raise ProviderRefused("gateway busy")

    def lookup(self, key):
        return False


def test_a_patient_who_opted_out_of_sms_gets_nothing(clinic, daytime, sent):
    # given
    followup = FollowUpFactory(clinic=clinic, due_at=daytime, patient__sms_opt_in=False)
    [(pk, claim)] = followups_claim_due(now=daytime)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=daytime)

    # then
    assert outcome == "cancelled"
    assert sent() == {}
    followup.refresh_from_db()
    assert followup.status == S.CANCELLED
    assert "opted in to SMS" in followup.last_error


def test_quiet_hours_postpone_a_patient_message_to_the_local_morning(clinic, sent):
    # given: 23:30 in New York, quiet hours 21:00-08:00
    night = dt.datetime(2026, 6, 10, 23, 30, tzinfo=clinic.tz)
    followup = FollowUpFactory(clinic=clinic, due_at=night)
    [(pk, claim)] = followups_claim_due(now=night)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=night)

    # then
    assert outcome == "postponed"
    assert sent() == {}
    followup.refresh_from_db()
    assert followup.status == S.PENDING
    assert followup.due_at == dt.datetime(2026, 6, 11, 8, 0, tzinfo=clinic.tz)


def test_quiet_hours_end_on_the_local_clock_across_a_dst_change(clinic):
    from followups.rules import quiet_hours_end

    # New York springs forward on 2026-03-08 at 02:00
    night = dt.datetime(2026, 3, 7, 22, 0, tzinfo=clinic.tz)

    assert quiet_hours_end(clinic, night) == dt.datetime(2026, 3, 8, 8, 0, tzinfo=clinic.tz)
    assert quiet_hours_end(clinic, night).utcoffset() == dt.timedelta(hours=-4)


def test_a_staff_alert_is_delivered_in_app_without_a_provider(clinic, daytime, sent):
    # given
    followup = FollowUpFactory(
        clinic=clinic,
        due_at=daytime,
        target=FollowUp.Target.ROLE,
        role=Role.SCHEDULER,
        channel=FollowUp.Channel.IN_APP,
        kind=FollowUp.Kind.BOOSTER_DUE,
    )
    [(pk, claim)] = followups_claim_due(now=daytime)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=daytime)

    # then: staff alerts are sent in the queue even at night; no provider call
    assert outcome == "sent"
    assert sent() == {}
    followup.refresh_from_db()
    assert followup.status == S.SENT


def test_the_dispatcher_refuses_to_run_inside_a_transaction():
    with transaction.atomic(), pytest.raises(RuntimeError):
        followups_dispatch()


def test_migrate_registers_the_dispatcher_and_setup_beat_keeps_one():
    # given: migrations have run
    assert PeriodicTask.objects.filter(task="integration.dispatch_followups").count() == 1

    # when
    call_command("setup_beat")
    call_command("setup_beat")

    # then
    task = PeriodicTask.objects.get(task="integration.dispatch_followups")
    assert (task.interval.every, task.interval.period, task.enabled) == (5, "seconds", True)
    assert PeriodicTask.objects.filter(task="integration.dispatch_followups").count() == 1


def test_the_delivery_task_is_acked_late_and_never_waits_longer_than_the_visibility_timeout(settings):
    from followups.tasks import deliver_followup

    assert deliver_followup.acks_late is True
    assert deliver_followup.reject_on_worker_lost is True
    assert deliver_followup.retry_backoff_max < settings.CELERY_VISIBILITY_TIMEOUT_SECONDS
