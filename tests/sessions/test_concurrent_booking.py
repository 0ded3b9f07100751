"""Only the database stands between concurrent clerks: with the Python-side check off, exactly one
of many simultaneous overlapping bookings succeeds and the rest are refused by SQLSTATE 23P01.

Two inserts that each find the other's uncommitted row under an exclusion constraint wait on each
other, and PostgreSQL breaks the deadlock by rolling one back. A request is then run again from the
start of its transaction (kat_clinic/api/transactions.py); each call here gets the same retry, and
its second try meets the committed winner's row."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import OperationalError, connection

from kat_clinic.api.transactions import pause_before_next_attempt
from kat_clinic.errors import Conflict, is_concurrent_write
from kat_clinic.models import Clinic
from kat_clinic.roles import Role
from programs.choices import SessionKind, StaffMode
from sessions import services
from sessions.availability import adhoc_shape
from tests.factories import PatientFactory, RoomFactory
from tests.sessions.conftest import MONDAY, at, works_every_day

THREADS = 8
ROOM_ONLY = adhoc_shape(kind=SessionKind.CHECK_IN, session_minutes=30, block_minutes=60, staff=[])
THERAPIST = adhoc_shape(
    kind=SessionKind.PREPARATION, session_minutes=50, block_minutes=60, staff=[(Role.THERAPIST, StaffMode.EXCLUSIVE)]
)
NURSE = adhoc_shape(
    kind=SessionKind.DOSING, session_minutes=40, block_minutes=100, staff=[(Role.NURSE, StaffMode.SHARED)]
)


def race(calls):
    """Run every call at once (a barrier releases them together); each thread owns its connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            outcomes[i] = _as_a_request_retries(call)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _as_a_request_retries(call):
    """`call`, run again when PostgreSQL rolled it back for a concurrent write, after the same
    pause as a request (without it, eight losers retrying at once met in deadlocks again)."""
    attempts = settings.API_TRANSACTION_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except OperationalError as exc:
            if attempt == attempts or not is_concurrent_write(exc):
                raise
            pause_before_next_attempt(attempt)
    raise AssertionError("unreachable")


def overlapping_pairs(sql_where: str, table: str, start: str, end: str, key: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(*) FROM {table} a JOIN {table} b ON a.id < b.id AND a.{key} = b.{key}
            AND tstzrange(a.{start}, a.{end}, '[)') && tstzrange(b.{start}, b.{end}, '[)')
            WHERE a.active AND b.active {sql_where}"""
        )
        return cursor.fetchone()[0]


def assert_one_winner(outcomes):
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1
    assert len(losers) == THREADS - 1
    assert all(isinstance(o, Conflict) for o in losers), losers
    assert {(o.type, o.extra["sqlstate"]) for o in losers} == {("overlap", "23P01")}
    return winners[0], losers


@pytest.fixture
def db_only(settings):
    settings.SCHEDULING_PYTHON_CONFLICT_CHECK = False


@pytest.fixture
def race_clinic(organization):
    return Clinic.objects.create(
        organization=organization, name="Race", slug="race", timezone="America/New_York", nurse_shared_capacity=1
    )


def book_call(clinic, patient, room, staff, shape, minute):
    start = at(clinic, MONDAY, 9, minute)
    return lambda: services.session_book(
        clinic=clinic, patient=patient, shape=shape, starts_at=start, room=room, staff=staff, by=None
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_many_clerks_booking_one_chair_one_wins(db_only, race_clinic):
    # given
    chair = RoomFactory(clinic=race_clinic)
    patients = [PatientFactory(home_clinic=race_clinic) for _ in range(THREADS)]

    # when: eight overlapping blocks in the same chair, starting 09:00..09:07
    outcomes = race([book_call(race_clinic, p, chair, [], ROOM_ONLY, i) for i, p in enumerate(patients)])

    # then
    winner, losers = assert_one_winner(outcomes)
    assert {o.extra["conflicts"][0]["constraint"] for o in losers} == {"session_no_room_overlap"}
    assert overlapping_pairs("", "clinic_sessions_session", "block_starts_at", "block_ends_at", "room_id") == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_many_clerks_booking_one_patient_one_wins(db_only, race_clinic):
    # given
    patient = PatientFactory(home_clinic=race_clinic)
    rooms = [RoomFactory(clinic=race_clinic) for _ in range(THREADS)]

    # when
    outcomes = race([book_call(race_clinic, patient, r, [], ROOM_ONLY, i) for i, r in enumerate(rooms)])

    # then
    winner, losers = assert_one_winner(outcomes)
    assert {o.extra["conflicts"][0]["constraint"] for o in losers} == {"session_no_patient_overlap"}
    assert overlapping_pairs("", "clinic_sessions_session", "block_starts_at", "block_ends_at", "patient_id") == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_many_clerks_booking_one_therapist_one_wins(db_only, race_clinic, make_staff):
    # given
    therapist = works_every_day(make_staff(race_clinic, Role.THERAPIST), race_clinic)
    rooms = [RoomFactory(clinic=race_clinic) for _ in range(THREADS)]
    patients = [PatientFactory(home_clinic=race_clinic) for _ in range(THREADS)]

    # when
    outcomes = race(
        [
            book_call(race_clinic, p, r, [therapist], THERAPIST, i)
            for i, (p, r) in enumerate(zip(patients, rooms, strict=True))
        ]
    )

    # then
    winner, losers = assert_one_winner(outcomes)
    assert {o.extra["conflicts"][0]["constraint"] for o in losers} == {"staffassignment_no_staff_overlap"}
    assert overlapping_pairs("", "clinic_sessions_staffassignment", "starts_at", "ends_at", "staff_id") == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_many_clerks_booking_one_nurse_lane_one_wins(db_only, race_clinic, make_staff):
    # given: a nurse with a single monitoring lane at this clinic
    nurse = works_every_day(make_staff(race_clinic, Role.NURSE), race_clinic)
    rooms = [RoomFactory(clinic=race_clinic) for _ in range(THREADS)]
    patients = [PatientFactory(home_clinic=race_clinic) for _ in range(THREADS)]

    # when
    outcomes = race(
        [book_call(race_clinic, p, r, [nurse], NURSE, i) for i, (p, r) in enumerate(zip(patients, rooms, strict=True))]
    )

    # then
    winner, losers = assert_one_winner(outcomes)
    assert [a.lane for a in winner.assignments.all()] == [1]
    assert (
        overlapping_pairs("AND a.lane = b.lane", "clinic_sessions_staffassignment", "starts_at", "ends_at", "staff_id")
        == 0
    )
