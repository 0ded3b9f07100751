"""The session list answered by its prepared query answers exactly as DRF's path (the front desk's
list of a clinic's day is read all day long)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models.signals import pre_init
from django.test.utils import CaptureQueriesContext

from kat_clinic.api.lean_rows import RowPlan
from sessions import services
from sessions.api.views import SessionViewSet
from sessions.models import Session, StaffAssignment
from tests.factories import PatientFactory, RoomFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(clinic, working_nurse):
    """Two sessions a day, Monday to Wednesday; Tuesday's second one cancelled."""
    booked = []
    for day in range(3):
        for hour in (9, 13):
            booked.append(
                services.session_book(
                    clinic=clinic,
                    patient=PatientFactory(home_clinic=clinic),
                    shape=NURSE_SHARED,
                    starts_at=at(clinic, MONDAY + dt.timedelta(days=day), hour),
                    room=RoomFactory(clinic=clinic),
                    staff=[working_nurse],
                    by=None,
                )
            )
    services.session_cancel(session_id=booked[3].pk, reason="Patient unwell", by=None)
    return booked


def _day(clinic, days: int) -> str:
    start = at(clinic, MONDAY + dt.timedelta(days=days), 0)
    end = start + dt.timedelta(days=1)
    return f"starts_after={start.isoformat().replace('+', '%2B')}&starts_before={end.isoformat().replace('+', '%2B')}"


QUERIES = [
    "clinic={clinic}&{tuesday}",
    "clinic={clinic}&{tuesday}&status=scheduled",
    "clinic={clinic}&status=cancelled",
    "kind=dosing&page_size=4&page=2",
    "patient={patient}",
    "{monday}",
    "starts_after=2027-06-08T00:00:00",  # naive: 400
    "status=nonsense",  # 400
    "staff={nurse}&{monday}",  # DISTINCT: DRF's path either way
]


@pytest.mark.parametrize("query", QUERIES)
def test_given_a_week_of_sessions_when_listed_then_the_prepared_path_answers_as_drfs(
    api, scheduler, clinic, working_nurse, week, monkeypatch, query
):
    # given
    path = "/api/v1/sessions/?" + query.format(
        clinic=clinic.pk,
        patient=week[0].patient_id,
        nurse=working_nurse.pk,
        monday=_day(clinic, 0),
        tuesday=_day(clinic, 1),
    )

    # when
    prepared = api(scheduler).get(path)
    with monkeypatch.context() as patched:
        patched.setattr(SessionViewSet, "prepared_filters", frozenset())
        plain = api(scheduler).get(path)

    # then
    assert (prepared.status_code, prepared.content) == (plain.status_code, plain.content)


def test_given_a_clinics_day_then_its_sessions_come_from_the_prepared_query(api, scheduler, clinic, week):
    # given
    SessionViewSet._prepared_variants.clear()

    # when
    body = api(scheduler).get(f"/api/v1/sessions/?clinic={clinic.pk}&{_day(clinic, 1)}").json()

    # then Tuesday's two sessions, with their nurse, from the variant of these three filters
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [week[2].pk, week[3].pk]
    assert [row["status"] for row in body["results"]] == ["scheduled", "cancelled"]
    assert [len(row["assignments"]) for row in body["results"]] == [1, 1]
    assert list(SessionViewSet._prepared_variants) == [(("clinic", "starts_after", "starts_before"), 50, 1, True)]


def test_given_a_clinics_day_then_its_page_is_read_as_rows_with_its_assignments_in_one_query(
    api, scheduler, clinic, week, working_nurse
):
    # given
    built = []

    def count(sender, **kwargs):
        built.append(sender)

    # when listed (a pre_init receiver sees every instance Django builds)
    client = api(scheduler)
    client.get(f"/api/v1/sessions/?clinic={clinic.pk}")  # (logs in, builds the variant)
    for model in (Session, StaffAssignment):
        pre_init.connect(count, sender=model)
    try:
        body = client.get(f"/api/v1/sessions/?clinic={clinic.pk}&{_day(clinic, 0)}").json()
    finally:
        for model in (Session, StaffAssignment):
            pre_init.disconnect(count, sender=model)

    # then Monday's two sessions with their nurse, written from rows: no session or assignment built
    assert built == []
    assert [row["id"] for row in body["results"]] == [week[0].pk, week[1].pk]
    assert [[a["staff_name"] for a in row["assignments"]] for row in body["results"]] == [
        [str(working_nurse)],
        [str(working_nurse)],
    ]
    assert body["results"][0]["patient_name"] == f"{week[0].patient.first_name} {week[0].patient.last_name}"


