"""Two bookings whose exclusion checks wait on each other: PostgreSQL rolls one back (40P01).

Each booking inserts its rows first and then waits for any uncommitted row that clashes with them,
so two bookings can each hold a row the other is waiting on. The request PostgreSQL picks saved
nothing; the API runs it again from the start of its transaction, and it answers as if it had come
second. Out of attempts, it answers 409 `concurrent_write`, never a 500.

The deadlock is made, not hoped for: a clerk's transaction (thread "other") books the nurse at 09:00
and holds; the request books the same nurse at 09:30 in chair 2 and waits on it; then the clerk
books chair 2 at 09:45 and waits on the request. The request waited first, so its deadlock check
fires first and PostgreSQL rolls it back.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from kat_clinic.models import Clinic
from kat_clinic.roles import Role
from programs.choices import SessionKind
from sessions import services
from sessions.availability import adhoc_shape
from sessions.models import Session
from tests.factories import PatientFactory, RoomFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at, works_every_day

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHECK_IN = adhoc_shape(kind=SessionKind.CHECK_IN, session_minutes=30, block_minutes=60, staff=[])


class Undo(Exception):
    """Raised inside the clerk's transaction to roll it back."""


@pytest.fixture
def one_lane_clinic(organization):
    return Clinic.objects.create(
        organization=organization,
        name="One lane",
        slug="one-lane",
        timezone="America/New_York",
        nurse_shared_capacity=1,
    )


@pytest.fixture
def world(one_lane_clinic, make_staff):
    clinic = one_lane_clinic
    return {
        "clinic": clinic,
        "nurse": works_every_day(make_staff(clinic, Role.NURSE), clinic),
        "scheduler": make_staff(clinic, Role.SCHEDULER),
        "chair1": RoomFactory(clinic=clinic, name="Chair 1"),
        "chair2": RoomFactory(clinic=clinic, name="Chair 2"),
        "clerk_patient": PatientFactory(home_clinic=clinic),
        "walk_in": PatientFactory(home_clinic=clinic),
        "request_patient": PatientFactory(home_clinic=clinic),
    }


def request_body(w) -> dict:
    return {
        "clinic": w["clinic"].pk,
        "patient": w["request_patient"].pk,
        "kind": "dosing",
        "starts_at": at(w["clinic"], MONDAY, 9, 30).isoformat(),
        "session_minutes": 40,
        "block_minutes": 100,
        "room": w["chair2"].pk,
        "staff": [{"staff": w["nurse"].pk, "role": "nurse", "mode": "shared"}],
    }


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.02)


def deadlock_a_booking_request(api, w, *, clerk_commits: bool) -> tuple[object, dict]:
    """Run the request into a deadlock with the clerk's transaction; (response, the clerk's outcomes)."""
    holding, go = threading.Event(), threading.Event()
    clerk: dict = {}
    answer: dict = {}
    clinic = w["clinic"]

    def clerk_transaction():
        try:
            with transaction.atomic():
                clerk["nurse_at_9"] = services.session_book(
                    clinic=clinic,
                    patient=w["clerk_patient"],
                    shape=NURSE_SHARED,
                    starts_at=at(clinic, MONDAY, 9),
                    room=w["chair1"],
                    staff=[w["nurse"]],
                    by=None,
                )
                holding.set()
                go.wait(30)
                clerk["chair2_at_945"] = services.session_book(
                    clinic=clinic,
                    patient=w["walk_in"],
                    shape=CHECK_IN,
                    starts_at=at(clinic, MONDAY, 9, 45),
                    room=w["chair2"],
                    staff=[],
                    by=None,
                )
                if not clerk_commits:
                    raise Undo
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            clerk["error"] = exc
        finally:
            holding.set()
            connection.close()

    def booking_request():
        try:
            answer["response"] = api(w["scheduler"]).post("/api/v1/sessions/", request_body(w), format="json")
        finally:
            connection.close()

    other = threading.Thread(target=clerk_transaction)
    other.start()
    holding.wait(30)
    request = threading.Thread(target=booking_request)
    request.start()
    wait_until(lambda: lock_waiters() == 1, "the request waiting on the clerk's nurse row")
    go.set()
    other.join(60)
    request.join(60)
    return answer["response"], clerk


def test_given_a_deadlock_with_a_booking_that_commits_when_retried_then_the_request_answers_the_overlap(api, world):
    # when
    response, clerk = deadlock_a_booking_request(api, world, clerk_commits=True)

    # then: the clerk's second booking went through, so the request was the one rolled back
    assert "error" not in clerk
    assert response.status_code == 409, response.json()
    problem = response.json()
    assert problem["type"] == "urn:kat-clinic:problem:overlap"
    assert [(c["resource"], c["id"], c["session"]) for c in problem["conflicts"]] == [
        ("staff", world["nurse"].pk, clerk["nurse_at_9"].pk)
    ]
    assert set(Session.objects.values_list("patient_id", flat=True)) == {
        world["clerk_patient"].pk,
        world["walk_in"].pk,
    }


def test_given_a_deadlock_with_a_transaction_that_rolls_back_when_retried_then_the_booking_lands(api, world):
    # when
    response, clerk = deadlock_a_booking_request(api, world, clerk_commits=False)

    # then: the clerk got both rows in (the request was rolled back), then undid them
    assert set(clerk) == {"nurse_at_9", "chair2_at_945", "error"}
    assert isinstance(clerk["error"], Undo)
    assert response.status_code == 201, response.json()
    booked = Session.objects.get()
    assert response.json()["id"] == booked.pk
    assert booked.patient_id == world["request_patient"].pk
    assert booked.room_id == world["chair2"].pk
    assert list(booked.assignments.values_list("staff_id", "lane")) == [(world["nurse"].pk, 1)]


def test_given_no_second_attempt_when_a_booking_deadlocks_then_409_concurrent_write_and_nothing_saved(
    api, world, settings
):
    # given
    settings.API_TRANSACTION_ATTEMPTS = 1

    # when
    response, clerk = deadlock_a_booking_request(api, world, clerk_commits=True)

    # then
    assert "error" not in clerk
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "1"
    problem = response.json()
    assert problem["type"] == "urn:kat-clinic:problem:concurrent_write"
    assert problem["sqlstate"] == "40P01"
    assert problem["detail"] == (
        "Another change to the same records was being saved at the same moment; nothing was saved. Try again."
    )
    assert not Session.objects.filter(patient=world["request_patient"]).exists()
