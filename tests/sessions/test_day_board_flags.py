"""The front desk's day board says whether a dosing session's prerequisites and ride home are in
place and whether a prior authorization covers it, without any clinical detail; the front desk
records the ride and its escort (issue 12, item 9)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from monitoring.models import PriorAuthorization, SessionAttestation
from tests.factories import PatientFactory, RoomFactory
from tests.monitoring.factories import AttestationFactory, ConsentFactory, ScreenFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, THERAPIST_EXCLUSIVE, at

pytestmark = pytest.mark.django_db


def _board(client, clinic, day=MONDAY):
    response = client.get(f"/api/v1/scheduling/day-board/?clinic={clinic.pk}&date={day.isoformat()}")
    assert response.status_code == 200, response.content
    return {item["id"]: item for item in response.json()["sessions"]}


def _on_time(**flags) -> dict:
    """The flags of a session neither late nor cancelled late, with the others given."""
    return {"late": False, "late_cancel": False, **flags}


def _ready_records(patient, nurse, prescriber):
    """Consent and a reviewed, passing contraindication screen valid on the session's day."""
    ConsentFactory(patient=patient, witness=nurse, recorded_by=nurse)
    ScreenFactory(patient=patient, reviewed_by=prescriber, valid_until=MONDAY + dt.timedelta(days=30))


@pytest.fixture
def dosing(patient, chair, working_nurse, book, clinic):
    return book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)


def test_a_dosing_session_with_nothing_on_file_is_flagged(api, scheduler, clinic, dosing):
    # given: no consent, no screen, no escort recorded

    # when
    item = _board(api(scheduler), clinic)[dosing.pk]

    # then
    assert item["flags"] == _on_time(prerequisite_missing=True, ride_not_confirmed=True)
    assert item["authorization"] == "not_required"


def test_a_dosing_session_with_its_records_and_ride_in_place_is_clear(
    api, scheduler, clinic, dosing, nurse, prescriber
):
    # given
    _ready_records(dosing.patient, nurse, prescriber)
    AttestationFactory(session=dosing, recorded_by=nurse, escort_present=False, fasting_confirmed=False)

    # when
    item = _board(api(scheduler), clinic)[dosing.pk]

    # then
    assert (item["flags"]["prerequisite_missing"], item["flags"]["ride_not_confirmed"]) == (False, False)


def test_a_failed_screen_shows_only_that_a_prerequisite_is_missing(api, scheduler, clinic, dosing, nurse, prescriber):
    # given: the latest screen found a contraindication
    _ready_records(dosing.patient, nurse, prescriber)
    ScreenFactory(
        patient=dosing.patient,
        reviewed_by=prescriber,
        result="failed",
        answers={"pregnancy": True},
        screened_at=timezone.now() - dt.timedelta(days=1),
        valid_until=MONDAY + dt.timedelta(days=30),
    )

    # when
    item = _board(api(scheduler), clinic)[dosing.pk]

    # then: the flag, and nothing of what was found
    assert item["flags"]["prerequisite_missing"] is True
    assert "pregnancy" not in str(item)


def test_an_expired_consent_by_the_sessions_day_is_missing(api, scheduler, clinic, dosing, nurse, prescriber):
    # given: the only consent expires the Friday before
    ConsentFactory(patient=dosing.patient, witness=nurse, recorded_by=nurse, expires_on=MONDAY - dt.timedelta(days=3))
    ScreenFactory(patient=dosing.patient, reviewed_by=prescriber, valid_until=MONDAY + dt.timedelta(days=30))

    # when / then
    assert _board(api(scheduler), clinic)[dosing.pk]["flags"]["prerequisite_missing"] is True


def test_the_authorization_status_is_shown_without_its_detail(api, scheduler, clinic, dosing, nurse, prescriber):
    # given: an authorization with sessions left on the session's day
    _ready_records(dosing.patient, nurse, prescriber)
    authorization = PriorAuthorization.objects.create(
        patient=dosing.patient,
        payer="Acme Health",
        reference="PA-77",
        authorised_sessions=6,
        used_sessions=5,
        valid_from=MONDAY - dt.timedelta(days=30),
        valid_until=MONDAY + dt.timedelta(days=30),
        recorded_by=nurse,
    )
    client = api(scheduler)

    # when / then: active
    item = _board(client, clinic)[dosing.pk]
    assert (item["authorization"], item["flags"]["prerequisite_missing"]) == ("active", False)
    assert "Acme" not in str(item) and "PA-77" not in str(item)

    # when / then: all six used, so missing
    PriorAuthorization.objects.filter(pk=authorization.pk).update(used_sessions=6)
    item = _board(client, clinic)[dosing.pk]
    assert (item["authorization"], item["flags"]["prerequisite_missing"]) == ("missing", True)


def test_a_preparation_session_needs_neither(api, scheduler, clinic, patient, book, kat_clinic_setup):
    # given
    prep = book(
        patient,
        at(clinic, MONDAY, 9),
        kat_clinic_setup["consult"][0],
        [kat_clinic_setup["therapist"]],
        shape=THERAPIST_EXCLUSIVE,
    )

    # when
    item = _board(api(scheduler), clinic)[prep.pk]

    # then
    assert (item["flags"]["prerequisite_missing"], item["flags"]["ride_not_confirmed"], item["authorization"]) == (
        False,
        False,
        "not_required",
    )


