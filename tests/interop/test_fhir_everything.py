"""Patient/$everything: a validating R4 Bundle of the chart, scoped, audited, with fixed queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle

from interop.fhir.codes import UCUM
from interop.fhir.resources import instant
from interop.models import Disclosure
from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role
from monitoring.models import Allergy, DoseAdministration, VitalSign
from monitoring.services.scales import scale_response_record
from sessions.models import Session
from tests.interop.conftest import resources_of

pytestmark = pytest.mark.django_db


def everything(api, who, patient_id):
    return api(who).get(f"/api/v1/fhir/Patient/{patient_id}/$everything")


def by_code(observations: list[dict]) -> dict[str, dict]:
    return {o["code"]["coding"][0]["code"]: o for o in observations}


def test_a_prescriber_downloads_a_bundle_that_validates(api, chart):
    # when
    response = everything(api, chart.prescriber, chart.patient.pk)

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    bundle = response.json()
    Bundle.model_validate(bundle)  # raises if the Bundle is not valid R4(B)
    assert bundle["type"] == "searchset"
    counts: dict[str, int] = {}
    for entry in bundle["entry"]:
        counts[entry["resource"]["resourceType"]] = counts.get(entry["resource"]["resourceType"], 0) + 1
    assert counts == {
        "Patient": 1,
        "Appointment": 2,
        "Encounter": 1,
        "Observation": 7,  # BP panel, SpO2, HR, RR, temperature, weight, PHQ-9 total
        "QuestionnaireResponse": 1,
        "MedicationAdministration": 1,
        "Condition": 1,
        "AllergyIntolerance": 1,
        "Consent": 1,
        "CarePlan": 1,
        "Practitioner": 3,
        "Organization": 1,
        "Location": 1,
    }
    assert bundle["total"] == 17
    assert {e["search"]["mode"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Practitioner"} == {
        "include"
    }


def test_the_capability_statement_declares_fhir_4_0_1(api, chart):
    response = api(chart.nurse).get("/api/v1/fhir/metadata")

    assert response.status_code == 200
    assert response.json()["fhirVersion"] == "4.0.1"
    assert response.json()["resourceType"] == "CapabilityStatement"


def test_vital_signs_carry_the_domain_loinc_codes_and_ucum_units(api, chart):
    bundle = everything(api, chart.nurse, chart.patient.pk).json()

    vitals = by_code(
        [o for o in resources_of(bundle, "Observation") if o["category"][0]["coding"][0]["code"] == "vital-signs"]
    )

    assert sorted(vitals) == ["29463-7", "59408-5", "8310-5", "85354-9", "8867-4", "9279-1"]
    bp = vitals["85354-9"]
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
        for c in bp["component"]
    ] == [
        ("8480-6", 138, "mm[Hg]"),
        ("8462-4", 86, "mm[Hg]"),
    ]
    assert [c["code"] for c in vitals["59408-5"]["code"]["coding"]] == ["59408-5", "2708-6"]
    assert vitals["59408-5"]["valueQuantity"]["value"] == 97
    assert vitals["8867-4"]["valueQuantity"] == {
        "value": 92,
        "unit": "/min",
        "system": UCUM,
        "code": "/min",
    }
    assert vitals["9279-1"]["valueQuantity"]["value"] == 14
    assert vitals["8310-5"]["valueQuantity"]["value"] == 36.8
    assert vitals["29463-7"]["valueQuantity"]["value"] == 64.5
    assert vitals["8867-4"]["encounter"] == {"reference": f"Encounter/{chart.held.pk}"}


def test_a_phq9_is_a_questionnaire_response_and_a_loinc_scored_observation(api, chart):
    bundle = everything(api, chart.therapist, chart.patient.pk).json()

    [qr] = resources_of(bundle, "QuestionnaireResponse")
    [score] = [o for o in resources_of(bundle, "Observation") if o["category"][0]["coding"][0]["code"] == "survey"]

    assert qr["questionnaire"] == "http://loinc.org/q/44249-1"
    assert [(i["linkId"], i["answer"][0]["valueInteger"]) for i in qr["item"]] == [
        ("1", 2),
        ("2", 2),
        ("3", 1),
        ("4", 2),
        ("5", 1),
        ("6", 1),
        ("7", 2),
        ("8", 1),
        ("9", 0),
    ]
    assert qr["author"] == {"reference": f"Practitioner/{chart.therapist.pk}"}
    assert score["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "44261-6",
        "display": "PHQ-9 total score",
    }
    assert score["valueInteger"] == 12
    assert score["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{qr['id']}"}]


def test_a_dose_is_a_medication_administration_with_its_lot(api, chart):
    bundle = everything(api, chart.prescriber, chart.patient.pk).json()

    [administration] = resources_of(bundle, "MedicationAdministration")

    [medication] = administration["contained"]
    assert medication["batch"] == {"lotNumber": "KET-2026-117", "expirationDate": "2027-06-30"}
    assert administration["medicationReference"]["reference"] == "#medication"
    assert administration["dosage"]["dose"] == {
        "value": 32.25,
        "unit": "mg",
        "system": UCUM,
        "code": "mg",
    }
    assert administration["dosage"]["route"]["coding"][0]["code"] == "47625008"
    assert administration["context"] == {"reference": f"Encounter/{chart.held.pk}"}
    assert administration["performer"] == [{"actor": {"reference": f"Practitioner/{chart.nurse.pk}"}}]
    assert administration["status"] == "completed"


def test_sessions_are_appointments_and_held_ones_also_encounters(api, chart):
    bundle = everything(api, chart.prescriber, chart.patient.pk).json()

    appointments = {a["id"]: a for a in resources_of(bundle, "Appointment")}
    [encounter] = resources_of(bundle, "Encounter")

    assert {k: v["status"] for k, v in appointments.items()} == {
        str(chart.held.pk): "fulfilled",
        str(chart.booked.pk): "booked",
    }
    assert encounter["id"] == str(chart.held.pk)
    assert encounter["status"] == "finished"
    assert encounter["class"]["code"] == "AMB"
    assert encounter["appointment"] == [{"reference": f"Appointment/{chart.held.pk}"}]
    assert encounter["period"]["start"] == instant(chart.held.started_at)


def test_diagnoses_allergies_and_consents_are_exported(api, chart):
    bundle = everything(api, chart.prescriber, chart.patient.pk).json()

    [condition] = resources_of(bundle, "Condition")
    [allergy] = resources_of(bundle, "AllergyIntolerance")
    [consent] = resources_of(bundle, "Consent")

    assert condition["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "F33.2",
        "display": "Major depressive disorder, recurrent severe without psychotic features",
    }
    assert allergy["code"] == {"text": "Penicillin"}
    assert allergy["reaction"] == [{"manifestation": [{"text": "Hives"}], "severity": "moderate"}]
    assert consent["status"] == "active"
    assert consent["dateTime"] == instant(chart.consent.signed_at)
    assert consent["policy"] == [{"uri": "https://kat-clinic.example/fhir/consent/KAT-consent-v3"}]


def test_the_enrollment_is_a_care_plan_with_its_planned_sessions(api, chart):
    bundle = everything(api, chart.prescriber, chart.patient.pk).json()

    [plan] = resources_of(bundle, "CarePlan")

    planned = list(chart.enrollment.planned_sessions.order_by("sequence"))
    assert plan["id"] == str(chart.enrollment.pk)
    assert plan["status"] == "active"
    assert plan["intent"] == "plan"
    assert len(plan["activity"]) == len(planned)
    first = plan["activity"][0]
    assert first["detail"]["status"] == "completed"
    assert first["detail"]["scheduledPeriod"] == {
        "start": instant(chart.held.starts_at),
        "end": instant(chart.held.ends_at),
    }
    assert first["outcomeReference"] == [{"reference": f"Encounter/{chart.held.pk}"}]
    assert [a["detail"]["status"] for a in plan["activity"][1:]] == ["not-started"] * (len(planned) - 1)


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.ADMIN])
def test_the_front_desk_and_admins_get_no_bundle(api, chart, clinic, make_staff, role):
    # given
    staff = make_staff(clinic, role)
    disclosures = Disclosure.objects.count()

    # when
    response = everything(api, staff, chart.patient.pk)

    # then
    assert response.status_code == 403
    assert "entry" not in response.json()
    assert Disclosure.objects.count() == disclosures


def test_another_clinics_patient_is_not_found(api, chart, other_clinic, make_staff):
    # given: a nurse who works only at the other clinic
    nurse = make_staff(other_clinic, Role.NURSE)

    # when
    response = everything(api, nurse, chart.patient.pk)

    # then
    assert response.status_code == 404
    assert Disclosure.objects.count() == 0


def test_sessions_at_a_clinic_the_caller_does_not_work_at_are_left_out(api, chart, other_clinic):
    # given: the patient also had a session at another clinic
    start = chart.held.starts_at - dt.timedelta(days=5)
    Session.objects.create(
        clinic=other_clinic,
        patient=chart.patient,
        kind="dosing",
        status=Session.Status.COMPLETED,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        block_starts_at=start,
        block_ends_at=start + dt.timedelta(hours=1),
    )

    # when
    bundle = everything(api, chart.prescriber, chart.patient.pk).json()

    # then
    assert sorted(a["id"] for a in resources_of(bundle, "Appointment")) == sorted(
        [str(chart.held.pk), str(chart.booked.pk)]
    )


def test_the_export_is_recorded_as_a_disclosure_and_in_the_audit_trail(api, chart):
    # when
    response = everything(api, chart.prescriber, chart.patient.pk)

    # then
    assert response.status_code == 200
    disclosure = Disclosure.objects.get()
    assert (disclosure.channel, disclosure.document, disclosure.patient_ids) == (
        "fhir",
        "fhir_everything",
        [chart.patient.pk],
    )
    assert disclosure.recipient == f"user:{chart.prescriber.user.username}"
    assert disclosure.recipient_user_id == chart.prescriber.user.pk
    audit = AuditEvent.objects.get(request_id=disclosure.request_id)
    assert audit.resource_type == "disclosure:fhir_everything"
    assert audit.patient_ids == [chart.patient.pk]
    assert audit.user_id == chart.prescriber.user.pk
    assert audit.outcome == "success"


def test_the_bundle_costs_the_same_queries_however_long_the_chart(api, chart):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert everything(api, chart.prescriber, chart.patient.pk).status_code == 200
        return len(captured)

    # given (the first request caches the caller's roles on the user)
    count_queries()
    before = count_queries()
    for days in (10, 20):
        start = chart.held.starts_at - dt.timedelta(days=days)
        session = Session.objects.create(
            clinic=chart.held.clinic,
            patient=chart.patient,
            kind="dosing",
            status=Session.Status.COMPLETED,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            block_starts_at=start,
            block_ends_at=start + dt.timedelta(hours=1),
            room=chart.room,
        )
        VitalSign.objects.create(
            session=session,
            patient=chart.patient,
            measured_at=start,
            systolic_mmhg=130,
            diastolic_mmhg=80,
            entered_by=chart.nurse,
        )
        DoseAdministration.objects.create(
            session=session,
            patient=chart.patient,
            medication="ketamine",
            route="iv",
            dose_mg=Decimal("30"),
            lot_number=f"LOT-{days}",
            lot_expires_on=dt.date(2027, 1, 1),
            ordered_by=chart.prescriber,
            administered_by=chart.nurse,
            started_at=start,
        )
        scale_response_record(patient=chart.patient, scale="gad7", answers=[1] * 7, by=chart.therapist, session=session)
        Allergy.objects.create(patient=chart.patient, substance=f"Substance {days}", recorded_by=chart.nurse)

    # when
    after = count_queries()

    # then
    assert after == before
