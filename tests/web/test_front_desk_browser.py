"""The front desk in a real browser: enroll and book a whole program, see it on the day board,
check a patient in, confirm a ride home, read local times right on daylight-saving days, and stay
out of charts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring.models import SessionAttestation
from programs.models import Enrollment
from sessions.models import Session
from sessions.services import session_book
from tests.factories import PatientFactory, RoomFactory
from tests.web.conftest import NURSE_SHARED, local_date, soon

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_enrolls_a_patient_in_kat_books_the_whole_program_and_sees_it_on_the_day_board(
    app_login, scheduler_staff, clinic, shipped, kat_clinic_setup
):
    # given a patient of the clinic, and the KAT program published
    patient = PatientFactory(home_clinic=clinic, first_name="Avery", last_name="Bennett")
    page = app_login(scheduler_staff, f"/desk/patients/{patient.pk}/enroll")

    # when the desk picks the KAT template, previews and accepts
    page.get_by_role("radio", name=re.compile(shipped["ketamine_assisted_therapy"].name)).check()
    page.get_by_role("button", name="Enroll").click()
    page.get_by_role("button", name="Preview the sessions").click()
    accept = page.get_by_role("button", name=re.compile(r"Accept and book all \d+ sessions"))
    accept.wait_for()
    proposed = int(re.search(r"all (\d+) sessions", accept.inner_text()).group(1))
    accept.click()
    page.get_by_text(f"Booked {proposed} sessions.").wait_for()

    # then every planned session is booked, and the first is on the day board
    enrollment = Enrollment.objects.get(patient=patient)
    booked = Session.objects.filter(enrollment=enrollment, active=True).order_by("starts_at")
    assert booked.count() == proposed == enrollment.planned_sessions.count()
    page.get_by_role("link", name="See the first one on the day board").click()
    first = booked[0]
    start = first.starts_at.astimezone(clinic.tz).strftime("%H:%M")
    block = page.get_by_role("button", name=re.compile(rf"^Avery Bennett\s*,.*{start}"))
    block.wait_for()
    assert page.url.endswith(f"/desk/board?date={local_date(first, clinic)}")


def test_front_desk_checks_a_patient_in_from_the_day_board(
    app_login, scheduler_staff, clinic_in_daytime, round_the_clock_nurse
):
    clinic = clinic_in_daytime
    # given a session booked for soon
    patient = PatientFactory(home_clinic=clinic, first_name="Jordan", last_name="Castillo")
    chair = RoomFactory(clinic=clinic, name="Chair 1")
    session = session_book(
        clinic=clinic,
        patient=patient,
        shape=NURSE_SHARED,
        starts_at=soon(),
        room=chair,
        staff=[round_the_clock_nurse],
        by=None,
    )
    page = app_login(scheduler_staff, f"/desk/board?date={local_date(session, clinic)}")

    # when the desk opens the block and checks the patient in
    page.get_by_role("button", name=re.compile(r"^Jordan Castillo\s*,\s*Dosing · Scheduled")).click()
    page.get_by_role("button", name="Check in").click()

    # then the board says so, and the session is checked in
    page.get_by_role("status").filter(has_text="Checked in.").wait_for()
    page.get_by_role("button", name=re.compile(r"^Jordan Castillo\s*,\s*Dosing · Checked in")).wait_for()
    session.refresh_from_db()
    assert session.status == Session.Status.CHECKED_IN
    assert session.checked_in_at is not None


def test_front_desk_confirms_a_ride_home_and_the_ride_badge_leaves_the_day_board(
    app_login, scheduler_staff, clinic, round_the_clock_nurse, axe_violations
):
    # given a dosing session booked for 10:00 tomorrow (clinic time), with no escort recorded
    patient = PatientFactory(home_clinic=clinic, first_name="Morgan", last_name="Fischer")
    chair = RoomFactory(clinic=clinic, name="Chair 1")
    tomorrow = timezone.now().astimezone(clinic.tz).date() + dt.timedelta(days=1)
    session = session_book(
        clinic=clinic,
        patient=patient,
        shape=NURSE_SHARED,
        starts_at=dt.datetime.combine(tomorrow, dt.time(10, 0), tzinfo=clinic.tz),
        room=chair,
        staff=[round_the_clock_nurse],
        by=None,
    )
    page = app_login(scheduler_staff, f"/desk/board?date={local_date(session, clinic)}")
    board = page.get_by_role("region", name="Sessions by room")
    block = page.get_by_role("button", name=re.compile(r"^Morgan Fischer\s*,\s*Dosing · Scheduled"))
    block.wait_for()
    assert "Ride not confirmed" in block.text_content()

    # when the desk opens the block and confirms the ride with the escort, who is here
    block.click()
    panel = page.get_by_role("complementary")
    panel.get_by_text("Ride not confirmed").wait_for()
    form = panel.get_by_role("form", name="Confirm ride home")
    form.get_by_label("Escort's name").fill("  Dana Fischer ")
    form.get_by_label("Escort's phone").fill("+1 212 555 0142")
    form.get_by_label("The escort is here").check()
    assert axe_violations(page) == []
    form.get_by_role("button", name="Confirm ride").click()

    # then the panel says so, the badge leaves the board and the panel, and the ride is stored as typed
    page.get_by_role("status").filter(has_text="Ride home confirmed with Dana Fischer, who is here.").wait_for()
    board.get_by_text("Ride not confirmed").wait_for(state="detached")
    assert panel.get_by_text("Ride not confirmed").count() == 0
    ride = SessionAttestation.objects.get(session=session)
    assert (ride.escort_name, ride.escort_phone, ride.escort_present, ride.recorded_by_id) == (
        "Dana Fischer",
        "+1 212 555 0142",
        True,
        scheduler_staff.pk,
    )
    assert SessionAttestation.objects.count() == 1


@pytest.mark.parametrize(
    ("day", "utc_start", "shown"),
    [
        # spring forward: 02:00 EST -> 03:00 EDT; 09:00 that morning is 13:00 UTC
        (dt.date(2027, 3, 14), dt.datetime(2027, 3, 14, 13, 0, tzinfo=dt.UTC), "09:00 EDT"),
        # fall back: 02:00 EDT -> 01:00 EST; 09:00 that morning is 14:00 UTC
        (dt.date(2027, 11, 7), dt.datetime(2027, 11, 7, 14, 0, tzinfo=dt.UTC), "09:00 EST"),
    ],
)
def test_the_day_board_on_a_daylight_saving_change_day_shows_local_times(
    app_login, scheduler_staff, clinic, round_the_clock_nurse, day, utc_start, shown
):
    # given a session at 09:00 local on a change day
    patient = PatientFactory(home_clinic=clinic, first_name="Riley", last_name="Dawson")
    chair = RoomFactory(clinic=clinic, name="Chair 1")
    session_book(
        clinic=clinic,
        patient=patient,
        shape=NURSE_SHARED,
        starts_at=utc_start,
        room=chair,
        staff=[round_the_clock_nurse],
        by=None,
    )

    # when the desk opens that day's board
    page = app_login(scheduler_staff, f"/desk/board?date={day.isoformat()}")
    block = page.get_by_role("button", name=re.compile(r"^Riley Dawson"))
    block.wait_for()

    # then the block and its details read the clinic's wall clock, with the right abbreviation
    assert shown in block.text_content()
    block.click()
    expect(page.get_by_role("complementary")).to_contain_text(shown)


def test_the_front_desk_cannot_reach_a_chart_screen_and_the_api_refuses_it_too(app_login, scheduler_staff, clinic):
    # when the desk opens a chart address
    page = app_login(scheduler_staff, "/chart/sessions/1")

    # then the screen turns it away
    page.get_by_role("heading", name="Charts are for clinical staff").wait_for()
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("chart", re.I)).count() == 0

    # and the API, asked with the desk's own token, refuses the chart
    token = page.evaluate("() => sessionStorage.getItem('kat.token')")
    response = page.request.get("/api/v1/chart/notes/", headers={"Authorization": f"Token {token}"})
    assert response.status == 403
