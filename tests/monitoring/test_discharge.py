from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from kat_clinic.errors import RuleViolation
from monitoring.models import DoseAdministration, SedationScore, SessionAttestation
from monitoring.selectors.gate import discharge_unmet
from monitoring.services.gate import session_discharge_check
from tests.monitoring.factories import VitalFactory, dose_given, recovered

pytestmark = pytest.mark.django_db


def test_a_session_without_a_dose_has_nothing_to_wait_for(session):
    assert discharge_unmet(session=session) == []


def _bp_at_40(session, nurse, *, minutes_ago: int):
    """The REMS blood pressure about 40 minutes after the first device (dosed `minutes_ago`)."""
    VitalFactory(session=session, entered_by=nurse, measured_at=timezone.now() - dt.timedelta(minutes=minutes_ago - 40))


def test_esketamine_needs_120_minutes_after_the_last_dose(ready_session, nurse, prescriber):
    # given
    dose_given(ready_session, nurse, prescriber, minutes_ago=119)
    _bp_at_40(ready_session, nurse, minutes_ago=119)
    recovered(ready_session, nurse)

    # when / then
    assert [i["item"] for i in discharge_unmet(session=ready_session)] == ["monitoring_time"]
    DoseAdministration.objects.update(started_at=timezone.now() - dt.timedelta(minutes=121))
    assert discharge_unmet(session=ready_session) == []


def test_every_unmet_discharge_criterion_is_listed(ready_session, nurse, prescriber):
    # given: just dosed, BP still high, sedated, escort not here
    dose_given(ready_session, nurse, prescriber, minutes_ago=30)
    VitalFactory(session=ready_session, entered_by=nurse, systolic_mmhg=150, diastolic_mmhg=95, spo2_percent=92)
    SedationScore.objects.create(session=ready_session, measured_at=timezone.now(), moaas=4, recorded_by=nurse)
    SessionAttestation.objects.update(escort_present=False)

    # when
    with pytest.raises(RuleViolation) as refused:
        session_discharge_check(session=ready_session)

    # then
    assert refused.value.type == "discharge_criteria_unmet"
    assert [i["item"] for i in refused.value.extra["unmet"]] == [
        "monitoring_time",
        "vitals_in_limits",
        "sedation",
        "escort_present",
    ]


def test_a_prescriber_overrides_a_discharge_criterion_with_a_reason(api, ready_session, nurse, prescriber):
    # given
    dose_given(ready_session, nurse, prescriber, minutes_ago=130)
    _bp_at_40(ready_session, nurse, minutes_ago=130)
    recovered(ready_session, nurse)
    SessionAttestation.objects.update(escort_present=False)

    # when
    response = api(prescriber).post(
        "/api/v1/chart/overrides/",
        {
            "session": ready_session.pk,
            "stage": "discharge",
            "item": "escort_present",
            "reason": "Discharged to the care of the inpatient transfer team.",
        },
    )

    # then
    assert response.status_code == 201
    session_discharge_check(session=ready_session)  # no longer raises
    status = api(nurse).get(f"/api/v1/chart/sessions/{ready_session.pk}/discharge/").json()
    assert (status["ready"], status["overridden"][0]["item"]) == (True, "escort_present")


def test_moaas_and_cadss_are_charted(api, nurse, session):
    client = api(nurse)
    sedation = client.post(
        "/api/v1/chart/sedation-scores/", {"session": session.pk, "measured_at": timezone.now().isoformat(), "moaas": 6}
    )
    cadss = client.post(
        "/api/v1/chart/dissociation-scores/",
        {"session": session.pk, "measured_at": timezone.now().isoformat(), "items": [1] * 23},
    )
    assert sedation.status_code == 400
    assert (cadss.status_code, cadss.json()["total"]) == (201, 23)


def test_adverse_events_are_charted(api, nurse, session):
    response = api(nurse).post(
        "/api/v1/chart/adverse-events/",
        {
            "session": session.pk,
            "type": "nausea",
            "severity": "mild",
            "onset_at": timezone.now().isoformat(),
            "action_taken": "Ondansetron 4 mg IV",
        },
    )
    assert (response.status_code, response.json()["patient"]) == (201, session.patient_id)


