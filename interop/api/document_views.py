"""PDF documents and CSV exports. Every download is recorded as a disclosure."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from interop.api.base import DownloadView
from interop.api.renderers import OCTET_STREAM, CsvRenderer, OctetStreamRenderer, PdfRenderer
from interop.disclosures import disclosure_record_for_request
from interop.documents import exports, pdf
from interop.documents.rems import rems_form_sections
from interop.models import Disclosure
from kat_clinic.api.filters import QuerySerializer
from kat_clinic.api.times import PlausibleDateField
from kat_clinic.models import Clinic, ClinicCertification, Patient
from monitoring.models import ClinicalNote, Consent, RemsMonitoringForm, RemsPatientEnrollment
from sessions.models import Session

MAX_RANGE_DAYS = 366


def pdf_schema(summary: str, description: str):
    return extend_schema(
        tags=["documents"],
        summary=summary,
        description=description,
        responses={
            (200, "application/pdf"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The PDF."),
            # The same bytes, for a client that sends `Accept: application/octet-stream`.
            (200, OCTET_STREAM): OpenApiResponse(response=OpenApiTypes.BINARY, description="The PDF."),
        },
    )


def csv_schema(summary: str, description: str, parameters: list):
    return extend_schema(
        tags=["exports"],
        summary=summary,
        description=description,
        parameters=parameters,
        responses={(200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR, description="CSV, header row first.")},
    )


class PdfView(DownloadView):
    renderer_classes = [PdfRenderer, OctetStreamRenderer]
    document = ""

    def send(self, content: bytes, *, filename: str, resource_type: str, pk: int, patient_id: int, clinic_id: int):
        disclosure_record_for_request(
            request=self.request,
            channel=Disclosure.Channel.API_DOWNLOAD,
            document=self.document,
            resource_type=resource_type,
            resource_ids=[pk],
            patient_ids=[patient_id],
            clinic_id=clinic_id,
        )
        return self.attachment(content, content_type="application/pdf", filename=filename)


class RemsFormPdfView(PdfView):
    operations = {"get": "document.rems_form"}
    audit_resource = "rems_form_pdf"
    document = "rems_form_pdf"

    @pdf_schema(
        "Esketamine REMS Patient Monitoring Form (PDF)",
        "The monitoring form of one esketamine session, every field of the REMS list, ready to print or file.",
    )
    def get(self, request, id: int):
        form = get_object_or_404(
            RemsMonitoringForm.objects.select_related("session__clinic", "session__patient", "submitted_by"),
            pk=id,
            session__clinic_id__in=self.allowed(),
        )
        content = pdf.rems_form_pdf(form, rems_form_sections(form))
        return self.send(
            content,
            filename=f"rems-monitoring-form-{form.pk}.pdf",
            resource_type="rems_form",
            pk=form.pk,
            patient_id=form.session.patient_id,
            clinic_id=form.session.clinic_id,
        )


class ConsentPdfView(PdfView):
    operations = {"get": "document.consent"}
    audit_resource = "consent_pdf"
    document = "consent_pdf"

    @pdf_schema("Signed consent (PDF)", "The patient's signed consent with the signature time and the witness.")
    def get(self, request, id: int):
        consent = get_object_or_404(
            Consent.objects.select_related("patient__home_clinic", "witness", "recorded_by"),
            pk=id,
            patient__home_clinic_id__in=self.allowed(),
        )
        clinic = consent.patient.home_clinic
        return self.send(
            pdf.consent_pdf(consent, clinic),
            filename=f"consent-{consent.pk}.pdf",
            resource_type="consent",
            pk=consent.pk,
            patient_id=consent.patient_id,
            clinic_id=clinic.pk,
        )


class RemsEnrollmentPdfView(PdfView):
    operations = {"get": "document.rems_enrollment"}
    audit_resource = "rems_enrollment_pdf"
    document = "rems_enrollment_pdf"

    @pdf_schema("REMS patient enrollment (PDF)", "The patient's esketamine REMS enrollment, signed, with its date.")
    def get(self, request, id: int):
        enrollment = get_object_or_404(
            RemsPatientEnrollment.objects.select_related("patient__home_clinic", "recorded_by"),
            pk=id,
            patient__home_clinic_id__in=self.allowed(),
        )
        clinic = enrollment.patient.home_clinic
        certification = (
            ClinicCertification.objects.filter(clinic=clinic, kind=ClinicCertification.Kind.ESKETAMINE_REMS)
            .order_by("-expires_on")
            .first()
        )
        return self.send(
            pdf.rems_enrollment_pdf(enrollment, clinic, certification.identifier if certification else "not recorded"),
            filename=f"rems-enrollment-{enrollment.pk}.pdf",
            resource_type="rems_enrollment",
            pk=enrollment.pk,
            patient_id=enrollment.patient_id,
            clinic_id=clinic.pk,
        )


class SessionSummaryPdfView(PdfView):
    operations = {"get": "document.session_summary"}
    audit_resource = "session_summary_pdf"
    document = "session_summary_pdf"

    @pdf_schema(
        "Printable session summary (PDF)",
        "One session on a page: times, room, staff, vital signs, doses with lots, scales, adverse events, the note.",
    )
    def get(self, request, id: int):
        session = get_object_or_404(
            Session.objects.select_related("clinic", "patient", "room").prefetch_related("assignments__staff"),
            pk=id,
            clinic_id__in=self.allowed(),
        )
        content = pdf.session_summary_pdf(
            session,
            vitals=session.vitals.order_by("measured_at", "pk"),
            doses=session.doses.select_related("administered_by").order_by("started_at", "pk"),
            scales=session.scale_responses.order_by("completed_at", "pk"),
            events=session.adverse_events.order_by("onset_at", "pk"),
            note=ClinicalNote.objects.filter(session=session, amends__isnull=True).select_related("signed_by").first(),
        )
        return self.send(
            content,
            filename=f"session-{session.pk}.pdf",
            resource_type="session",
            pk=session.pk,
            patient_id=session.patient_id,
            clinic_id=session.clinic_id,
        )


class ClinicQuerySerializer(QuerySerializer):
    clinic = serializers.IntegerField(min_value=1)


class ClinicRangeQuerySerializer(ClinicQuerySerializer):
    start = PlausibleDateField()
    end = PlausibleDateField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["The end date is before the start date."]})
        if (attrs["end"] - attrs["start"]).days >= MAX_RANGE_DAYS:
            raise serializers.ValidationError({"end": [f"At most {MAX_RANGE_DAYS} days per export."]})
        return attrs


CLINIC = OpenApiParameter("clinic", int, required=True, description="The clinic's id.")
START = OpenApiParameter("start", dt.date, required=True, description="First local date (YYYY-MM-DD), included.")
END = OpenApiParameter("end", dt.date, required=True, description="Last local date (YYYY-MM-DD), included.")


class CsvView(DownloadView):
    renderer_classes = [CsvRenderer]
    query_serializer = ClinicQuerySerializer

    def clinic_and_query(self, request) -> tuple[Clinic, dict]:
        query = self.query_serializer.read(request.query_params)
        if query["clinic"] not in self.allowed():
            raise Http404
        return Clinic.objects.get(pk=query["clinic"]), query

    def send(
        self, content: bytes, *, filename: str, document: str, clinic: Clinic, resource_type="", ids=(), patients=()
    ):
        disclosure_record_for_request(
            request=self.request,
            channel=Disclosure.Channel.API_DOWNLOAD,
            document=document,
            resource_type=resource_type,
            resource_ids=ids,
            patient_ids=patients,
            clinic_id=clinic.pk,
        )
        return self.attachment(content, content_type="text/csv; charset=utf-8", filename=filename)


class ScheduleCsvView(CsvView):
    operations = {"get": "export.schedule"}
    audit_resource = "schedule_csv"
    query_serializer = ClinicRangeQuerySerializer

    @csv_schema(
        "Clinic schedule (CSV)",
        "Every session starting in the date range (the clinic's local dates), with room, patient and staff.",
        [CLINIC, START, END],
    )
    def get(self, request):
        clinic, query = self.clinic_and_query(request)
        rows, sessions = exports.schedule_rows(clinic=clinic, start=query["start"], end=query["end"])
        return self.send(
            exports.to_csv(exports.SCHEDULE_HEADER, rows),
            filename=f"schedule-{clinic.slug}-{query['start']}-{query['end']}.csv",
            document="schedule_csv",
            clinic=clinic,
            resource_type="session",
            ids=[s.pk for s in sessions],
            patients=[s.patient_id for s in sessions],
        )


class OutcomesCsvView(CsvView):
    operations = {"get": "export.outcomes"}
    audit_resource = "outcomes_csv"

    @csv_schema(
        "Outcomes per program (CSV)",
        "Per program version: enrollments, how many have a PHQ-9 baseline and a later PHQ-9, and how many "
        "responded (PHQ-9 down at least 50 %) or remitted (PHQ-9 below 5). Counts only, no patient data.",
        [CLINIC],
    )
    def get(self, request):
        clinic, _ = self.clinic_and_query(request)
        rows = exports.outcome_rows(clinic=clinic)
        return self.send(
            exports.to_csv(exports.OUTCOMES_HEADER, rows),
            filename=f"outcomes-{clinic.slug}.csv",
            document="outcomes_csv",
            clinic=clinic,
        )


class AuditCsvView(CsvView):
    operations = {"get": "export.audit"}
    audit_resource = "audit_csv"
    query_serializer = ClinicRangeQuerySerializer

    @csv_schema(
        "Audit trail (CSV)",
        "Every audited access at the clinic in the date range, oldest first. Ids and outcomes, no record values.",
        [CLINIC, START, END],
    )
    def get(self, request):
        clinic, query = self.clinic_and_query(request)
        rows = exports.audit_rows(clinic=clinic, start=query["start"], end=query["end"])
        return self.send(
            exports.to_csv(exports.AUDIT_HEADER, rows),
            filename=f"audit-{clinic.slug}-{query['start']}-{query['end']}.csv",
            document="audit_csv",
            clinic=clinic,
        )


class PatientQuerySerializer(QuerySerializer):
    patient = serializers.IntegerField(min_value=1)


class DisclosuresCsvView(CsvView):
    operations = {"get": "export.disclosures"}
    audit_resource = "disclosures_csv"

    @csv_schema(
        "Accounting of disclosures of a patient (CSV)",
        "Every release of the patient's information recorded by the system: FHIR exports, document and CSV "
        "downloads, calendar fetches and webhook deliveries; when, what and to whom (45 CFR 164.528).",
        [OpenApiParameter("patient", int, required=True, description="The patient's id.")],
    )
    def get(self, request):
        query = PatientQuerySerializer.read(request.query_params)
        patient = get_object_or_404(Patient, pk=query["patient"], home_clinic_id__in=self.allowed())
        rows = exports.disclosure_rows(patient_id=patient.pk)
        request.audit.add_object(resource_id=patient.pk, patient_id=patient.pk, clinic_id=patient.home_clinic_id)
        return self.attachment(
            exports.to_csv(exports.DISCLOSURE_HEADER, rows),
            content_type="text/csv; charset=utf-8",
            filename=f"disclosures-patient-{patient.pk}.csv",
        )
