"""axe-core finds no serious or critical violation on any screen of the web app."""

from __future__ import annotations

import pytest

from integration.links import checkin_token
from sessions.services import session_book
from tests.factories import PatientFactory, RoomFactory
from tests.web.conftest import NURSE_SHARED, local_date, soon

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def booked_session(clinic_in_daytime, round_the_clock_nurse):
    clinic = clinic_in_daytime
    patient = PatientFactory(home_clinic=clinic, first_name="Casey", last_name="Ellis")
    return session_book(
        clinic=clinic,
        patient=patient,
        shape=NURSE_SHARED,
        starts_at=soon(),
        room=RoomFactory(clinic=clinic, name="Chair 1"),
        staff=[round_the_clock_nurse],
        by=None,
    )


def test_the_login_screen_has_no_serious_violation(page, built_app, axe_violations):
    page.goto("/")
    page.get_by_role("button", name="Sign in").wait_for()
    assert axe_violations(page) == []


@pytest.mark.parametrize(
    ("screen", "ready"),
    [
        ("board", "Day board"),
        ("board-panel", "Casey Ellis"),
        ("patients", "Patients"),
        ("patient", "Casey Ellis"),
        ("new-patient", "Register a patient"),
        ("enroll", "Enroll and book: Casey Ellis"),
        ("followups", "Follow-ups"),
        ("chart", "Charts are for clinical staff"),
    ],
)
def test_each_front_desk_screen_has_no_serious_violation(
    app_login, scheduler_staff, clinic, booked_session, shipped, axe_violations, screen, ready
):
    # given the desk signed in, with a session on the board
    patient = booked_session.patient
    paths = {
        "board": f"/desk/board?date={local_date(booked_session, clinic)}",
        "board-panel": f"/desk/board?date={local_date(booked_session, clinic)}",
        "patients": "/desk/patients",
        "patient": f"/desk/patients/{patient.pk}",
        "new-patient": "/desk/patients/new",
        "enroll": f"/desk/patients/{patient.pk}/enroll",
        "followups": "/desk/followups",
        "chart": "/chart/sessions/1",
    }

    # when the screen is shown
    page = app_login(scheduler_staff, paths[screen])
    if screen == "board-panel":
        page.get_by_role("button", name=f"{patient.first_name} {patient.last_name}", exact=False).first.click()
    page.get_by_role("heading", name=ready).first.wait_for()
    page.wait_for_load_state("networkidle")

    # then axe finds nothing serious
    assert axe_violations(page) == []


def test_the_check_in_page_has_no_serious_violation(page, built_app, clinic, patient, axe_violations):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/checkin/{patient.pk}/{checkin_token(patient_id=patient.pk, clinic_id=clinic.pk)}/")
    page.get_by_role("heading", name="Your check-in").wait_for()
    assert axe_violations(page) == []