def test_the_rems_form_is_filled_from_the_chart(api, nurse, prescriber, ready_session):
    # given: BP 128/82 before, 150/92 at 41 min, 130/84 at discharge; sedated once; the REMS ids of
    # the patient and the site, and the clinic's address and phone, on file
    from kat_clinic.models import Clinic
    from monitoring.models import RemsPatientEnrollment
    from tests.factories import CertificationFactory

    Clinic.objects.filter(pk=ready_session.clinic_id).update(address="1 Main St", phone="+1 212 555 0100")
    CertificationFactory(clinic=ready_session.clinic, identifier="REMS-SITE-301")
    RemsPatientEnrollment.objects.create(
        patient=ready_session.patient,
        rems_patient_id="RP-1",
        enrolled_on=ready_session.clinic.local_date(ready_session.starts_at) - dt.timedelta(days=1),
        recorded_by=nurse,
    )
    dose_at = timezone.now() - dt.timedelta(minutes=150)
    DoseAdministration.objects.create(
        session=ready_session,
        patient=ready_session.patient,
        medication="esketamine",
        route="intranasal",
        dose_mg=D("56.00"),
        lot_number="SPR-7",
        lot_expires_on=dt.date(2030, 1, 1),
        ordered_by=prescriber,
        administered_by=nurse,
        started_at=dose_at,
    )
    ready_session.vitals.all().delete()
    VitalFactory(
        session=ready_session,
        entered_by=nurse,
        measured_at=dose_at - dt.timedelta(minutes=5),
        systolic_mmhg=128,
        diastolic_mmhg=82,
    )
    VitalFactory(
        session=ready_session,
        entered_by=nurse,
        measured_at=dose_at + dt.timedelta(minutes=41),
        systolic_mmhg=150,
        diastolic_mmhg=92,
    )
    VitalFactory(
        session=ready_session,
        entered_by=nurse,
        measured_at=dose_at + dt.timedelta(minutes=140),
        systolic_mmhg=130,
        diastolic_mmhg=84,
    )
    SedationScore.objects.create(
        session=ready_session, measured_at=dose_at + dt.timedelta(minutes=30), moaas=3, recorded_by=nurse
    )
    ready_at = dose_at + dt.timedelta(minutes=140)

    # when
    response = api(nurse).post(
        "/api/v1/chart/rems-forms/generate/", {"session": ready_session.pk, "ready_to_leave_at": ready_at.isoformat()}
    )

    # then
    assert response.status_code == 200
    form = response.json()
    data = form["data"]
    assert (data["total_dose_mg"], data["lot_numbers"], data["minutes_monitored"]) == ("56.00", ["SPR-7"], 140)
    assert (
        data["bp_before_dose"]["systolic_mmhg"],
        data["bp_at_40_min"]["systolic_mmhg"],
        data["bp_at_discharge"]["systolic_mmhg"],
    ) == (128, 150, 130)
    assert (data["sedation"], data["dissociation"], data["respiratory_depression"]) == (True, False, False)
    assert (
        form["due_on"] == (ready_session.clinic.local_date(ready_session.starts_at) + dt.timedelta(days=7)).isoformat()
    )
    assert form["status"] == "draft"

    # and the prescriber submits it once
    submitted = api(prescriber).post(f"/api/v1/chart/rems-forms/{form['id']}/submit/")
    again = api(prescriber).post(f"/api/v1/chart/rems-forms/{form['id']}/submit/")
    assert (submitted.status_code, submitted.json()["status"], again.status_code) == (200, "submitted", 409)


def test_a_submitted_rems_form_is_frozen_in_the_database(ready_session, nurse, prescriber):
    from django.db import InternalError, transaction

    from monitoring.models import RemsMonitoringForm

    # given
    form = RemsMonitoringForm.objects.create(
        session=ready_session,
        data={"total_dose_mg": "56.00"},
        due_on=dt.date(2030, 1, 8),
        status="submitted",
        submitted_at=timezone.now(),
        submitted_by=prescriber,
    )

    # when / then
    with pytest.raises(InternalError), transaction.atomic():
        RemsMonitoringForm.objects.filter(pk=form.pk).update(data={"total_dose_mg": "28.00"})
    form.refresh_from_db()
    assert form.data == {"total_dose_mg": "56.00"}
