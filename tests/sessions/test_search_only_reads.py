"""The availability search is a POST that writes nothing: no request transaction, no row-history context."""

from __future__ import annotations

import pghistory.runtime
import pytest
from django.db import connection

from kat_clinic.models import AuditEvent
from sessions import services
from sessions.api import views
from tests.sessions.conftest import nurse_block_search

# The suite's tests run inside a transaction of their own: this one needs real commits to tell.
pytestmark = pytest.mark.django_db(transaction=True)


def _states_during(monkeypatch, module, name: str) -> list[tuple[bool, bool]]:
    """(in a transaction, in a row-history context) each time `module.name` is called."""
    states: list[tuple[bool, bool]] = []
    original = getattr(module, name)

    def recording(**kwargs):
        states.append((connection.in_atomic_block, hasattr(pghistory.runtime._tracker, "value")))
        return original(**kwargs)

    monkeypatch.setattr(module, name, recording)
    return states


def test_a_search_runs_outside_a_transaction_without_row_history_context_and_is_audited(
    api, scheduler, clinic, patient, chair, working_nurse, monkeypatch
):
    # given a record of the connection's state while the search judges its options
    states = _states_during(monkeypatch, views, "availability_search")

    # when a scheduler searches
    response = api(scheduler).post("/api/v1/scheduling/search/", nurse_block_search(clinic.pk, patient.pk, limit=1))

    # then it answered, outside any transaction and with no row-history context, and was audited
    assert response.status_code == 200, response.json()
    assert response.json()[0]["starts_at"] == "2027-06-07T08:00:00-04:00"
    assert states == [(False, False)]
    assert list(AuditEvent.objects.values_list("resource_type", "operation", "outcome", "patient_ids")) == [
        ("availability_search", "schedule.search", "success", [patient.pk])
    ]


def test_a_booking_post_keeps_both(api, scheduler, clinic, patient, chair, working_nurse, monkeypatch):
    # given a record of the state while a session is booked
    states = _states_during(monkeypatch, services, "session_book")
    option = api(scheduler).post("/api/v1/scheduling/search/", nurse_block_search(clinic.pk, patient.pk, limit=1))

    # when the scheduler books it
    response = api(scheduler).post(
        "/api/v1/sessions/",
        {
            "clinic": clinic.pk,
            "patient": patient.pk,
            "kind": "dosing",
            "starts_at": option.json()[0]["starts_at"],
            "session_minutes": 40,
            "block_minutes": 100,
            "room": chair.pk,
            "staff": [{"staff": working_nurse.pk, "role": "nurse", "mode": "shared"}],
        },
        format="json",
    )

    # then the booking ran in the request transaction, with the row-history context
    assert response.status_code == 201, response.json()
    assert states == [(True, True)]
