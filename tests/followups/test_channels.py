from __future__ import annotations

import datetime as dt
import logging

import pytest
import redis
from django.conf import settings as django_settings
from django.core import mail

from followups.engine import followup_deliver, followups_claim_due
from followups.models import FollowUp
from followups.planners import followups_cancel_for_enrollment
from followups.tasks import dispatch_followups
from tests.followups.factories import FollowUpFactory

S = FollowUp.Status


@pytest.mark.django_db
def test_an_email_follow_up_goes_through_djangos_email_backend(clinic, daytime, settings):
    # given
    settings.FOLLOWUP_EMAIL_PROVIDER = "followups.channels.DjangoEmailProvider"
    followup = FollowUpFactory(
        clinic=clinic,
        channel=FollowUp.Channel.EMAIL,
        idempotency_key="checkin_link:s1:20260611T1400Z",
        due_at=daytime,
    )
    [(pk, claim)] = followups_claim_due(now=daytime)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=daytime)

    # then
    assert outcome == "sent"
    [email] = mail.outbox
    assert email.to == [followup.patient.email]
    assert email.subject == "A short check-in from Midtown"
    assert email.extra_headers["X-Idempotency-Key"] == "checkin_link:s1:20260611T1400Z"
    assert "/checkin/" in email.body
    assert followup.patient.last_name not in email.body


@pytest.mark.django_db
def test_the_logging_sms_provider_masks_the_number(clinic, daytime, settings, caplog):
    # given
    settings.FOLLOWUP_SMS_PROVIDER = "followups.channels.LoggingSmsProvider"
    followup = FollowUpFactory(clinic=clinic, idempotency_key="k-log", patient__phone="+1 212 555 0177", due_at=daytime)
    [(pk, claim)] = followups_claim_due(now=daytime)

    # when
    with caplog.at_level(logging.INFO, logger="followups.channels"):
        followup_deliver(followup_id=pk, claim=claim, now=daytime)

    # then
    [record] = [r for r in caplog.records if r.name == "followups.channels"]
    assert "***77 key=k-log" in record.getMessage()
    assert "555" not in record.getMessage()
    followup.refresh_from_db()
    assert followup.delivery.provider_message_id == "log-k-log"


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_drains_a_backlog_in_batches(clinic, settings, _isolated_celery_queue):
    # given
    settings.FOLLOWUP_DISPATCH_BATCH = 3
    for n in range(7):
        FollowUpFactory(clinic=clinic, idempotency_key=f"batch:{n}")
    broker = redis.Redis.from_url(django_settings.REDIS_URL)

    try:
        # when
        claimed = dispatch_followups()

        # then: every row claimed, one delivery task per pass's batch on the broker (3 + 3 + 1)
        assert claimed == 7
        assert FollowUp.objects.filter(status=S.CLAIMED).count() == 7
        assert broker.llen(_isolated_celery_queue) == 3
    finally:
        broker.delete(_isolated_celery_queue)
        broker.close()


@pytest.mark.django_db
def test_an_ended_enrollment_stops_its_open_follow_ups(clinic):
    # given
    class Ended:
        pk, status = 41, "withdrawn"

    open_one = FollowUpFactory(
        clinic=clinic, payload={"enrollment_id": 41}, due_at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    )
    sent_one = FollowUpFactory(clinic=clinic, payload={"enrollment_id": 41}, status=S.SENT)
    other = FollowUpFactory(clinic=clinic, payload={"enrollment_id": 42})

    # when
    cancelled = followups_cancel_for_enrollment(enrollment=Ended())

    # then
    assert cancelled == 1
    statuses = {f.pk: f.status for f in FollowUp.objects.all()}
    assert statuses == {open_one.pk: S.CANCELLED, sent_one.pk: S.SENT, other.pk: S.PENDING}
