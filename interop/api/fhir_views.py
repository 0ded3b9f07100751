"""FHIR R4 read endpoints: CapabilityStatement, Patient/$everything and the clinic bulk export."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from interop.api.renderers import (
    OCTET_STREAM,
    FhirJsonRenderer,
    FhirNdjsonRenderer,
    FirstRendererNegotiation,
    OctetStreamRenderer,
)
from interop.disclosures import disclosure_record_for_request
from interop.fhir import bulk
from interop.fhir.everything import everything_bundle
from interop.fhir.validation import FHIR_MEDIA_TYPE, FHIR_NDJSON_MEDIA_TYPE, FHIR_VERSION
from interop.models import BulkExport, BulkExportFile, Disclosure
from kat_clinic.access.scoping import clinics_for
from kat_clinic.access.viewsets import AuditedViewMixin
from kat_clinic.models import Clinic, Patient

FHIR_OBJECT = {"type": "object", "additionalProperties": True, "properties": {"resourceType": {"type": "string"}}}


def fhir_response(description: str) -> dict:
    return {(200, FHIR_MEDIA_TYPE): OpenApiResponse(response=FHIR_OBJECT, description=description)}


class FhirView(AuditedViewMixin, APIView):
    """FHIR content in `application/fhir+json`; errors keep the API's JSON error body."""

    renderer_classes = [FhirJsonRenderer]
    content_negotiation_class = FirstRendererNegotiation

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        response = super().finalize_response(request, response, *args, **kwargs)
        return response

    def fhir_base(self, request) -> str:
        return request.build_absolute_uri(reverse("fhir-metadata")).rsplit("/metadata", 1)[0]

    def allowed(self, operation: str) -> frozenset[int]:
        return clinics_for(self.request.user, operation)


class CapabilityStatementView(FhirView):
    operations = {"get": "fhir.read"}
    audit_resource = "fhir_capability_statement"

    @extend_schema(tags=["fhir"], responses=fhir_response("The server's CapabilityStatement (FHIR 4.0.1)."))
    def get(self, request):
        statement = {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-12-01",
            "kind": "instance",
            "fhirVersion": FHIR_VERSION,
            "format": [FHIR_MEDIA_TYPE],
            "implementation": {"description": "KAT Clinic FHIR R4 export (read-only)", "url": self.fhir_base(request)},
            "rest": [
                {
                    "mode": "server",
                    "resource": [
                        {
                            "type": "Patient",
                            "interaction": [],
                            "operation": [
                                {
                                    "name": "everything",
                                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                                }
                            ],
                        },
                        {
                            "type": "Group",
                            "interaction": [],
                            "operation": [
                                {
                                    "name": "export",
                                    "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export",
                                }
                            ],
                        },
                    ],
                }
            ],
        }
        return Response(statement, content_type=f"{FHIR_MEDIA_TYPE}; fhirVersion=4.0")


class PatientEverythingView(FhirView):
    operations = {"get": "fhir.read"}
    audit_resource = "fhir_everything"

    @extend_schema(
        tags=["fhir"],
        operation_id="fhir_patient_everything",
        responses=fhir_response("A searchset Bundle of the patient's record."),
    )
    def get(self, request, id: int):
        allowed = self.allowed("fhir.read")
        patient = get_object_or_404(Patient.objects.select_related("home_clinic"), pk=id, home_clinic_id__in=allowed)
        bundle = everything_bundle(patient=patient, clinic_ids=allowed, base_url=self.fhir_base(request))
        disclosure_record_for_request(
            request=request,
            channel=Disclosure.Channel.FHIR,
            document="fhir_everything",
            resource_type="Bundle",
            resource_ids=[patient.pk],
            patient_ids=[patient.pk],
            clinic_id=patient.home_clinic_id,
        )
        return Response(bundle, content_type=f"{FHIR_MEDIA_TYPE}; fhirVersion=4.0")