def test_given_a_clinics_day_when_listed_then_postgresql_writes_the_times_of_sessions_and_assignments(
    api, scheduler, clinic, week
):
    # given
    client = api(scheduler)
    client.get(f"/api/v1/sessions/?clinic={clinic.pk}")  # (logs in, builds the variant)

    # when
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/api/v1/sessions/?clinic={clinic.pk}&{_day(clinic, 0)}").json()

    # then the page's one read selects the times of sessions and assignments as text (the
    # assignments' in their JSON), and the text is the times in UTC
    reads = [q["sql"] for q in queries.captured_queries if "clinic_sessions_" in q["sql"]]
    assert len(reads) == 1
    assert reads[0].count("to_char(") == 10 + 2  # the session's ten times, its assignments' two
    first, session = body["results"][0], week[0]
    assert first["starts_at"] == session.starts_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assignment = session.assignments.get()
    assert first["assignments"][0]["ends_at"] == assignment.ends_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _both_paths(client, path, monkeypatch):
    """The list's answer by its prepared query, then by DRF's path."""
    prepared = client.get(path)
    with monkeypatch.context() as patched:
        patched.setattr(SessionViewSet, "prepared_filters", frozenset())
        plain = client.get(path)
    return prepared, plain


def test_given_a_clinics_day_when_listed_in_utc_then_postgresql_writes_each_row_whole(
    api, scheduler, clinic, week, monkeypatch
):
    # given a reason and a patient's name with quotes, a backslash, control characters, a line
    # separator and letters beyond ASCII
    Session.objects.filter(pk=week[3].pk).update(cancellation_reason='Said "no"\\ left\n\ttab \x01 \u2028 né 🙂')
    week[3].patient.__class__.objects.filter(pk=week[3].patient_id).update(first_name='Zoë "Z"', last_name="O'Neil\\")
    client = api(scheduler)
    path = f"/api/v1/sessions/?clinic={clinic.pk}&{_day(clinic, 1)}"

    # when listed with no row written by Python (the plan's writer refuses to run)
    def refuse(*args, **kwargs):
        raise AssertionError("a row was written in Python")

    with monkeypatch.context() as patched:
        patched.setattr(RowPlan, "represent", refuse)
        prepared = client.get(path)
    _, plain = _both_paths(client, path, monkeypatch)

    # then the bytes DRF's path writes, the reason and name as they were stored
    assert (prepared.status_code, prepared.content) == (200, plain.content)
    cancelled = prepared.json()["results"][1]
    assert cancelled["cancellation_reason"] == 'Said "no"\\ left\n\ttab \x01 \u2028 né 🙂'
    assert cancelled["patient_name"] == 'Zoë "Z" O\'Neil\\'
    assert b"\\u2028" in prepared.content


@pytest.mark.parametrize("model", [Session, StaffAssignment])
def test_given_a_time_of_a_year_its_field_refuses_when_listed_then_the_prepared_path_answers_as_drfs(
    api, scheduler, clinic, week, monkeypatch, model
):
    # given Tuesday's first session completed, or its assignment held, in 2150 (written past the API)
    ends = dt.datetime(2150, 1, 1, tzinfo=dt.UTC)
    if model is Session:
        Session.objects.filter(pk=week[2].pk).update(completed_at=ends)
    else:
        StaffAssignment.objects.filter(session_id=week[2].pk).update(
            starts_at=ends, ends_at=ends + dt.timedelta(hours=1)
        )
    client = api(scheduler)
    path = f"/api/v1/sessions/?clinic={clinic.pk}&{_day(clinic, 1)}"

    # when listed both ways
    prepared, plain = _both_paths(client, path, monkeypatch)

    # then the same refusal, the field's own
    assert (prepared.status_code, prepared.content) == (plain.status_code, plain.content)
    assert prepared.status_code == 400
    assert "between the years 1900 and 2100" in prepared.content.decode()
