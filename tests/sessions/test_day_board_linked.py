"""The day board names each program session's partners: a dosing session's integration sessions,
an integration session's dosing session (the front desk sees what moves together)."""

from __future__ import annotations

import datetime as dt

from sessions.models import Session
from tests.sessions.conftest import MONDAY


def _book_whole_program(api, scheduler, enrollment):
    response = api(scheduler).post(
        "/api/v1/scheduling/program-booking/", {"enrollment": enrollment.pk, "date_from": MONDAY.isoformat()}
    )
    assert response.status_code == 200, response.json()


def _board(client, clinic, day):
    return client.get(f"/api/v1/scheduling/day-board/?clinic={clinic.pk}&date={day.isoformat()}")


def test_day_board_links_a_dosing_session_and_its_integration(api, scheduler, clinic, kat_enrollment):
    # given the KAT program booked in full
    _book_whole_program(api, scheduler, kat_enrollment)
    integration = Session.objects.filter(
        enrollment=kat_enrollment, active=True, planned_session__linked_dosing__isnull=False
    ).order_by("starts_at")[0]
    dosing = Session.objects.get(active=True, planned_session=integration.planned_session.linked_dosing)
    day = dosing.starts_at.astimezone(clinic.tz).date()

    # when the front desk reads the dosing session's day
    data = _board(api(scheduler), clinic, day).json()

    # then the dosing session names its integration session, with its kind, status and start
    item = next(s for s in data["sessions"] if s["id"] == dosing.pk)
    (link,) = [link for link in item["linked"] if link["id"] == integration.pk]
    assert (link["kind"], link["status"]) == ("integration", "scheduled")
    assert dt.datetime.fromisoformat(link["starts_at"]) == integration.starts_at
    integration_day = integration.starts_at.astimezone(clinic.tz).date()
    other = next(
        s for s in _board(api(scheduler), clinic, integration_day).json()["sessions"] if s["id"] == integration.pk
    )
    assert [link["id"] for link in other["linked"]] == [dosing.pk]


def test_day_board_sessions_outside_a_program_have_no_links(
    api, scheduler, clinic, patient, chair, working_nurse, book
):
    # given an ad-hoc session
    from tests.sessions.conftest import NURSE_SHARED, at

    book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)

    # when / then
    (item,) = _board(api(scheduler), clinic, MONDAY).json()["sessions"]
    assert item["linked"] == []


def test_day_board_with_links_keeps_a_fixed_query_count(
    api, scheduler, clinic, kat_enrollment, django_assert_max_num_queries
):
    # given a whole program on the board's days
    _book_whole_program(api, scheduler, kat_enrollment)
    busiest = max(
        {s.starts_at.astimezone(clinic.tz).date() for s in Session.objects.filter(enrollment=kat_enrollment)},
        key=lambda d: Session.objects.filter(enrollment=kat_enrollment, starts_at__date=d).count(),
    )
    client = api(scheduler)

    # when / then: the eight of a plain board, and one for the linked sessions
    with django_assert_max_num_queries(9):
        response = _board(client, clinic, busiest)
    assert response.status_code == 200
    assert response.json()["sessions"]


def test_day_board_reads_the_linked_sessions_by_their_planned_step_alone(api, scheduler, clinic, kat_enrollment):
    # given the KAT program booked in full, and the day of its first dosing session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _book_whole_program(api, scheduler, kat_enrollment)
    dosing = Session.objects.filter(enrollment=kat_enrollment, active=True, kind="dosing").order_by("starts_at")[0]
    client = api(scheduler)

    # when the board of that day is read
    with CaptureQueriesContext(connection) as queries:
        assert _board(client, clinic, dosing.starts_at.astimezone(clinic.tz).date()).status_code == 200

    # then the partners are one list of planned steps matched by the sessions' own column: no OR
    # across the join to the planned steps, which would read every planned step of every clinic
    (partners,) = [q["sql"] for q in queries.captured_queries if '"planned_session_id" = ANY((ARRAY(' in q["sql"]]
    assert " OR " not in partners.split(" WHERE ", 1)[1]
