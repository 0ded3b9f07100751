"""Clinicians' screens in a real browser: vitals and their alert, a gate override and a dose, a
signed note and its addendum, the desk kept out, and axe-core on every clinician screen."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import FollowUp
from integration.services import oncall_set
from kat_clinic.roles import Role
from monitoring.models import Alert, ChecklistOverride, ClinicalNote, DoseAdministration, VitalSign
from monitoring.services.notes import note_create, note_sign
from monitoring.services.scales import scale_response_record
from monitoring.services.vitals import vitals_record
from sessions.services import session_book
from tests.factories import PatientFactory, RoomFactory, WeightFactory
from tests.monitoring.factories import AttestationFactory, ConsentFactory, ScreenFactory, SessionFactory, VitalFactory
from tests.sessions.conftest import works_every_day
from tests.web.conftest import NURSE_SHARED, soon

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_totp(settings):
    # Clinical roles sign in with a TOTP code in production; the login screen's OTP step is the desk
    # helper's to test, these tests are about the chart.
    settings.OTP_REQUIRED_FOR_CLINICAL_ROLES = False


@pytest.fixture
def nurse_staff(clinic, make_staff):
    return make_staff(clinic, Role.NURSE)


@pytest.fixture
def prescriber_staff(clinic, make_staff):
    return make_staff(clinic, Role.PRESCRIBER)


@pytest.fixture
def dosing_session(clinic, nurse_staff, prescriber_staff):
    """A dosing session in progress whose gate holds except fasting (not attested); 80 kg on file."""
    session = SessionFactory(patient=PatientFactory(home_clinic=clinic, first_name="Robin", last_name="Hale"))
    ConsentFactory(patient=session.patient, witness=nurse_staff, recorded_by=nurse_staff)
    ScreenFactory(patient=session.patient, reviewed_by=prescriber_staff)
    AttestationFactory(session=session, recorded_by=nurse_staff, fasting_confirmed=False, last_ate_at=None)
    WeightFactory(patient=session.patient, weight_kg=Decimal("80.0"), measured_at=timezone.now() - dt.timedelta(days=2))
    VitalFactory(session=session, entered_by=nurse_staff, measured_at=timezone.now() - dt.timedelta(minutes=10))
    return session


def test_a_nurse_records_vitals_above_threshold_and_sees_the_alert_at_once(app_login, nurse_staff, dosing_session):
    # given the nurse on the session's chart, no alert yet
    page = app_login(nurse_staff, f"/chart/sessions/{dosing_session.pk}")
    page.get_by_role("heading", name="Vitals").wait_for()
    assert page.get_by_role("alert", name="Open alerts").count() == 0

    # when she records a blood pressure at the critical limit
    form = page.get_by_role("form", name="Record vitals")
    form.get_by_label("Systolic (mmHg)").fill("205")
    form.get_by_label("Diastolic (mmHg)").fill("125")
    form.get_by_label("Heart rate (bpm)").fill("88")
    form.get_by_role("button", name="Record vitals").click()

    # then the alert the server raised is on the chart, and the reading is in the flowsheet
    banner = page.get_by_role("alert", name="Open alerts")
    banner.wait_for()
    assert "Blood pressure 205/125 at or above the critical limit." in banner.inner_text()
    expect(page.get_by_role("cell", name="205/125")).to_have_count(1)
    alert = Alert.objects.get(session=dosing_session)
    assert (alert.kind, alert.acknowledged_at) == ("bp_critical", None)
    assert VitalSign.objects.filter(session=dosing_session, systolic_mmhg=205, diastolic_mmhg=125).count() == 1
    # and the clinic's thresholds are drawn on the chart
    expect(page.locator("[data-threshold='bp_critical.systolic_mmhg']")).to_have_count(1)


def test_a_prescriber_overrides_a_gate_item_with_a_reason_and_records_a_dose(
    app_login, prescriber_staff, dosing_session
):
    # given the gate lists the fasting not attested
    page = app_login(prescriber_staff, f"/chart/sessions/{dosing_session.pk}")
    gate = page.get_by_role("region", name=re.compile("Pre-dose gate"))
    gate.get_by_text("Fasting is not confirmed with the time the patient last ate.").wait_for()

    # when the prescriber overrides it with a reason
    gate.get_by_role("button", name="Override fasting").click()
    gate.get_by_label("Reason for overriding fasting").fill(
        "Diabetic patient: light breakfast advised by the prescriber."
    )
    gate.get_by_role("button", name="Record override").click()
    gate.get_by_text("Ready").wait_for()

    # and records an intramuscular dose of 0.5 mg/kg
    dose = page.get_by_role("form", name="Initial dose")
    dose.get_by_label("Route").select_option("im")
    dose.get_by_label("Dose (mg/kg)").fill("0.5")
    dose.get_by_label("Concentration (mg/ml)").fill("50")
    expect(page.get_by_test_id("dose-preview")).to_have_text(re.compile(r"^Preview: 40\.00 mg · 0\.80 ml"))
    dose.get_by_label("Lot number").fill("KX-2291")
    dose.get_by_label("Lot expires on").fill((timezone.localdate() + dt.timedelta(days=200)).isoformat())
    dose.get_by_role("button", name="Record dose").click()

    # then the dose is on the chart as the server computed it
    page.get_by_role("cell", name="40.00 mg ketamine im").wait_for()
    override = ChecklistOverride.objects.get(session=dosing_session)
    assert (override.stage, override.item, override.overridden_by_id) == (
        "gate",
        "fasting_confirmed",
        prescriber_staff.pk,
    )
    given = DoseAdministration.objects.get(session=dosing_session)
    assert (given.kind, given.dose_mg, given.volume_ml, given.ordered_by_id) == (
        "initial",
        Decimal("40.00"),
        Decimal("0.80"),
        prescriber_staff.pk,
    )


def test_a_refused_override_shows_the_field_message_where_the_reason_was_typed(
    app_login, prescriber_staff, dosing_session
):
    page = app_login(prescriber_staff, f"/chart/sessions/{dosing_session.pk}")
    gate = page.get_by_role("region", name=re.compile("Pre-dose gate"))
    gate.get_by_role("button", name="Override fasting").click()

    # when the reason is too short
    gate.get_by_label("Reason for overriding fasting").fill("no")
    gate.get_by_role("button", name="Record override").click()

    # then the field's message is under the reason, and nothing was recorded
    gate.locator(".field-errors").wait_for()
    assert "10" in gate.locator(".field-errors").inner_text()
    assert ChecklistOverride.objects.count() == 0


def test_a_signed_note_cannot_be_edited_and_an_addendum_can_be_added(app_login, nurse_staff, dosing_session):
    # given the nurse's signed dosing note
    note = note_create(session=dosing_session, author=nurse_staff, sections={"patient_experience": "Calm, settled."})
    note_sign(note=note, by=nurse_staff)
    page = app_login(nurse_staff, f"/chart/sessions/{dosing_session.pk}")
    signed = page.get_by_test_id("signed-note")
    signed.wait_for()

    # then it is shown read-only: no field of the note can be typed in
    assert "Calm, settled." in signed.inner_text()
    assert page.get_by_role("form", name="Note").count() == 0
    assert page.get_by_role("button", name="Sign note").count() == 0

    # when she adds an addendum
    page.get_by_role("form", name="Addendum").get_by_label("Addendum").fill("Patient called back: home safe.")
    page.get_by_role("button", name="Add addendum").click()

    # then it is listed beneath the note, and the signed note is unchanged
    page.locator(".addenda").get_by_text("Patient called back: home safe.").wait_for()
    note.refresh_from_db()
    assert note.sections == {"patient_experience": "Calm, settled."}
    assert list(ClinicalNote.objects.filter(amends=note).values_list("body", flat=True)) == [
        "Patient called back: home safe."
    ]


def test_my_day_lists_the_sessions_the_clinician_is_assigned_to(app_login, clinic_in_daytime, make_staff):
    clinic = clinic_in_daytime
    # given a nurse booked on a session today, and a session of another nurse

    mine = works_every_day(make_staff(clinic, Role.NURSE), clinic, start=dt.time(0, 0), end=dt.time(23, 59))
    theirs = works_every_day(make_staff(clinic, Role.NURSE), clinic, start=dt.time(0, 0), end=dt.time(23, 59))
    room = RoomFactory(clinic=clinic, name="Chair 1")
    start = soon(30)
    patient = PatientFactory(home_clinic=clinic, first_name="Ari", last_name="Moss")
    session_book(clinic=clinic, patient=patient, shape=NURSE_SHARED, starts_at=start, room=room, staff=[mine], by=None)
    other = PatientFactory(home_clinic=clinic, first_name="Noa", last_name="Park")
    session_book(
        clinic=clinic,
        patient=other,
        shape=NURSE_SHARED,
        starts_at=start,
        room=RoomFactory(clinic=clinic),
        staff=[theirs],
        by=None,
    )

    # when
    page = app_login(mine, "/chart/my-day")

    # then only her session is listed, with the patient's next step
    page.get_by_role("link", name="Ari Moss").wait_for()
    assert page.get_by_role("link", name="Noa Park").count() == 0
    assert page.get_by_role("row", name=re.compile("Ari Moss")).get_by_text("Waiting for check-in").count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/chart/my-day",
        "/chart/alerts",
        "/chart/sessions/1",
        "/chart/patients/1/measures",
        "/chart/enrollments/1/integration",
    ],
)
def test_the_front_desk_reaches_no_clinician_screen(app_login, clinic, make_staff, path):
    # when the desk opens a clinician address
    page = app_login(make_staff(clinic, Role.SCHEDULER), path)

    # then it is turned away, and the nav offers no clinician screen
    page.get_by_role("heading", name="Charts are for clinical staff").wait_for()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="My day").count() == 0
    assert nav.get_by_role("link", name="Alerts").count() == 0


def _paged(clinic, make_staff, nurse_staff, dosing_session):
    """A critical blood pressure that paged the first on call, Dana Reyes; the second, Sam Ortiz, is
    due in 5 minutes. (alert, first, second)"""
    first = make_staff(clinic, Role.NURSE, first_name="Dana", last_name="Reyes", phone="+1 212 555 0111")
    second = make_staff(clinic, Role.NURSE, first_name="Sam", last_name="Ortiz", phone="+1 212 555 0122")
    oncall_set(clinic_id=clinic.pk, staff_ids=[first.pk, second.pk])
    reading = {"measured_at": timezone.now() - dt.timedelta(minutes=1), "systolic_mmhg": 205, "diastolic_mmhg": 125}
    vitals_record(session=dosing_session, by=nurse_staff, readings=[reading])
    return Alert.objects.get(session=dosing_session), first, second


def test_a_pages_link_opens_the_alert_shows_who_was_told_and_acknowledging_stops_the_escalation(
    app_login, clinic, make_staff, nurse_staff, prescriber_staff, dosing_session
):
    # given: a critical blood pressure paged the first on call; the second is due in 5 minutes
    alert, first, second = _paged(clinic, make_staff, nurse_staff, dosing_session)

    # when the first on call follows the page's link and signs in
    page = app_login(first, f"/alerts/{alert.pk}")
    page.get_by_role("heading", name="High-priority alert: Critical blood pressure").wait_for()

    # then the alert is open and says who is paged next
    assert page.url.endswith(f"/chart/alerts/{alert.pk}")
    # (waiting for the escalation's own read: until then the screen says it is reading it)
    status = page.get_by_role("status").filter(has_text="Open.")
    expect(status).to_contain_text("If no one acknowledges it, Sam Ortiz is paged at")
    told = page.get_by_role("table", name="Who was told")
    expect(told.get_by_role("row").filter(has_text="Dana Reyes")).to_have_count(2)  # in the app, and by text message
    expect(told.get_by_role("row").filter(has_text="Sam Ortiz").filter(has_text="Text message")).to_have_count(1)

    # when she acknowledges it
    page.get_by_role("button", name="Acknowledge").click()

    # then the screen says so and nobody else is paged
    page.get_by_role("status").filter(has_text="Acknowledged by Dana Reyes").wait_for()
    alert.refresh_from_db()
    assert alert.acknowledged_by_id == first.pk
    assert FollowUp.objects.get(alert=alert, channel="sms", staff=second).status == FollowUp.Status.CANCELLED


def test_an_alert_whose_escalation_is_not_read_yet_never_says_no_one_is_paged(
    app_login, page, clinic, make_staff, nurse_staff, dosing_session
):
    # given a paged alert, and the escalation's read failing (as a slow answer would leave it unread)
    alert, first, _second = _paged(clinic, make_staff, nurse_staff, dosing_session)
    page.route(re.compile(r".*/api/v1/followups/.*"), lambda route: route.abort())

    # when the first on call opens it
    page = app_login(first, f"/alerts/{alert.pk}")
    page.get_by_role("heading", name="High-priority alert: Critical blood pressure").wait_for()

    # then the screen says it is reading who is paged next, not that no one is
    expect(page.get_by_role("status").filter(has_text="Open.")).to_have_text("Open. Reading who is paged next…")


@pytest.fixture
def charted(clinic, nurse_staff, prescriber_staff, make_staff, dosing_session):
    """A session with a few readings, an alert and a PHQ-9 course."""
    therapist = make_staff(clinic, Role.THERAPIST)
    readings = [
        {
            "measured_at": timezone.now() - dt.timedelta(minutes=minutes),
            "systolic_mmhg": systolic,
            "diastolic_mmhg": diastolic,
            "heart_rate_bpm": 80,
            "spo2_percent": 97,
        }
        for minutes, systolic, diastolic in ((40, 132, 84), (30, 150, 92), (20, 205, 121))
    ]
    vitals_record(session=dosing_session, by=nurse_staff, readings=readings)
    for answers in ([2] * 9, [1] * 9, [0] * 8 + [1]):
        scale_response_record(patient=dosing_session.patient, scale="phq9", answers=answers, by=therapist)
    return dosing_session


@pytest.mark.parametrize(
    ("screen", "ready"),
    [
        ("my-day", "My day"),
        ("chart", "Vitals"),
        ("measures", "Measures"),
        ("alerts", "Alerts"),
        ("alert", "High-priority alert"),
        ("integration", "Integration plan"),
    ],
)
def test_each_clinician_screen_has_no_serious_violation(
    app_login, prescriber_staff, charted, axe_violations, screen, ready
):
    paths = {
        "my-day": "/chart/my-day",
        "chart": f"/chart/sessions/{charted.pk}",
        "measures": f"/chart/patients/{charted.patient_id}/measures",
        "alerts": "/chart/alerts",
        "alert": f"/chart/alerts/{Alert.objects.filter(session=charted).first().pk}",
        "integration": "/chart/enrollments/1/integration",
    }
    page = app_login(prescriber_staff, paths[screen])
    page.get_by_role("heading", name=ready).first.wait_for()
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
