"""What PostgreSQL writes of the day board: each session's `late` flag, its times as the API's text,
and the clinic's rooms in the clinic's own statement (`sessions.selectors.board_clinic`)."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kat_clinic.api.times import TIME_OUT_OF_RANGE
from kat_clinic.models import Room
from sessions import selectors, services
from sessions.models import Session
from tests.factories import PatientFactory, RoomFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at


def _board(client, clinic, day=MONDAY):
    return client.get(f"/api/v1/scheduling/day-board/?clinic={clinic.pk}&date={day.isoformat()}")


def test_given_a_passed_start_when_the_board_is_read_then_only_a_session_not_checked_in_is_late(
    api, scheduler, clinic, chair, chair2, working_nurse, book
):
    # given sessions at 09:00 (checked in), 11:00 and 14:00, all three still scheduled before
    patients = [PatientFactory(home_clinic=clinic) for _ in range(3)]
    checked_in = book(patients[0], at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)
    missed = book(patients[1], at(clinic, MONDAY, 11), chair2, [working_nurse], shape=NURSE_SHARED)
    later = book(patients[2], at(clinic, MONDAY, 14), chair, [working_nurse], shape=NURSE_SHARED)
    services.session_check_in(session_id=checked_in.pk, now=at(clinic, MONDAY, 9))
    client = api(scheduler)

    # when read at 12:00, then at 14:00 exactly
    with time_machine.travel(at(clinic, MONDAY, 12), tick=False):
        at_noon = {s["id"]: s["flags"]["late"] for s in _board(client, clinic).json()["sessions"]}
    with time_machine.travel(at(clinic, MONDAY, 14), tick=False):
        at_two = {s["id"]: s["flags"]["late"] for s in _board(client, clinic).json()["sessions"]}

    # then late only once the start has passed, and never once checked in
    assert at_noon == {checked_in.pk: False, missed.pk: True, later.pk: False}
    assert at_two == {checked_in.pk: False, missed.pk: True, later.pk: False}


def test_given_a_board_read_through_the_api_then_its_times_come_from_postgresql_as_the_apis_text(
    api, scheduler, clinic, chair, working_nurse, book
):
    # given a session at 09:00 local, ending 11:00
    session = book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), chair, [working_nurse], NURSE_SHARED)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = _board(api(scheduler), clinic)

    # then the sessions' statement writes the times, and the body holds them in UTC with "Z"
    (statement,) = [q["sql"] for q in queries.captured_queries if "to_char(" in q["sql"]]
    assert statement.count("to_char(") == 4
    assert '"clinic_sessions_session"."block_ends_at" > ' in statement
    (item,) = response.json()["sessions"]
    expected = {
        key: getattr(session, key).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for key in ("starts_at", "ends_at", "block_starts_at", "block_ends_at")
    }
    assert {key: item[key] for key in expected} == expected


def test_given_rooms_with_awkward_names_then_the_board_lists_the_active_ones_in_order_from_the_clinics_statement(
    api, scheduler, clinic
):
    # given rooms named with a quote, a backslash and accents, and an inactive one
    names = ['Chair "B"', "Salle \\ é", "Chair A", "Ärztezimmer"]
    for name in names:
        RoomFactory(clinic=clinic, name=name)
    RoomFactory(clinic=clinic, name="Aa closed", active=False)
    RoomFactory(name="Another clinic's")

    # when
    with CaptureQueriesContext(connection) as queries:
        response = _board(api(scheduler), clinic)

    # then the active ones by name (then id, as the database orders them); no statement reads the
    # rooms on their own
    assert response.status_code == 200
    active = Room.objects.filter(clinic=clinic, active=True).order_by("name", "pk")
    assert sorted(r.name for r in active) == sorted(names)
    assert response.json()["by_room"] == [{"room": r.pk, "name": r.name, "sessions": []} for r in active]
    froms = [q["sql"].split(" FROM ", 1)[1][:30] for q in queries.captured_queries if " FROM " in q["sql"]]
    assert not [f for f in froms if f.startswith('"kat_clinic_room"')]


def test_given_a_clinic_read_any_other_way_then_the_board_reads_its_rooms_itself(clinic, chair):
    # given the clinic as a plain instance (not `board_clinic`'s)
    # when
    board = selectors.day_board(clinic=clinic, day=MONDAY)

    # then
    assert board["by_room"] == [{"room": chair.pk, "name": "Chair 1", "sessions": []}]


def test_given_a_time_of_a_year_the_api_refuses_then_the_board_is_refused_as_the_serializer_refuses_it(
    api, scheduler, clinic, chair, working_nurse, book
):
    # given a session on the board's last day whose block, as stored, ends in 2101 (the API writes
    # the years 1900 to 2100)
    session = book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), chair, [working_nurse], NURSE_SHARED)
    last_day = selectors.BOARD_LAST_DAY
    starts_at = at(clinic, last_day, 15)
    Session.objects.filter(pk=session.pk).update(
        block_starts_at=starts_at,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        block_ends_at=dt.datetime(2101, 1, 1, 0, 30, tzinfo=dt.UTC),
    )

    # when
    response = _board(api(scheduler), clinic, last_day)

    # then a 400 naming the years, as the serializer's field refuses the time
    assert response.status_code == 400
    assert TIME_OUT_OF_RANGE in response.content.decode()


def test_given_a_board_then_of_its_clinic_it_reads_only_the_id_and_time_zone_once(api, scheduler, clinic, chair):
    # when
    with CaptureQueriesContext(connection) as queries:
        response = _board(api(scheduler), clinic)

    # then one statement read the clinic, naming only its id and time zone, and the board is in that zone
    assert response.status_code == 200
    assert response.json()["timezone"] == clinic.timezone == "America/New_York"
    (statement,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "kat_clinic_clinic"')]
    assert re.findall(r'"kat_clinic_clinic"\."(\w+)"', statement.split(" FROM ")[0]) == ["id", "timezone"]
