"""A vitals write, and a monitor's batch, in a fixed handful of queries: the clinic's policy and
thresholds read once, the readings inserted at once, the rules evaluated once over plain rows."""

from __future__ import annotations

import datetime as dt

import pytest

from monitoring.models import Alert, VitalSign
from monitoring.services.vitals import vitals_record

pytestmark = pytest.mark.django_db


def _reading(session, seconds: int, **values) -> dict:
    return {"measured_at": session.block_starts_at + dt.timedelta(seconds=seconds), **values}


def test_one_manual_reading_is_stored_and_judged_in_at_most_8_queries(session, nurse, django_assert_max_num_queries):
    # given
    reading = _reading(session, 600, systolic_mmhg=128, diastolic_mmhg=80, heart_rate_bpm=74, spo2_percent=98)

    # when
    with django_assert_max_num_queries(8):
        created, duplicates = vitals_record(session=session, by=nurse, readings=[reading])

    # then
    stored = VitalSign.objects.get()
    assert [r.pk for r in created] == [stored.pk]
    assert duplicates == 0
    assert (stored.systolic_mmhg, stored.diastolic_mmhg, stored.heart_rate_bpm, stored.spo2_percent) == (
        128,
        80,
        74,
        98,
    )
    assert stored.measured_at == reading["measured_at"]
    assert (stored.session_id, stored.patient_id, stored.entered_by_id) == (session.pk, session.patient_id, nurse.pk)
    assert not Alert.objects.exists()


def _monitor_batch(session, *, low_spo2: range = range(0)) -> list[dict]:
    """60 readings 20 s apart from a monitor; SpO2 89 % on the readings in `low_spo2`, else 97 %."""
    return [
        _reading(
            session,
            20 * i,
            heart_rate_bpm=80,
            spo2_percent=89 if i in low_spo2 else 97,
            source=VitalSign.Source.DEVICE,
            device_reading_id=f"mon-{i}",
        )
        for i in range(60)
    ]


def test_a_monitor_batch_of_60_readings_takes_at_most_10_queries(
    session, nurse, django_assert_max_num_queries, django_assert_num_queries
):
    # given
    readings = _monitor_batch(session)

    # when
    with django_assert_max_num_queries(10):
        created, duplicates = vitals_record(session=session, by=nurse, readings=readings, batch=True)

    # then: every reading stored once, in measured order, nothing raised
    assert duplicates == 0
    assert [r.device_reading_id for r in created] == [f"mon-{i}" for i in range(60)]
    assert [r.measured_at for r in created] == [r["measured_at"] for r in readings]
    assert VitalSign.objects.filter(session=session).count() == 60
    assert not Alert.objects.exists()
    # and the rows answer for their session without a query each (the caller audits them by clinic)
    with django_assert_num_queries(0):
        assert {r.session.clinic_id for r in created} == {session.clinic_id}


def test_a_breach_in_a_batch_of_60_raises_one_alert_for_its_episode_at_a_fixed_cost(
    session, nurse, django_assert_max_num_queries
):
    # given: SpO2 below 92 % on readings 30 to 32
    readings = _monitor_batch(session, low_spo2=range(30, 33))

    # when: the batch, plus raising and routing one alert (a fixed handful of queries)
    with django_assert_max_num_queries(21):
        created, _ = vitals_record(session=session, by=nurse, readings=readings, batch=True)

    # then
    alert = Alert.objects.get()
    episode = [r.pk for r in created[30:33]]
    assert (alert.kind, alert.session_id, alert.episode_started_at) == (
        "spo2_low",
        session.pk,
        readings[30]["measured_at"],
    )
    assert alert.message == "SpO2 89 % below the limit."
    assert alert.details["reading_ids"] == episode
    assert alert.details["trigger_reading_id"] == episode[0]


def test_resending_the_batch_stores_nothing_new_and_raises_nothing_new(session, nurse, django_assert_max_num_queries):
    # given
    readings = [
        _reading(session, 20 * i, spo2_percent=90, source=VitalSign.Source.DEVICE, device_reading_id=f"mon-{i}")
        for i in range(60)
    ]
    vitals_record(session=session, by=nurse, readings=readings, batch=True)
    before = list(VitalSign.objects.order_by("pk").values_list("pk", flat=True))

    # when
    with django_assert_max_num_queries(10):
        created, duplicates = vitals_record(session=session, by=nurse, readings=readings, batch=True)

    # then
    assert (created, duplicates) == ([], 60)
    assert list(VitalSign.objects.order_by("pk").values_list("pk", flat=True)) == before
    assert Alert.objects.count() == 1


def test_a_session_read_plainly_is_locked_and_read_again_by_the_service(session, nurse):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from monitoring.services.common import session_locked

    # given a session read without a lock (a caller other than the API's body)
    plain = type(session).objects.get(pk=session.pk)

    # when the service takes it
    with CaptureQueriesContext(connection) as queries:
        locked = session_locked(plain)

    # then it reads the row again, locked, its own row alone
    assert [q["sql"].endswith('FOR UPDATE OF "clinic_sessions_session"') for q in queries.captured_queries] == [True]
    assert locked is not plain
    assert locked.pk == session.pk


def test_a_session_read_for_update_in_this_transaction_is_not_read_again(session, nurse):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from monitoring.services.common import mark_locked, session_locked

    # given a session read FOR UPDATE in the current transaction, and marked so
    read = mark_locked(type(session).objects.select_for_update(of=("self",)).get(pk=session.pk))

    # when the service takes it
    with CaptureQueriesContext(connection) as queries:
        locked = session_locked(read)

    # then it is the same row, and nothing was read
    assert locked is read
    assert queries.captured_queries == []


@pytest.mark.django_db(transaction=True)
def test_a_session_marked_locked_outside_a_transaction_is_refused(session):
    from monitoring.services.common import mark_locked

    # given no transaction open: a FOR UPDATE read there would hold no lock
    # when it is marked locked, then that is refused
    with pytest.raises(RuntimeError, match="outside a transaction"):
        mark_locked(session)


def test_given_a_callers_transaction_then_a_reading_is_stored_in_it_without_a_savepoint(session, nurse):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    # given the request's transaction
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        # when a reading is stored
        created, _ = vitals_record(session=session, by=nurse, readings=[_reading(session, 600, heart_rate_bpm=74)])

    # then it is stored, and no savepoint was taken or released inside the caller's transaction
    assert [r.pk for r in created] == [VitalSign.objects.get().pk]
    assert [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"]] == []


def test_given_a_callers_transaction_when_a_reading_is_refused_then_the_whole_transaction_is_to_roll_back(
    session, nurse
):
    from django.db import connection, transaction

    from kat_clinic.errors import RuleViolation

    # given the request's transaction, which has stored a first reading
    with pytest.raises(RuleViolation, match="in the future"), transaction.atomic():
        vitals_record(session=session, by=nurse, readings=[_reading(session, 600, heart_rate_bpm=74)])
        try:
            # when the next reading, two days after the session (in the future), is refused
            vitals_record(session=session, by=nurse, readings=[_reading(session, 86400 * 2, heart_rate_bpm=75)])
        finally:
            # then the caller's transaction is marked to roll back: nothing of it can be committed
            assert connection.needs_rollback is True
    assert not VitalSign.objects.exists()