class BulkExportKickoffView(FhirView):
    operations = {"get": "fhir.bulk_export"}
    audit_resource = "fhir_bulk_export"

    @extend_schema(
        tags=["fhir"],
        operation_id="fhir_group_export",
        parameters=[
            OpenApiParameter(
                "_type",
                str,
                required=False,
                description="Comma-separated resource types to export (default: all), e.g. `Patient,Observation`.",
                pattern=r"^[A-Za-z]+(,[A-Za-z]+)*$",
            ),
            OpenApiParameter("Prefer", str, OpenApiParameter.HEADER, required=False, enum=["respond-async"]),
        ],
        responses={
            (202, FHIR_MEDIA_TYPE): OpenApiResponse(
                response=FHIR_OBJECT,
                description="Accepted; poll the URL in the `Content-Location` header.",
            )
        },
    )
    def get(self, request, clinic_id: int):
        if clinic_id not in self.allowed("fhir.bulk_export"):
            raise Http404
        try:
            types = bulk.parse_types(request.query_params.get("_type"))
        except bulk.UnknownResourceType as exc:
            raise ValidationError({"_type": [f"Not exported here: {exc}."]}) from exc
        clinic = Clinic.objects.get(pk=clinic_id)
        export = bulk.bulk_export_start(
            clinic=clinic, by=request.user, request_url=request.build_absolute_uri(), resource_types=types
        )
        request.audit.add_object(resource_id=export.pk, patient_id=None, clinic_id=clinic_id)
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "information", "code": "informational", "diagnostics": "Export accepted."}],
        }
        response = Response(outcome, status=202)
        response["Content-Location"] = request.build_absolute_uri(reverse("fhir-bulk-status", args=[export.pk]))
        return response


class BulkExportStatusView(FhirView):
    operations = {"get": "fhir.bulk_export"}
    audit_resource = "fhir_bulk_export"
    renderer_classes = [JSONRenderer]

    @extend_schema(
        tags=["fhir"],
        operation_id="fhir_bulk_export_status",
        responses={
            (200, "application/json"): OpenApiResponse(
                response=OpenApiTypes.OBJECT, description="The export is complete: the manifest of its files."
            ),
            (202, "application/json"): OpenApiResponse(
                response=OpenApiTypes.OBJECT, description="Still running; `X-Progress` says how far."
            ),
        },
    )
    def get(self, request, pk: int):
        export = get_object_or_404(BulkExport, pk=pk, clinic_id__in=self.allowed("fhir.bulk_export"))
        request.audit.add_object(resource_id=export.pk, patient_id=None, clinic_id=export.clinic_id)
        if export.status == BulkExport.Status.FAILED:
            raise ValidationError({"export": [f"The export failed: {export.error or 'unknown error'}"]})
        if export.status != BulkExport.Status.COMPLETED:
            bulk.bulk_export_requeue_if_stale(export=export)
            response = Response({"status": export.status}, status=202)
            response["X-Progress"] = export.status
            response["Retry-After"] = "5"
            return response
        files = export.files.order_by("resource_type").only("pk", "resource_type", "count")
        manifest = {
            "transactionTime": (export.started_at or export.requested_at).isoformat(),
            "request": export.request_url,
            "requiresAccessToken": True,
            "output": [
                {
                    "type": f.resource_type,
                    "url": request.build_absolute_uri(reverse("fhir-bulk-file", args=[f.pk])),
                    "count": f.count,
                }
                for f in files
            ],
            "error": [],
        }
        return Response(manifest)


class BulkExportFileView(FhirView):
    operations = {"get": "fhir.bulk_export"}
    audit_resource = "fhir_bulk_file"
    renderer_classes = [FhirNdjsonRenderer, OctetStreamRenderer]

    @extend_schema(
        tags=["fhir"],
        operation_id="fhir_bulk_export_file",
        responses={
            (200, FHIR_NDJSON_MEDIA_TYPE): OpenApiResponse(
                response=OpenApiTypes.STR, description="One resource per line (NDJSON)."
            ),
            # The same bytes, for a client that sends `Accept: application/octet-stream`.
            (200, OCTET_STREAM): OpenApiResponse(response=OpenApiTypes.BINARY, description="NDJSON, as bytes."),
        },
    )
    def get(self, request, pk: int):
        file = get_object_or_404(
            BulkExportFile.objects.select_related("export"),
            pk=pk,
            export__clinic_id__in=self.allowed("fhir.bulk_export"),
            export__status=BulkExport.Status.COMPLETED,
        )
        export = file.export
        disclosure_record_for_request(
            request=request,
            channel=Disclosure.Channel.FHIR,
            document=f"fhir_bulk_{file.resource_type}",
            resource_type=file.resource_type,
            resource_ids=[file.pk],
            patient_ids=export.patient_ids,
            clinic_id=export.clinic_id,
        )
        media_type = OCTET_STREAM if request.accepted_media_type == OCTET_STREAM else FHIR_NDJSON_MEDIA_TYPE
        return Response(file.content, content_type=media_type)