def test_the_front_desk_confirms_the_ride_and_the_board_shows_it(api, scheduler, clinic, dosing):
    # given
    client = api(scheduler)

    # when
    response = client.post(
        "/api/v1/chart/ride-confirmations/",
        {"session": dosing.pk, "escort_name": "Morgan Bennett (sister)", "escort_phone": "+1 212 555 0188"},
        format="json",
    )

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("session", "escort_name", "escort_phone", "escort_present", "ride_confirmed")} == {
        "session": dosing.pk,
        "escort_name": "Morgan Bennett (sister)",
        "escort_phone": "+1 212 555 0188",
        "escort_present": False,
        "ride_confirmed": True,
    }
    assert "fasting_confirmed" not in body
    assert _board(client, clinic)[dosing.pk]["flags"]["ride_not_confirmed"] is False


def test_the_front_desk_marks_the_escort_here_without_touching_fasting(api, scheduler, clinic, dosing, nurse):
    # given: the nurse confirmed fasting; the escort was recorded
    AttestationFactory(session=dosing, recorded_by=nurse, escort_present=False, fasting_confirmed=True)

    # when
    response = api(scheduler).post(
        "/api/v1/chart/ride-confirmations/",
        {"session": dosing.pk, "escort_name": "Pat Doe", "escort_phone": "+1 212 555 0199", "escort_present": True},
        format="json",
    )

    # then
    assert response.status_code == 201
    attestation = SessionAttestation.objects.get(session=dosing)
    assert (attestation.escort_present, attestation.fasting_confirmed) == (True, True)


def test_a_ride_without_a_phone_is_a_400_and_records_nothing(api, scheduler, dosing):
    response = api(scheduler).post(
        "/api/v1/chart/ride-confirmations/",
        {"session": dosing.pk, "escort_name": "Pat Doe", "escort_phone": " "},
        format="json",
    )
    assert (response.status_code, list(response.json()["errors"])) == (400, ["escort_phone"])
    assert not SessionAttestation.objects.exists()


def test_the_front_desk_still_cannot_write_or_read_the_clinical_attestation(api, scheduler, dosing):
    client = api(scheduler)
    posted = client.post(
        "/api/v1/chart/attestations/", {"session": dosing.pk, "fasting_confirmed": True}, format="json"
    )
    listed = client.get(f"/api/v1/chart/attestations/?session={dosing.pk}")
    assert (posted.status_code, listed.status_code) == (403, 403)
    assert not SessionAttestation.objects.exists()


@pytest.mark.parametrize("size", [2, 10])
def test_the_flags_keep_the_boards_query_count_fixed(
    api, scheduler, clinic, working_nurse, nurse, prescriber, book, size, django_assert_max_num_queries
):
    # given: dosing sessions of patients with consents, screens, authorizations and rides on file
    for i in range(size):
        patient = PatientFactory(home_clinic=clinic)
        _ready_records(patient, nurse, prescriber)
        PriorAuthorization.objects.create(
            patient=patient,
            payer="Acme Health",
            reference=f"PA-{i}",
            authorised_sessions=6,
            valid_from=MONDAY,
            valid_until=MONDAY + dt.timedelta(days=30),
            recorded_by=nurse,
        )
        start = at(clinic, MONDAY, 8) + dt.timedelta(minutes=100 * (i // 3))
        session = book(patient, start, RoomFactory(clinic=clinic), [working_nurse], shape=NURSE_SHARED)
        AttestationFactory(session=session, recorded_by=nurse)
    client = api(scheduler)

    # when / then: the plain board's seven, the flags judged in its statement of the sessions
    with django_assert_max_num_queries(7) as queries:
        board = _board(client, clinic)
    assert len(board) == size
    assert {(i["flags"]["prerequisite_missing"], i["authorization"]) for i in board.values()} == {(False, "active")}
    (judging,) = [q["sql"] for q in queries.captured_queries if "monitoring_consent" in q["sql"]]
    assert '"clinic_sessions_session"."block_starts_at" <' in judging
    assert "staffassignment" in judging  # (the same statement writes each session's staff)


def test_given_a_second_app_answering_flags_then_the_board_merges_both_answers_per_session(
    api, scheduler, clinic, dosing, nurse, prescriber
):
    # given charting's answer (records and ride in place) and another app's, which says the ride
    # is not confirmed after all
    from sessions import signals

    _ready_records(dosing.patient, nurse, prescriber)
    AttestationFactory(session=dosing, recorded_by=nurse, escort_present=False, fasting_confirmed=False)

    def ride_desk(sender, sessions, now, **kwargs):
        return {s.pk: {"ride_not_confirmed": True} for s in sessions}

    signals.day_board_flags.connect(ride_desk, dispatch_uid="tests.ride_desk")
    try:
        # when
        item = _board(api(scheduler), clinic)[dosing.pk]
    finally:
        signals.day_board_flags.disconnect(dispatch_uid="tests.ride_desk")

    # then each app's flag is kept, and charting's answers the rest
    assert item["flags"] == _on_time(prerequisite_missing=False, ride_not_confirmed=True)
    assert item["authorization"] == "not_required"
    assert _board(api(scheduler), clinic)[dosing.pk]["flags"]["ride_not_confirmed"] is False
