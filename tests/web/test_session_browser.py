"""Signing in and staying signed in (issue 14): the TOTP step for clinical roles, the idle sign-out,
the clinic switcher, the day board's own refresh, and the keyboard alone. Timers run on Playwright's
fake clock, so nothing waits for real time."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kat_clinic.models import ClinicMembership
from kat_clinic.roles import Role
from sessions.services import session_book
from tests.factories import PatientFactory, RoomFactory
from tests.web.conftest import NURSE_SHARED, PASSWORD, local_date, soon

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(device: TOTPDevice, shift: int = 0) -> str:
    return f"{(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits) + shift) % 1_000_000:06d}"


def test_a_nurse_signs_in_with_the_code_from_her_authenticator(page, built_app, clinic, make_staff, settings):
    # given: clinical roles need a TOTP code; the nurse has a confirmed device
    settings.OTP_REQUIRED_FOR_CLINICAL_ROLES = True
    # the wait django-otp imposes after a wrong code is the API's test (test_auth); here none
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    nurse = make_staff(clinic, Role.NURSE)
    device = TOTPDevice.objects.create(user=nurse.user, name="phone", confirmed=True)
    page.goto("/")
    page.get_by_label("Username").fill(nurse.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # then: the server asks for the code, and the screen shows where to type it
    page.get_by_label("One-time code").wait_for()
    assert "Enter the 6-digit code from your authenticator app." in page.locator(".field-errors").inner_text()

    # when: a wrong code, then the current one
    page.get_by_label("One-time code").fill(_code(device, shift=1))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="one-time code").wait_for()
    assert page.get_by_role("navigation", name="Main").count() == 0
    page.get_by_label("One-time code").fill(_code(device))
    page.get_by_role("button", name="Sign in").click()

    # then: signed in
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My day").wait_for()


def test_thirty_minutes_without_activity_sign_out(page, app_login, clinic, make_staff):
    # given: signed in, on the page's fake clock
    page.clock.install()
    app_login(make_staff(clinic, Role.SCHEDULER))

    # when: 30 minutes pass without a key or a click
    page.clock.fast_forward("30:01")

    # then: back on the login screen, told why
    page.get_by_role("status").filter(has_text="signed out after 30 minutes without activity").wait_for()
    assert page.get_by_role("button", name="Sign in").count() == 1
    assert page.evaluate("() => sessionStorage.getItem('kat.token')") is None


def test_staff_of_two_clinics_switch_clinic_and_see_its_board(app_login, clinic, other_clinic, make_staff):
    # given: a scheduler at both clinics, each with its own room
    RoomFactory(clinic=clinic, name="Midtown Chair")
    RoomFactory(clinic=other_clinic, name="Brooklyn Chair")
    scheduler = make_staff(clinic, Role.SCHEDULER)
    ClinicMembership.objects.create(staff=scheduler, clinic=other_clinic, role=Role.SCHEDULER)
    page = app_login(scheduler, "/desk/board")
    switcher = page.get_by_label("Clinic")
    first = switcher.evaluate("el => el.selectedOptions[0].textContent")
    other = "Midtown" if first == "Brooklyn" else "Brooklyn"
    page.get_by_text(f"{first} Chair").wait_for()

    # when
    switcher.select_option(label=other)

    # then: the other clinic's board, and only it
    page.get_by_text(f"{other} Chair").wait_for()
    assert page.get_by_text(f"{first} Chair").count() == 0


def test_the_day_board_refreshes_by_itself(page, app_login, clinic_in_daytime, make_staff, round_the_clock_nurse):
    clinic = clinic_in_daytime
    # given: the desk's board of the day a session is about to be booked on
    room = RoomFactory(clinic=clinic, name="Chair 1")
    starts_at = soon()
    page.clock.install()
    app_login(make_staff(clinic, Role.SCHEDULER), f"/desk/board?date={starts_at.astimezone(clinic.tz).date()}")
    page.get_by_text("Chair 1").wait_for()
    assert page.get_by_role("button", name=re.compile("Quinn Garcia")).count() == 0

    # when: someone else books it, and the board's refresh period passes
    patient = PatientFactory(home_clinic=clinic, first_name="Quinn", last_name="Garcia")
    session = session_book(
        clinic=clinic,
        patient=patient,
        shape=NURSE_SHARED,
        starts_at=starts_at,
        room=room,
        staff=[round_the_clock_nurse],
        by=None,
    )
    assert local_date(session, clinic) == str(starts_at.astimezone(clinic.tz).date())
    page.clock.fast_forward("00:31")

    # then: it is on the board without a reload
    page.get_by_role("button", name=re.compile("Quinn Garcia")).wait_for()


def test_the_keyboard_alone_signs_in_and_reaches_the_ledger(page, built_app, clinic, make_staff, settings):
    settings.OTP_REQUIRED_FOR_CLINICAL_ROLES = False
    nurse = make_staff(clinic, Role.NURSE)
    page.goto("/")
    page.get_by_label("Username").focus()

    # when: typing, Tab and Enter only
    page.keyboard.type(nurse.user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    nav = page.get_by_role("navigation", name="Main")
    nav.wait_for()
    nav.get_by_role("link", name="Controlled").focus()
    page.keyboard.press("Enter")

    # then
    page.get_by_role("heading", name="Controlled substances").wait_for()
    assert page.url.endswith("/ledger")
