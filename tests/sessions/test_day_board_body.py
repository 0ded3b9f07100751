"""The day board's body is written without DRF's nested serializers (`sessions.api.board`): byte for
byte what `DayBoardSerializer` writes, on boards with several sessions, staff, flags and links."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.renderers import JSONRenderer

from kat_clinic.api.lean import current_zone_is_utc
from kat_clinic.api.renderers import OrjsonRenderer
from sessions import selectors, services
from sessions.api.board import board_text_years, day_board_data
from sessions.api.serializers import DayBoardSerializer
from sessions.models import Session
from sessions.selectors import WrittenSession
from tests.factories import PatientFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, THERAPIST_EXCLUSIVE, at, works_every_day


def _board(client, clinic, day):
    return client.get(f"/api/v1/scheduling/day-board/?clinic={clinic.pk}&date={day.isoformat()}")


def _drf_body(clinic, day, now) -> bytes:
    return JSONRenderer().render(DayBoardSerializer(selectors.day_board(clinic=clinic, day=day, now=now)).data)


def _z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def test_an_ad_hoc_board_is_written_exactly(
    api, scheduler, clinic, chair, chair2, working_nurse, make_staff, book, django_assert_max_num_queries
):
    # given a dosing session, a preparation with a titled therapist and a cancelled dosing session
    therapist = works_every_day(make_staff(clinic, "therapist", credentials_suffix="LCSW"), clinic)
    anna, ben, cleo = (PatientFactory(home_clinic=clinic, first_name=n, last_name="Quinn") for n in "ABC")
    dosing = book(anna, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)
    prep = book(ben, at(clinic, MONDAY, 11), chair2, [therapist], shape=THERAPIST_EXCLUSIVE)
    cancelled = book(cleo, at(clinic, MONDAY, 13), chair, [working_nurse], shape=NURSE_SHARED)
    services.session_cancel(session_id=cancelled.pk, by=None, reason="patient asked")
    cancelled.refresh_from_db()
    nurse = working_nurse.assignments.get(session=dosing)

    # when
    with django_assert_max_num_queries(8):
        response = _board(api(scheduler), clinic, MONDAY)

    # then: every byte, in DRF's field order
    def session(s, patient, staff, flags, authorization):
        return {
            "id": s.pk,
            "patient": {"id": patient.pk, "name": f"{patient.first_name} Quinn"},
            "kind": s.kind,
            "status": s.status,
            "starts_at": _z(s.starts_at),
            "ends_at": _z(s.ends_at),
            "block_starts_at": _z(s.block_starts_at),
            "block_ends_at": _z(s.block_ends_at),
            "room": s.room_id,
            "telehealth": False,
            "staff": staff,
            "linked": [],
            "flags": flags,
            "authorization": authorization,
        }

    nurse_row = {"staff": working_nurse.pk, "name": str(working_nurse), "role": "nurse", "mode": "shared"}
    missing = {"late": False, "late_cancel": False, "prerequisite_missing": True, "ride_not_confirmed": True}
    clear = {"late": False, "late_cancel": False, "prerequisite_missing": False, "ride_not_confirmed": False}
    expected = {
        "clinic": clinic.pk,
        "date": MONDAY.isoformat(),
        "timezone": clinic.timezone,
        "sessions": [
            session(dosing, anna, [{**nurse_row, "lane": nurse.lane}], missing, "not_required"),
            session(
                prep,
                ben,
                [
                    {
                        "staff": therapist.pk,
                        "name": f"{therapist.first_name} {therapist.last_name}, LCSW",
                        "role": "therapist",
                        "mode": "exclusive",
                        "lane": None,
                    }
                ],
                clear,
                "not_required",
            ),
            session(
                cancelled,
                cleo,
                [{**nurse_row, "lane": cancelled.assignments.get().lane}],
                {**missing, "late_cancel": cancelled.late_cancel},
                "not_required",
            ),
        ],
        "by_room": [
            {"room": chair.pk, "name": "Chair 1", "sessions": [dosing.pk, cancelled.pk]},
            {"room": chair2.pk, "name": "Chair 2", "sessions": [prep.pk]},
        ],
        "by_staff": sorted(
            [
                {"staff": working_nurse.pk, "name": str(working_nurse), "sessions": [dosing.pk]},
                {"staff": therapist.pk, "name": str(therapist), "sessions": [prep.pk]},
            ],
            key=lambda e: e["name"],
        ),
    }
    assert response.status_code == 200
    assert response.content == JSONRenderer().render(expected)
    assert response.content == _drf_body(clinic, MONDAY, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_a_program_board_with_links_and_flags_matches_the_serializer(api, scheduler, clinic, kat_enrollment):
    # given the KAT program booked in full (dosing sessions with integration partners and flags)
    response = api(scheduler).post(
        "/api/v1/scheduling/program-booking/", {"enrollment": kat_enrollment.pk, "date_from": MONDAY.isoformat()}
    )
    assert response.status_code == 200, response.json()
    days = sorted({s.starts_at.astimezone(clinic.tz).date() for s in Session.objects.filter(enrollment=kat_enrollment)})
    client = api(scheduler)

    # when / then: each day's body is the serializer's, byte for byte, and the links are there
    linked = 0
    for day in days:
        response = _board(client, clinic, day)
        assert response.status_code == 200
        # (the board's `late` flag is as of now: the program lies in the future, so it is False either way)
        assert response.content == _drf_body(clinic, day, dt.datetime.now(dt.UTC))
        linked += sum(len(item["linked"]) for item in response.json()["sessions"])
    assert linked > 0


# Every character JSON escapes (PostgreSQL's text holds no NUL), separators orjson leaves, non-ASCII.
HARD_TEXT = '\x01\x1f\x7f " \\ / \t\n\r\x08\x0c é 😀 \u2028 \u2029 % %s'


def test_given_names_with_every_escaped_character_then_the_board_written_by_postgresql_is_the_serializers(
    api, scheduler, clinic, chair, make_staff, book, kat_enrollment
):
    # given a dosing session of a patient and a therapist whose names hold every escaped character,
    # and a program session whose dosing partner is linked
    therapist = works_every_day(make_staff(clinic, "therapist", last_name=HARD_TEXT, credentials_suffix='M"D'), clinic)
    patient = PatientFactory(home_clinic=clinic, first_name=HARD_TEXT, last_name="Quinn")
    book(patient, at(clinic, MONDAY, 9), chair, [therapist], shape=THERAPIST_EXCLUSIVE)
    response = api(scheduler).post(
        "/api/v1/scheduling/program-booking/", {"enrollment": kat_enrollment.pk, "date_from": MONDAY.isoformat()}
    )
    assert response.status_code == 200, response.json()
    days = sorted({s.starts_at.astimezone(clinic.tz).date() for s in Session.objects.filter(clinic=clinic)})
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    linked = 0

    for day in days:
        # when the board is read as the API reads it (its sessions written by PostgreSQL)
        board = selectors.day_board(clinic=clinic, day=day, now=now, text_years=board_text_years(), written=True)

        # then every session is written text, and the body is the serializer's, byte for byte
        assert board["written"] is True
        assert board["sessions"] and all(type(s) is WrittenSession for s in board["sessions"])
        assert OrjsonRenderer().render(day_board_data(board)) == _drf_body(clinic, day, now)
        linked += sum(len(session.linked) for session in board["sessions"])
    assert linked > 0


def test_given_an_indented_request_then_the_written_board_is_indented_as_drf_indents_the_serializers(
    api, scheduler, clinic, chair, working_nurse, book
):
    # given a session on the board, its patient's name with every escaped character
    patient = PatientFactory(home_clinic=clinic, first_name=HARD_TEXT, last_name="Quinn")
    book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)

    # when the board is asked for indented
    response = api(scheduler).get(
        f"/api/v1/scheduling/day-board/?clinic={clinic.pk}&date={MONDAY.isoformat()}",
        HTTP_ACCEPT="application/json; indent=2",
    )

    # then: DRF's own indented writing of the serializer's data
    data = DayBoardSerializer(selectors.day_board(clinic=clinic, day=MONDAY)).data
    assert response.status_code == 200
    assert response.content == JSONRenderer().render(data, "application/json; indent=2", {"indent": None})
    assert b'\n  "sessions": [\n    {\n      "id": ' in response.content


def test_given_a_day_whose_times_may_leave_the_written_years_then_the_board_is_read_as_values(clinic):
    # given the board's last day, whose sessions may end in a year the API does not write
    years = board_text_years()

    # when / then: it is read as values, and a day of this century as text
    assert (
        selectors.day_board(clinic=clinic, day=dt.date(2100, 12, 31), text_years=years, written=True)["written"]
        is False
    )
    assert selectors.day_board(clinic=clinic, day=MONDAY, text_years=years, written=True)["written"] is True


def _one_session_board(starts_at) -> dict:
    moment = {"starts_at": starts_at, "ends_at": None, "block_starts_at": starts_at, "block_ends_at": starts_at}
    session = {
        "id": 1,
        "patient": {"id": 2, "name": "A Quinn"},
        "kind": "dosing",
        "status": "scheduled",
        **moment,
        "room": None,
        "telehealth": False,
        "staff": [],
        "linked": [{"id": 3, "kind": "integration", "status": "scheduled", "starts_at": starts_at}],
        "flags": {"late": False, "late_cancel": False, "prerequisite_missing": None, "ride_not_confirmed": None},
        "authorization": None,
    }
    return {"clinic": 1, "date": MONDAY, "timezone": "UTC", "sessions": [session], "by_room": [], "by_staff": []}


def test_given_times_in_and_out_of_utc_then_the_board_writes_them_as_the_serializer_does():
    assert current_zone_is_utc()  # the board's own writing, not the serializer it falls back to
    for starts_at in (
        dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 9, 14, 0, 0, 250, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 9, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ):
        board = _one_session_board(starts_at)
        assert JSONRenderer().render(day_board_data(board)) == JSONRenderer().render(DayBoardSerializer(board).data)
    written = day_board_data(_one_session_board(dt.datetime(2026, 3, 9, 14, 0, 0, 250, tzinfo=dt.UTC)))
    assert written["sessions"][0]["starts_at"] == "2026-03-09T14:00:00.000250Z"
    assert written["sessions"][0]["ends_at"] is None


def test_given_a_time_of_an_implausible_year_then_the_board_fails_as_the_serializer_fails():
    board = _one_session_board(dt.datetime(2150, 3, 9, 14, 0, tzinfo=dt.UTC))
    with pytest.raises(Exception) as serializer_error:
        DayBoardSerializer(board).data  # noqa: B018 - the representation, for its error
    with pytest.raises(type(serializer_error.value)) as board_error:
        day_board_data(board)
    assert str(board_error.value) == str(serializer_error.value)
