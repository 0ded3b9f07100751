"""Esketamine REMS as the label says (issue 12, item 6): the course's dose per session, the blood
pressure before the first device and around 40 minutes, two hours of monitoring that no one
overrides (an emergency transfer is the only early end), and the Patient Monitoring Form generated
at completion with every fact of DOMAIN's REMS list, not submitted while one is missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from kat_clinic.models import Clinic, ClinicMembership
from monitoring.models import (
    ChartingPolicy,
    ChecklistOverride,
    DoseAdministration,
    Escalation,
    PatientMedication,
    RemsMonitoringForm,
    RemsPatientEnrollment,
    SedationScore,
    SessionAttestation,
    VitalSign,
)
from sessions.models import Session
from tests.clock import clinic_today
from tests.factories import CertificationFactory
from tests.monitoring.factories import VitalFactory
from tests.monitoring.test_esketamine_label import _esketamine

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def rems_session(ready_session, nurse):
    RemsPatientEnrollment.objects.create(
        patient=ready_session.patient,
        rems_patient_id="RP-4471",
        enrolled_on=clinic_today(ready_session.clinic) - dt.timedelta(days=3),
        recorded_by=nurse,
    )
    return ready_session


@pytest.fixture
def course(rems_session, organization):
    """The session is occurrence `n` of the shipped esketamine induction (56 mg first, then up to 84)."""
    from programs.catalog import install_shipped_templates
    from programs.models import ProgramTemplate
    from programs.services import enrollment_create

    install_shipped_templates(organization=organization)
    template = ProgramTemplate.objects.get(organization=organization, catalog_key="esketamine_induction_rems")
    enrollment = enrollment_create(patient=rems_session.patient, template=template, by=None)

    def occurrence(n: int) -> Session:
        planned = enrollment.planned_sessions.get(occurrence=n)
        Session.objects.filter(pk=rems_session.pk).update(planned_session=planned, enrollment=enrollment)
        rems_session.refresh_from_db()
        return rems_session

    return occurrence


# --- the dose per session -------------------------------------------------------------------------


def test_84_mg_at_the_first_session_of_a_course_that_starts_at_56_is_refused(api, nurse, prescriber, course):
    # given: the first session of the course
    session = course(1)

    # when
    response = api(nurse).post("/api/v1/chart/doses/", _esketamine(session, prescriber, 84))

    # then
    assert response.status_code == 422
    problem = response.json()
    assert (problem["type"], problem["step_low_mg"], problem["step_high_mg"], list(problem["errors"])) == (
        "urn:kat-clinic:problem:esketamine_dose_step",
        "56.00",
        "56.00",
        ["step_override_reason"],
    )
    assert not DoseAdministration.objects.exists()


def test_a_prescriber_gives_84_mg_at_the_first_session_with_a_reason(api, prescriber, course):
    # given
    session = course(1)

    # when
    response = api(prescriber).post(
        "/api/v1/chart/doses/",
        _esketamine(session, prescriber, 84, step_override_reason="Continuing a course started at another clinic."),
    )

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["dose_mg"], body["step_override_reason"], body["step_overridden_by"]) == (
        "84.00",
        "Continuing a course started at another clinic.",
        prescriber.pk,
    )


def test_a_nurse_cannot_give_the_step_override_reason(api, nurse, prescriber, course):
    session = course(1)
    response = api(nurse).post(
        "/api/v1/chart/doses/", _esketamine(session, prescriber, 84, step_override_reason="The prescriber said so.")
    )
    assert (response.status_code, response.json()["type"]) == (422, "urn:kat-clinic:problem:role_required")
    assert not DoseAdministration.objects.exists()


@pytest.mark.parametrize("mg", [56, 84])
def test_a_later_session_takes_56_or_84_mg(api, nurse, prescriber, course, mg):
    session = course(2)
    response = api(nurse).post("/api/v1/chart/doses/", _esketamine(session, prescriber, mg))
    assert (response.status_code, response.json()["dose_mg"]) == (201, f"{mg}.00")


def test_outside_a_course_the_first_dose_ever_is_56_mg_for_every_adult(api, nurse, prescriber, rems_session, patient):
    # given: a 70-year-old at a US clinic (no older-adult start set)
    type(patient).objects.filter(pk=patient.pk).update(date_of_birth=dt.date.today() - dt.timedelta(days=70 * 366))

    # when
    refused = api(nurse).post("/api/v1/chart/doses/", _esketamine(rems_session, prescriber, 84))
    given = api(nurse).post("/api/v1/chart/doses/", _esketamine(rems_session, prescriber, 56))

    # then
    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:kat-clinic:problem:esketamine_dose_step"
    assert given.status_code == 201, given.json()


def test_a_clinic_on_a_label_with_a_lower_start_for_older_patients_starts_them_at_28(
    api, nurse, prescriber, rems_session, patient
):
    # given: the label region's setting: 28 mg first from 65
    ChartingPolicy.objects.create(clinic=rems_session.clinic, esketamine_older_adult_first_dose_mg=D("28"))
    type(patient).objects.filter(pk=patient.pk).update(date_of_birth=dt.date.today() - dt.timedelta(days=70 * 366))

    # when
    refused = api(nurse).post("/api/v1/chart/doses/", _esketamine(rems_session, prescriber, 56))
    given = api(nurse).post("/api/v1/chart/doses/", _esketamine(rems_session, prescriber, 28))

    # then
    assert (refused.status_code, refused.json()["step_high_mg"]) == (422, "28.00")
    assert given.status_code == 201
    assert list(DoseAdministration.objects.values_list("dose_mg", flat=True)) == [D("28.00")]


def test_a_step_override_never_goes_above_84_mg_or_off_the_28_mg_devices(api, prescriber, course):
    session = course(2)
    reason = {"step_override_reason": "Partial response at 84 mg so far."}
    above = api(prescriber).post("/api/v1/chart/doses/", _esketamine(session, prescriber, 112, **reason))
    off_device = api(prescriber).post("/api/v1/chart/doses/", _esketamine(session, prescriber, 70, **reason))
    assert (above.json()["type"], off_device.json()["type"]) == (
        "urn:kat-clinic:problem:esketamine_label_maximum",
        "urn:kat-clinic:problem:esketamine_device_step",
    )
    assert not DoseAdministration.objects.exists()


# --- blood pressure before the first device and around 40 minutes ---------------------------------


def test_no_blood_pressure_before_the_first_device_is_refused_and_cannot_be_overridden(api, nurse, prescriber, course):
    # given: the first session of the course; its only reading is marked entered in error
    rems_session = course(1)
    VitalSign.objects.filter(session=rems_session).update(
        entered_in_error_at=timezone.now(), entered_in_error_by=nurse, entered_in_error_reason="Wrong patient."
    )

    # when: a prescriber tries to override the missing reading, then a nurse gives the dose
    override = api(prescriber).post(
        "/api/v1/chart/overrides/",
        {"session": rems_session.pk, "stage": "gate", "item": "predose_vitals", "reason": "Cuff is broken today."},
    )
    dose = api(nurse).post("/api/v1/chart/doses/", _esketamine(rems_session, prescriber, 56))

    # then
    assert (override.status_code, override.json()["type"]) == (422, "urn:kat-clinic:problem:not_overridable")
    assert dose.status_code == 422
    assert [i["item"] for i in dose.json()["unmet"]] == ["predose_vitals"]
    assert not ChecklistOverride.objects.exists()
    assert not DoseAdministration.objects.exists()


def test_a_reading_above_140_90_stays_the_prescribers_call_with_a_reason(api, nurse, prescriber, rems_session):
    # given
    VitalFactory(session=rems_session, entered_by=nurse, systolic_mmhg=146, diastolic_mmhg=88)

    # when
    held = api(nurse).post("/api/v1/chart/doses/", _esketamine(rems_session, prescriber, 56))
    override = api(prescriber).post(
        "/api/v1/chart/overrides/",
        {"session": rems_session.pk, "stage": "gate", "item": "predose_vitals", "reason": "Anxious; rechecked 138/86."},
    )
    given = api(nurse).post("/api/v1/chart/doses/", _esketamine(rems_session, prescriber, 56))

    # then
    assert [i["item"] for i in held.json()["unmet"]] == ["predose_vitals"]
    assert (override.status_code, given.status_code) == (201, 201)


def _dosed(session, nurse, prescriber, *, minutes_ago: int, mg="56.00", lot="SPR-7"):
    return DoseAdministration.objects.create(
        session=session,
        patient=session.patient,
        medication="esketamine",
        route="intranasal",
        dose_mg=D(mg),
        lot_number=lot,
        lot_expires_on=dt.date(2030, 1, 1),
        ordered_by=prescriber,
        administered_by=nurse,
        started_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


def test_the_40_minute_blood_pressure_is_due_then_flagged_missed(api, nurse, prescriber, rems_session):
    # given: dosed 30 minutes ago, blood pressure taken just before
    dose = _dosed(rems_session, nurse, prescriber, minutes_ago=30)
    rems_session.vitals.all().delete()
    VitalFactory(session=rems_session, entered_by=nurse, measured_at=dose.started_at - 5 * MIN)
    client = api(nurse)

    # when / then: due at 40 minutes
    (due,) = [
        i
        for i in client.get(f"/api/v1/chart/sessions/{rems_session.pk}/discharge/").json()["unmet"]
        if i["item"] == "bp_at_40_min"
    ]
    assert (due["due_at"], due["missed"]) == ((dose.started_at + 40 * MIN).isoformat(), False)

    # when / then: missed at 60 minutes
    DoseAdministration.objects.filter(pk=dose.pk).update(started_at=timezone.now() - 60 * MIN)
    VitalSign.objects.filter(session=rems_session).update(measured_at=timezone.now() - 65 * MIN)
    (missed,) = [
        i
        for i in client.get(f"/api/v1/chart/sessions/{rems_session.pk}/discharge/").json()["unmet"]
        if i["item"] == "bp_at_40_min"
    ]
    assert missed["missed"] is True

    # when / then: a reading at 38 minutes settles it
    VitalFactory(session=rems_session, entered_by=nurse, measured_at=timezone.now() - 22 * MIN)
    items = [i["item"] for i in client.get(f"/api/v1/chart/sessions/{rems_session.pk}/discharge/").json()["unmet"]]
    assert "bp_at_40_min" not in items


# --- two hours, and the emergency transfer ---------------------------------------------------------


def test_the_two_hour_monitoring_cannot_be_overridden(api, nurse, prescriber, rems_session):
    # given: dosed 70 minutes ago
    _dosed(rems_session, nurse, prescriber, minutes_ago=70)

    # when
    response = api(prescriber).post(
        "/api/v1/chart/overrides/",
        {
            "session": rems_session.pk,
            "stage": "discharge",
            "item": "monitoring_time",
            "reason": "Patient feels fine and wants to leave.",
        },
    )
    completed = api(nurse).post(f"/api/v1/sessions/{rems_session.pk}/complete/")

    # then
    assert (response.status_code, response.json()["type"]) == (422, "urn:kat-clinic:problem:not_overridable")
    assert not ChecklistOverride.objects.exists()
    assert completed.status_code == 422
    assert Session.objects.get(pk=rems_session.pk).status == "in_progress"


def test_an_emergency_transfer_needs_its_destination(api, nurse, rems_session):
    response = api(nurse).post(
        "/api/v1/chart/escalations/",
        {"session": rems_session.pk, "kind": "emergency_transfer", "description": "BP 210/125 after 25 minutes."},
    )
    assert (response.status_code, list(response.json()["errors"])) == (422, ["destination"])
    assert not Escalation.objects.exists()


def _complete_chart(session, nurse, prescriber, *, minutes_ago=150):
    """A full esketamine session: BP before, at 40 min and at the end, MOAA/S back to 5, escort here."""
    dose = _dosed(session, nurse, prescriber, minutes_ago=minutes_ago)
    session.vitals.all().delete()
    first = dose.started_at
    VitalFactory(session=session, entered_by=nurse, measured_at=first - 5 * MIN, systolic_mmhg=128, diastolic_mmhg=82)
    VitalFactory(
        session=session,
        entered_by=nurse,
        measured_at=first + 41 * MIN,
        systolic_mmhg=150,
        diastolic_mmhg=92,
        spo2_percent=95,
    )
    VitalFactory(
        session=session,
        entered_by=nurse,
        measured_at=first + 125 * MIN,
        systolic_mmhg=130,
        diastolic_mmhg=84,
        spo2_percent=97,
    )
    SedationScore.objects.create(session=session, measured_at=first + 30 * MIN, moaas=3, recorded_by=nurse)
    SedationScore.objects.create(session=session, measured_at=first + 128 * MIN, moaas=5, recorded_by=nurse)
    return dose


def test_an_emergency_transfer_ends_monitoring_early_and_still_completes_the_form(api, nurse, prescriber, rems_session):
    # given: dosed 50 minutes ago, BP before and at 40 minutes, then a hypertensive crisis
    dose = _dosed(rems_session, nurse, prescriber, minutes_ago=50)
    rems_session.vitals.all().delete()
    VitalFactory(session=rems_session, entered_by=nurse, measured_at=dose.started_at - 5 * MIN)
    VitalFactory(
        session=rems_session,
        entered_by=nurse,
        measured_at=dose.started_at + 40 * MIN,
        systolic_mmhg=212,
        diastolic_mmhg=124,
    )
    CertificationFactory(clinic=rems_session.clinic, identifier="REMS-SITE-301")
    Clinic.objects.filter(pk=rems_session.clinic_id).update(address="1 Main St, New York, NY", phone="+1 212 555 0100")
    transfer_at = dose.started_at + 48 * MIN

    # when: the nurse records the transfer, then completes the session
    transfer = api(nurse).post(
        "/api/v1/chart/escalations/",
        {
            "session": rems_session.pk,
            "kind": "emergency_transfer",
            "occurred_at": transfer_at.isoformat(),
            "description": "BP 212/124 at 40 minutes, chest pain; EMS called.",
            "destination": "Mount Sinai Emergency Department",
        },
    )
    completed = api(nurse).post(f"/api/v1/sessions/{rems_session.pk}/complete/")

    # then
    assert (transfer.status_code, transfer.json()["destination"]) == (201, "Mount Sinai Emergency Department")
    assert completed.status_code == 200, completed.json()
    data = RemsMonitoringForm.objects.get(session=rems_session).data
    assert (data["transferred_to_emergency_care"], data["emergency_transfer"]) == (
        True,
        {"at": transfer_at.isoformat(), "destination": "Mount Sinai Emergency Department"},
    )
    assert (data["minutes_monitored"], data["ready_to_leave_at"], data["vitals_acceptable_at_discharge"]) == (
        48,
        None,
        False,
    )
    assert data["missing_fields"] == []


# --- the Patient Monitoring Form, DOMAIN's REMS list field by field --------------------------------


@pytest.fixture
def rems_site(rems_session, nurse, prescriber):
    clinic = rems_session.clinic
    Clinic.objects.filter(pk=clinic.pk).update(address="1 Main St, New York, NY", phone="+1 212 555 0100")
    CertificationFactory(clinic=clinic, identifier="REMS-SITE-301")
    type(nurse).objects.filter(pk=nurse.pk).update(phone="+1 212 555 0142")
    PatientMedication.objects.create(
        patient=rems_session.patient, name="Lorazepam", concomitant_class="benzodiazepine", recorded_by=nurse
    )
    PatientMedication.objects.create(patient=rems_session.patient, name="Tramadol 50 mg", recorded_by=nurse)
    return rems_session


def test_completing_the_session_generates_the_form_with_every_rems_fact(api, nurse, prescriber, rems_site):
    # given: a full chart, dosed 150 minutes ago
    session = rems_site
    dose = _complete_chart(session, nurse, prescriber)
    first = dose.started_at
    nurse.refresh_from_db()

    # when
    completed = api(nurse).post(f"/api/v1/sessions/{session.pk}/complete/")

    # then: the form exists, a draft due in 7 days, every fact of DOMAIN's list filled
    assert completed.status_code == 200, completed.json()
    session.refresh_from_db()
    form = RemsMonitoringForm.objects.get(session=session)
    data = form.data
    patient = session.patient
    expected = {
        # patient: name, date of birth, REMS patient id
        "patient_name": f"{patient.first_name} {patient.last_name}",
        "patient_date_of_birth": patient.date_of_birth.isoformat(),
        "rems_patient_id": "RP-4471",
        # healthcare setting: name, address, REMS certification id; prescriber; monitoring clinician and contact
        "setting_name": session.clinic.name,
        "setting_address": "1 Main St, New York, NY",
        "setting_rems_certification_id": "REMS-SITE-301",
        "prescriber": str(prescriber),
        "monitoring_clinician": str(nurse),
        "monitoring_clinician_contact": "+1 212 555 0142",
        # the session date, the dose (28/56/84 mg: devices) and the time of the first device
        "session_date": session.clinic.local_date(first).isoformat(),
        "total_dose_mg": "56.00",
        "devices": 2,
        "lot_numbers": ["SPR-7"],
        "first_device_at": first.isoformat(),
        # vital signs before and about 40 minutes after; acceptable before administration and before leaving
        "bp_before_dose": {
            "systolic_mmhg": 128,
            "diastolic_mmhg": 82,
            "measured_at": (first - 5 * MIN).isoformat(),
        },
        "bp_at_40_min": {
            "systolic_mmhg": 150,
            "diastolic_mmhg": 92,
            "measured_at": (first + 41 * MIN).isoformat(),
        },
        "vitals_acceptable_before_dose": True,
        "vitals_acceptable_at_discharge": True,
        # sedation, dissociation, respiratory depression (with SpO2), serious adverse events, transfer
        "sedation": True,
        "dissociation": False,
        "respiratory_depression": False,
        "lowest_spo2_percent": 95,
        "serious_adverse_events": [],
        "transferred_to_emergency_care": False,
        # concomitant benzodiazepines, sedative-hypnotics, psychostimulants, MAOIs, opioids
        "concomitant_medications": {
            "benzodiazepines": True,
            "non_benzodiazepine_sedative_hypnotics": False,
            "psychostimulants": False,
            "maois": False,
            "opioids": True,
        },
        # ready to leave (at least 2 hours after the first device) and the total monitoring minutes
        "ready_to_leave_at": (first + 128 * MIN).isoformat(),
        "minutes_monitored": int((session.completed_at - first).total_seconds() // 60),
        "missing_fields": [],
    }
    assert {key: data[key] for key in expected} == expected
    assert dt.datetime.fromisoformat(data["ready_to_leave_at"]) - first >= dt.timedelta(hours=2)
    assert data["minutes_monitored"] >= 150
    assert (form.status, form.due_on) == (
        "draft",
        session.clinic.local_date(session.starts_at) + dt.timedelta(days=7),
    )

    # and the prescriber submits it
    submitted = api(prescriber).post(f"/api/v1/chart/rems-forms/{form.pk}/submit/")
    assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted")


def test_a_form_missing_a_required_field_is_not_submitted(api, nurse, prescriber, rems_session):
    # given: no site certification id on file and the 40-minute reading missed (not explained)
    dose = _complete_chart(rems_session, nurse, prescriber)
    VitalSign.objects.filter(measured_at=dose.started_at + 41 * MIN).delete()
    SessionAttestation.objects.filter(session=rems_session).update(escort_present=True)
    ready_at = dose.started_at + 128 * MIN
    generated = api(nurse).post(
        "/api/v1/chart/rems-forms/generate/", {"session": rems_session.pk, "ready_to_leave_at": ready_at.isoformat()}
    )
    form_id = generated.json()["id"]

    # when
    response = api(prescriber).post(f"/api/v1/chart/rems-forms/{form_id}/submit/")

    # then
    assert generated.status_code == 200, generated.json()
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:kat-clinic:problem:rems_form_incomplete"
    assert problem["missing_fields"] == [
        "setting_address",
        "setting_rems_certification_id",
        "monitoring_clinician_contact",
        "bp_at_40_min",
    ]
    assert RemsMonitoringForm.objects.get(pk=form_id).status == "draft"


def test_a_missed_40_minute_reading_explained_by_the_prescriber_completes_the_form(api, nurse, prescriber, rems_site):
    # given: the 40-minute reading was missed
    dose = _complete_chart(rems_site, nurse, prescriber)
    VitalSign.objects.filter(measured_at=dose.started_at + 41 * MIN).delete()
    reason = "Patient asleep and calm at 40 minutes; next reading at 125 minutes normal."

    # when: the prescriber records why, and the session completes
    override = api(prescriber).post(
        "/api/v1/chart/overrides/",
        {"session": rems_site.pk, "stage": "discharge", "item": "bp_at_40_min", "reason": reason},
    )
    completed = api(nurse).post(f"/api/v1/sessions/{rems_site.pk}/complete/")

    # then
    assert (override.status_code, completed.status_code) == (201, 200)
    data = RemsMonitoringForm.objects.get(session=rems_site).data
    assert (data["bp_at_40_min"], data["bp_at_40_min_missed_reason"], data["missing_fields"]) == (None, reason, [])


def test_a_session_without_esketamine_gets_no_form(api, nurse, prescriber, ready_session):
    # given: racemic ketamine IM, monitored and recovered
    from tests.monitoring.factories import dose_given, recovered

    dose_given(ready_session, nurse, prescriber, minutes_ago=90, medication="ketamine", route="im")
    recovered(ready_session, nurse)

    # when
    completed = api(nurse).post(f"/api/v1/sessions/{ready_session.pk}/complete/")

    # then
    assert completed.status_code == 200, completed.json()
    assert not RemsMonitoringForm.objects.exists()
    assert ClinicMembership.objects.exists()
