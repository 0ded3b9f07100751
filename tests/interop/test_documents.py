"""PDF documents: the REMS monitoring form with every field of DOMAIN's list, consent, REMS
enrollment, session summary; each download recorded as a disclosure."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from interop.models import Disclosure
from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role
from monitoring.models import DoseAdministration, PatientMedication, RemsPatientEnrollment, VitalSign
from monitoring.services.rems import rems_form_generate
from programs.choices import Medication, Route, SessionKind
from sessions.models import Session
from tests.factories import CertificationFactory, PatientFactory

pytestmark = pytest.mark.django_db

# DOMAIN.md's REMS list, as the labels the PDF prints.
REMS_LABELS = [
    "Patient name",
    "Date of birth",
    "REMS patient ID",
    "Healthcare setting name",
    "Address",
    "REMS certification ID",
    "Prescriber",
    "Monitoring healthcare provider",
    "Monitoring provider contact",
    "Session date",
    "Dose",
    "Time of first device",
    "Blood pressure before administration",
    "Blood pressure about 40 minutes after",
    "Vital signs acceptable before administration",
    "Vital signs acceptable before leaving",
    "Sedation",
    "Dissociation",
    "Respiratory depression",
    "Lowest oxygen saturation measured",
    "Serious adverse events",
    "Transferred to emergency care",
    "Benzodiazepines",
    "Non-benzodiazepine sedative-hypnotics",
    "Psychostimulants",
    "Monoamine oxidase inhibitors (MAOIs)",
    "Opioids",
    "Patient ready to leave at",
    "Total monitoring time",
]


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def field(text: str, label: str) -> str:
    """The value printed in the cell beside a label (the text extractor puts it on the next line)."""
    lines = [line.strip() for line in text.splitlines()]
    return lines[lines.index(label) + 1]


@pytest.fixture
def rems_form(clinic, nurse, prescriber):
    clinic.address = "12 Park Ave, New York, NY"
    clinic.save()
    CertificationFactory(clinic=clinic, identifier="SITE-778")
    patient = PatientFactory(
        home_clinic=clinic, first_name="Grace", last_name="Hopper", date_of_birth=dt.date(1960, 1, 2)
    )
    RemsPatientEnrollment.objects.create(
        patient=patient, rems_patient_id="PT-5521", enrolled_on=dt.date(2026, 1, 5), recorded_by=nurse
    )
    PatientMedication.objects.create(
        patient=patient, name="Lorazepam", concomitant_class="benzodiazepine", recorded_by=prescriber
    )
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    session = Session.objects.create(
        clinic=clinic,
        patient=patient,
        kind=SessionKind.DOSING,
        status=Session.Status.IN_PROGRESS,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2, minutes=30),
        block_starts_at=start,
        block_ends_at=start + dt.timedelta(hours=2, minutes=30),
        started_at=start,
    )
    first = start + dt.timedelta(minutes=10)
    for minutes, (sys, dia) in ((5, (132, 84)), (50, (150, 92)), (140, (128, 80))):
        VitalSign.objects.create(
            session=session,
            patient=patient,
            measured_at=start + dt.timedelta(minutes=minutes),
            systolic_mmhg=sys,
            diastolic_mmhg=dia,
            spo2_percent=96,
            entered_by=nurse,
        )
    DoseAdministration.objects.create(
        session=session,
        patient=patient,
        medication=Medication.ESKETAMINE,
        route=Route.INTRANASAL,
        dose_mg=Decimal("56"),
        lot_number="SPR-0091",
        lot_expires_on=dt.date(2027, 3, 31),
        ordered_by=prescriber,
        administered_by=nurse,
        started_at=first,
    )
    return rems_form_generate(session=session, by=nurse, ready_to_leave_at=first + dt.timedelta(hours=2, minutes=5))


def test_a_nurse_prints_the_rems_form_with_every_field_of_the_rems_list(api, nurse, rems_form):
    # when
    response = api(nurse).get(f"/api/v1/documents/rems-forms/{rems_form.pk}/")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="rems-monitoring-form-{rems_form.pk}.pdf"'
    text = pdf_text(response.content)
    missing = [label for label in REMS_LABELS if label not in text]
    assert missing == []
    for value in (
        "Grace Hopper",
        "1960-01-02",
        "PT-5521",
        "SITE-778",
        "12 Park Ave, New York, NY",
        "56 mg (2 x 28 mg devices)",
        "132/84 mmHg",
        "150/92 mmHg",
        "SPR-0091",
        "125 minutes",
    ):
        assert value in text, value


def test_the_rems_form_answers_concomitant_classes_from_the_medication_list(api, nurse, rems_form):
    text = pdf_text(api(nurse).get(f"/api/v1/documents/rems-forms/{rems_form.pk}/").content)

    assert field(text, "Benzodiazepines") == "Yes"
    assert field(text, "Psychostimulants") == "No"
    assert field(text, "Opioids") == "No"
    assert field(text, "Vital signs acceptable before administration") == "Yes"
    assert field(text, "Vital signs acceptable before leaving") == "Yes"


def test_the_rems_form_pdf_is_a_disclosure(api, nurse, rems_form):
    response = api(nurse).get(f"/api/v1/documents/rems-forms/{rems_form.pk}/")

    assert response.status_code == 200
    disclosure = Disclosure.objects.get()
    assert (disclosure.document, disclosure.resource_ids) == ("rems_form_pdf", [rems_form.pk])
    assert disclosure.patient_ids == [rems_form.session.patient_id]
    audit = AuditEvent.objects.get(request_id=disclosure.request_id)
    assert audit.resource_type == "disclosure:rems_form_pdf"
    assert audit.patient_ids == [rems_form.session.patient_id]


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.THERAPIST, Role.ADMIN])
def test_roles_without_rems_access_get_no_pdf(api, clinic, make_staff, rems_form, role):
    response = api(make_staff(clinic, role)).get(f"/api/v1/documents/rems-forms/{rems_form.pk}/")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert Disclosure.objects.count() == 0


def test_another_clinics_form_is_not_found(api, other_clinic, make_staff, rems_form):
    response = api(make_staff(other_clinic, Role.NURSE)).get(f"/api/v1/documents/rems-forms/{rems_form.pk}/")

    assert response.status_code == 404
    assert Disclosure.objects.count() == 0


def test_the_signed_consent_pdf_shows_the_signature_and_its_time(api, chart):
    response = api(chart.nurse).get(f"/api/v1/documents/consents/{chart.consent.pk}/")

    assert response.status_code == 200
    text = pdf_text(response.content)
    signed = timezone.localtime(chart.consent.signed_at, chart.held.clinic.tz).strftime("%Y-%m-%d %H:%M %Z")
    assert field(text, "Signed by the patient") == "Ada Lovelace"
    assert field(text, "Signed at") == signed
    assert field(text, "Witness") == str(chart.nurse)
    assert "KAT-consent-v3" in text


def test_the_rems_enrollment_pdf_shows_the_patient_id_and_signature(api, clinic, nurse, rems_form):
    enrollment = RemsPatientEnrollment.objects.get()

    response = api(nurse).get(f"/api/v1/documents/rems-enrollments/{enrollment.pk}/")

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert field(text, "REMS patient ID") == "PT-5521"
    assert field(text, "Setting REMS certification ID") == "SITE-778"
    assert field(text, "Enrolled by the patient, signed") == "Grace Hopper"
    assert field(text, "Signed on") == "2026-01-05"


def test_the_session_summary_lists_vitals_and_doses_with_their_lot(api, chart):
    response = api(chart.therapist).get(f"/api/v1/documents/sessions/{chart.held.pk}/")

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Session summary" in text
    assert "138/86" in text
    assert "KET-2026-117" in text
    assert "PHQ-9" in text
    assert Disclosure.objects.get().document == "session_summary_pdf"


def test_a_client_asking_for_octet_stream_gets_the_same_pdf_as_plain_bytes(api, chart):
    # given: what a client gets without asking
    as_pdf = api(chart.therapist).get(f"/api/v1/documents/sessions/{chart.held.pk}/")

    # when: a client that does not know application/pdf (a generated one) asks for bytes
    as_bytes = api(chart.therapist).get(
        f"/api/v1/documents/sessions/{chart.held.pk}/", HTTP_ACCEPT="application/octet-stream"
    )

    # then: the same document, labelled as bytes, still recorded as a disclosure
    assert (as_pdf.status_code, as_pdf["Content-Type"]) == (200, "application/pdf")
    assert (as_bytes.status_code, as_bytes["Content-Type"]) == (200, "application/octet-stream")
    assert as_bytes.content.startswith(b"%PDF-")
    assert pdf_text(as_bytes.content) == pdf_text(as_pdf.content)
    assert Disclosure.objects.filter(document="session_summary_pdf").count() == 2
