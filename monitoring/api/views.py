"""Clinician endpoints for charting. Views validate, call one service, and serialize."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from kat_clinic.access.viewsets import ClinicScopedViewSet
from kat_clinic.errors import PreconditionFailed, PreconditionRequired
from kat_clinic.models import Patient, StaffMember
from monitoring import selectors
from monitoring.api import serializers as s
from monitoring.models import (
    AdverseEvent,
    Allergy,
    Consent,
    ContraindicationScreen,
    Diagnosis,
    DissociationScore,
    Escalation,
    PatientMedication,
    PregnancyTest,
    PriorAuthorization,
    RemsMonitoringForm,
    RemsPatientEnrollment,
    ScaleResponse,
    SedationScore,
    SessionAttestation,
    SessionMedication,
)
from monitoring.services import alerts as alert_services
from monitoring.services import dosing, gate, notes, records, rems, vitals
from monitoring.services.scales import scale_response_record, scale_trend

ERRORS = {
    409: OpenApiResponse(description="Conflicts with the current state (e.g. a signed record)."),
    422: OpenApiResponse(description="A clinical rule refuses the request; `unmet` lists gate items."),
}


def _staff(request) -> StaffMember:
    staff = getattr(request.user, "staff", None)
    if staff is None:
        raise PermissionDenied("Only staff members chart.")
    return staff


class ChartViewSet(ClinicScopedViewSet):
    """Base for charting endpoints: rows hang off a session unless `clinic_lookup` says otherwise."""

    clinic_lookup = "session__clinic"
    audit_patient_attr = "patient_id"
    audit_clinic_attr = None
    # Bodies carry JSON objects and lists (sections, answers, readings), which form encodings cannot: JSON only.
    parser_classes = [JSONParser]


class CreatingChartViewSet(ChartViewSet):
    """A charting endpoint whose POST validates the body and hands it to one service."""

    create_serializer_class = None

    def create(self, request, *args, **kwargs):
        serializer_class = self.create_serializer_class or self.get_serializer_class()
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        instance = self.perform_service_create(dict(serializer.validated_data), _staff(request))
        self.audit_objects([instance])
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def perform_service_create(self, data: dict, by: StaffMember):
        raise NotImplementedError


# --- notes -------------------------------------------------------------------------------------


def _if_match_version(request) -> int:
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    try:
        return int(value.strip('"'))
    except ValueError:
        raise PreconditionFailed("The If-Match header does not hold an ETag of this note.")


IF_MATCH = OpenApiParameter(
    "If-Match", location=OpenApiParameter.HEADER, required=True, type=str, description="The ETag read with GET."
)


@extend_schema_view(
    create=extend_schema(request=s.NoteCreateSerializer, responses={201: s.ClinicalNoteSerializer, **ERRORS}),
)
class NoteViewSet(CreatingChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """One note per session; signed notes are frozen in the database, corrections are addenda."""

    serializer_class = s.ClinicalNoteSerializer
    create_serializer_class = s.NoteCreateSerializer
    audit_resource = "clinical_note"
    filterset_fields = ["session", "patient", "kind", "status"]
    operations = {
        "list": "note.read",
        "retrieve": "note.read",
        "create": "note.write",
        "partial_update": "note.write",
        "sign": "note.sign",
        "cosign": "note.cosign",
        "add_addendum": "note.write",
    }

    def get_base_queryset(self):
        return selectors.note_list() if self.action == "list" else selectors.note_any()

    def perform_service_create(self, data, by):
        return notes.note_create(session=data["session"], author=by, sections=data["sections"], body=data["body"])

    @extend_schema(
        responses={200: s.ClinicalNoteSerializer},
        parameters=[
            OpenApiParameter(
                "ETag",
                location=OpenApiParameter.HEADER,
                response=[200],
                type=str,
                description="The note's version; send it back in If-Match to edit.",
            )
        ],
    )
    def retrieve(self, request, *args, **kwargs):
        note = self.get_object()
        return Response(self.get_serializer(note).data, headers={"ETag": note.etag})

    @extend_schema(
        request=s.NoteUpdateSerializer,
        parameters=[IF_MATCH],
        responses={
            200: s.ClinicalNoteSerializer,
            412: OpenApiResponse(description="Stale ETag."),
            428: OpenApiResponse(description="If-Match missing."),
            **ERRORS,
        },
    )
    def partial_update(self, request, *args, **kwargs):
        note = self.get_object()
        expected = _if_match_version(request)
        serializer = s.NoteUpdateSerializer(data=request.data, context={"note": note})
        serializer.is_valid(raise_exception=True)
        note = notes.note_update(note=note, by=_staff(request), expected_version=expected, **serializer.validated_data)
        return Response(self.get_serializer(note).data, headers={"ETag": note.etag})

    @extend_schema(request=None, responses={200: s.ClinicalNoteSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        note = self.get_object()
        expected = _if_match_version(request) if request.headers.get("If-Match") else None
        note = notes.note_sign(note=note, by=_staff(request), expected_version=expected)
        return Response(self.get_serializer(note).data, headers={"ETag": note.etag})

    @extend_schema(request=None, responses={200: s.ClinicalNoteSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cosign(self, request, pk=None):
        note = notes.note_cosign(note=self.get_object(), by=_staff(request))
        return Response(self.get_serializer(note).data, headers={"ETag": note.etag})

    @extend_schema(request=s.AddendumCreateSerializer, responses={201: s.ClinicalNoteSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="addenda")
    def add_addendum(self, request, pk=None):
        note = self.get_object()
        serializer = s.AddendumCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        addendum = notes.note_add_addendum(note=note, author=_staff(request), body=serializer.validated_data["body"])
        self.audit_objects([addendum])
        return Response(self.get_serializer(addendum).data, status=status.HTTP_201_CREATED)


# --- scales ------------------------------------------------------------------------------------


class ScaleResponseViewSet(CreatingChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.ScaleResponseSerializer
    clinic_lookup = "patient__home_clinic"
    audit_resource = "scale_response"
    filterset_fields = ["patient", "session", "scale"]
    operations = {"list": "scale.read", "retrieve": "scale.read", "create": "scale.write", "trend": "scale.read"}

    def get_base_queryset(self):
        return selectors.scale_response_list()

    @extend_schema(responses={201: s.ScaleResponseSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_service_create(self, data, by):
        return scale_response_record(
            patient=data["patient"],
            scale=data["scale"],
            answers=data["answers"],
            by=by,
            session=data.get("session"),
            source=data.get("source", ScaleResponse.Source.CLINICIAN),
        )

    @extend_schema(
        parameters=[OpenApiParameter("patient", int, required=True), OpenApiParameter("enrollment", int)],
        responses={200: s.ScaleTrendSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def trend(self, request):
        """Baseline, latest, response and remission per scale for one patient."""
        try:
            patient_id = int(request.query_params.get("patient", ""))
        except ValueError:
            return Response({"type": "invalid", "detail": "Give ?patient=<id>.", "errors": {}}, status=400)
        responses = self.get_queryset().filter(patient_id=patient_id)
        if request.query_params.get("enrollment", "").isdigit():
            # Baseline and response are measured within one course of treatment.
            responses = responses.filter(enrollment_id=int(request.query_params["enrollment"]))
        responses = list(responses.order_by("completed_at", "pk"))
        self.audit_objects(responses)
        trends = [scale_trend(responses=responses, scale=scale) for scale in sorted({r.scale for r in responses})]
        return Response(s.ScaleTrendSerializer([t.__dict__ for t in trends], many=True).data)


# --- vitals and friends --------------------------------------------------------------------------


class VitalSignViewSet(CreatingChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.VitalSignSerializer
    audit_resource = "vital_sign"
    filterset_fields = ["session", "patient", "source"]
    operations = {"list": "vitals.read", "retrieve": "vitals.read", "create": "vitals.write", "batch": "vitals.write"}

    def get_base_queryset(self):
        return selectors.vital_list()

    @extend_schema(responses={201: s.VitalSignSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_service_create(self, data, by):
        session = data.pop("session")
        created, _ = vitals.vitals_record(session=session, by=by, readings=[data])
        if created:
            return created[0]
        # A resent monitor reading: answer with the one already stored.
        return session.vitals.get(device_reading_id=data["device_reading_id"])

    @extend_schema(request=s.VitalBatchSerializer, responses={200: s.VitalBatchResultSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Readings from a monitor; resending a reading (same device_reading_id) is a no-op."""
        serializer = s.VitalBatchSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        session = serializer.validated_data["session"]
        created, duplicates = vitals.vitals_record(
            session=session, by=_staff(request), readings=[dict(r) for r in serializer.validated_data["readings"]]
        )
        self.audit_objects(created)
        alert_ids = list(session.alerts.values_list("pk", flat=True).order_by("pk"))
        body = {"created": len(created), "duplicates": duplicates, "readings": created, "alerts": alert_ids}
        return Response(s.VitalBatchResultSerializer(body).data)


class SedationScoreViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    serializer_class = s.SedationScoreSerializer
    audit_resource = "sedation_score"
    filterset_fields = ["session"]
    operations = {"list": "vitals.read", "create": "vitals.write"}

    def get_base_queryset(self):
        return selectors.session_rows(SedationScore)

    def perform_service_create(self, data, by):
        return vitals.sedation_record(by=by, **data)


class DissociationScoreViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    serializer_class = s.DissociationScoreSerializer
    audit_resource = "dissociation_score"
    filterset_fields = ["session"]
    operations = {"list": "vitals.read", "create": "vitals.write"}

    def get_base_queryset(self):
        return selectors.session_rows(DissociationScore)

    def perform_service_create(self, data, by):
        return vitals.dissociation_record(by=by, **data)


class AdverseEventViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    serializer_class = s.AdverseEventSerializer
    audit_resource = "adverse_event"
    filterset_fields = ["session", "patient", "type"]
    operations = {"list": "vitals.read", "create": "vitals.write"}

    def get_base_queryset(self):
        return selectors.session_rows(AdverseEvent)

    def perform_service_create(self, data, by):
        return vitals.adverse_event_record(by=by, **data)


class AlertViewSet(ChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.AlertSerializer
    clinic_lookup = "clinic"
    audit_resource = "alert"
    audit_clinic_attr = "clinic_id"
    filterset_fields = ["session", "patient", "kind", "priority"]
    operations = {"list": "alert.read", "retrieve": "alert.read", "acknowledge": "alert.ack"}

    def get_base_queryset(self):
        queryset = selectors.alert_list()
        if self.request.query_params.get("open") in ("1", "true"):
            queryset = queryset.filter(acknowledged_at__isnull=True)
        return queryset

    @extend_schema(request=None, responses={200: s.AlertSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = alert_services.alert_acknowledge(alert=self.get_object(), by=_staff(request))
        return Response(self.get_serializer(alert).data)


# --- dosing ------------------------------------------------------------------------------------


class DoseViewSet(CreatingChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.DoseAdministrationSerializer
    audit_resource = "dose"
    filterset_fields = ["session", "patient", "medication", "route"]
    operations = {"list": "dose.read", "retrieve": "dose.read", "create": "dose.administer", "stop": "dose.administer"}

    def get_base_queryset(self):
        return selectors.dose_list()

    @extend_schema(responses={201: s.DoseAdministrationSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_service_create(self, data, by):
        return dosing.dose_record(by=by, **data)

    @extend_schema(request=s.DoseStopSerializer, responses={200: s.DoseAdministrationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        serializer = s.DoseStopSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dose = dosing.dose_stop(dose=self.get_object(), by=_staff(request), **serializer.validated_data)
        return Response(self.get_serializer(dose).data)


class SessionMedicationViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    serializer_class = s.SessionMedicationSerializer
    audit_resource = "session_medication"
    filterset_fields = ["session"]
    operations = {"list": "dose.read", "create": "dose.administer"}

    def get_base_queryset(self):
        return selectors.session_rows(SessionMedication)

    def perform_service_create(self, data, by):
        return dosing.session_medication_record(by=by, **data)


class EscalationViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    serializer_class = s.EscalationSerializer
    audit_resource = "escalation"
    filterset_fields = ["session"]
    operations = {"list": "vitals.read", "create": "vitals.write"}

    def get_base_queryset(self):
        return selectors.session_rows(Escalation)

    def perform_service_create(self, data, by):
        return dosing.escalation_record(by=by, **data)


# --- the patient's record ----------------------------------------------------------------------


class RecordViewSet(CreatingChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Patient-level records, scoped by the patient's home clinic."""

    clinic_lookup = "patient__home_clinic"
    filterset_fields = ["patient"]
    operations = {"list": "record.read", "retrieve": "record.read", "create": "record.write"}
    model = None

    def get_base_queryset(self):
        return selectors.patient_records(self.model)

    def perform_service_create(self, data, by):
        patient = data.pop("patient")
        return records.record_create(model=self.model, patient=patient, by=by, **data)


def _record_viewset(model_class, serializer_class, resource: str):
    return type(
        f"{model_class.__name__}ViewSet",
        (RecordViewSet,),
        {
            "model": model_class,
            "serializer_class": serializer_class,
            "audit_resource": resource,
            "__doc__": f"{model_class._meta.verbose_name_plural.capitalize()} of a patient.",
        },
    )


PatientMedicationViewSet = _record_viewset(PatientMedication, s.PatientMedicationSerializer, "patient_medication")
AllergyViewSet = _record_viewset(Allergy, s.AllergySerializer, "allergy")
PregnancyTestViewSet = _record_viewset(PregnancyTest, s.PregnancyTestSerializer, "pregnancy_test")
DiagnosisViewSet = _record_viewset(Diagnosis, s.DiagnosisSerializer, "diagnosis")
PriorAuthorizationViewSet = _record_viewset(PriorAuthorization, s.PriorAuthorizationSerializer, "prior_authorization")
RemsEnrollmentViewSet = _record_viewset(RemsPatientEnrollment, s.RemsPatientEnrollmentSerializer, "rems_enrollment")


class ConsentViewSet(RecordViewSet):
    model = Consent
    serializer_class = s.ConsentSerializer
    audit_resource = "consent"
    operations = {**RecordViewSet.operations, "revoke": "record.write"}

    def perform_service_create(self, data, by):
        return records.consent_record(by=by, **data)

    @extend_schema(request=s.ConsentRevokeSerializer, responses={200: s.ConsentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        serializer = s.ConsentRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = records.consent_revoke(consent=self.get_object(), by=_staff(request), **serializer.validated_data)
        return Response(self.get_serializer(consent).data)


class ContraindicationScreenViewSet(RecordViewSet):
    model = ContraindicationScreen
    serializer_class = s.ContraindicationScreenSerializer
    audit_resource = "contraindication_screen"

    def get_base_queryset(self):
        return ContraindicationScreen.objects.select_related("patient").order_by("-screened_at", "-pk")

    def perform_service_create(self, data, by):
        return records.contraindication_screen_record(by=by, **data)


class SessionAttestationViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    """Escort and fasting for one session; posting again updates the session's row."""

    serializer_class = s.SessionAttestationSerializer
    audit_resource = "session_attestation"
    filterset_fields = ["session"]
    operations = {"list": "record.read", "create": "record.write"}

    def get_base_queryset(self):
        return selectors.session_rows(SessionAttestation)

    def perform_service_create(self, data, by):
        return records.session_attestation_record(by=by, **data)


# --- gate, discharge, REMS, chart, timeline ------------------------------------------------------


class ChecklistOverrideViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    """A prescriber's override of one unmet gate or discharge item, with the reason kept."""

    serializer_class = s.ChecklistOverrideSerializer
    audit_resource = "checklist_override"
    filterset_fields = ["session", "stage"]
    # Both stages are prescriber-only; the service checks the stage's own operation.
    operations = {"list": "chart.read", "create": "gate.override"}

    def get_base_queryset(self):
        return selectors.override_list()

    @extend_schema(responses={201: s.ChecklistOverrideSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_service_create(self, data, by):
        return gate.checklist_override(by=by, **data)


class RemsFormViewSet(ChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.RemsMonitoringFormSerializer
    audit_resource = "rems_form"
    filterset_fields = ["session", "status"]
    operations = {"list": "rems.read", "retrieve": "rems.read", "generate": "rems.write", "submit": "rems.submit"}

    def get_base_queryset(self):
        return RemsMonitoringForm.objects.select_related("session").order_by("due_on", "pk")

    @extend_schema(request=s.RemsGenerateSerializer, responses={200: s.RemsMonitoringFormSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def generate(self, request):
        """Fill (or refill, while a draft) the session's form from its chart."""
        serializer = s.RemsGenerateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        form = rems.rems_form_generate(by=_staff(request), **serializer.validated_data)
        self.audit_objects([form])
        return Response(self.get_serializer(form).data)

    @extend_schema(request=None, responses={200: s.RemsMonitoringFormSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        form = rems.rems_form_submit(form=self.get_object(), by=_staff(request))
        return Response(self.get_serializer(form).data)


class SessionChartViewSet(ChartViewSet, mixins.RetrieveModelMixin):
    """A session's whole chart in one response, in a fixed number of queries."""

    serializer_class = s.SessionChartSerializer
    clinic_lookup = "clinic"
    audit_resource = "session_chart"
    audit_clinic_attr = "clinic_id"
    operations = {"retrieve": "chart.read", "gate": "chart.read", "discharge": "chart.read"}

    def get_base_queryset(self):
        return selectors.chart_session_list()

    def retrieve(self, request, *args, **kwargs):
        session = self.get_object()
        chart = selectors.session_chart(session_id=session.pk)
        body = {
            "session": {
                "id": session.pk,
                "kind": session.kind,
                "status": session.status,
                "starts_at": session.starts_at.isoformat(),
                "ends_at": session.ends_at.isoformat(),
                "patient": session.patient_id,
                "clinic": session.clinic_id,
            },
            "note": chart["notes"][0] if chart["notes"] else None,
            **{
                key: chart[key]
                for key in (
                    "doses",
                    "other_medications",
                    "escalations",
                    "vitals",
                    "sedation",
                    "dissociation",
                    "adverse_events",
                    "alerts",
                    "scales",
                    "attestation",
                    "rems_form",
                )
            },
            "gate": gate.gate_status(session=session),
            "discharge": gate.discharge_status(session=session),
        }
        return Response(s.SessionChartSerializer(body, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: s.ChecklistStatusSerializer})
    @action(detail=True, methods=["get"], url_path="gate")
    def gate(self, request, pk=None):
        return Response(gate.gate_status(session=self.get_object()))

    @extend_schema(responses={200: s.ChecklistStatusSerializer})
    @action(detail=True, methods=["get"], url_path="discharge")
    def discharge(self, request, pk=None):
        return Response(gate.discharge_status(session=self.get_object()))


class PatientTimelineViewSet(ChartViewSet):
    """A patient's clinical history, newest first: notes, doses, scales, alerts, events, consents."""

    serializer_class = s.TimelineEntrySerializer
    clinic_lookup = "home_clinic"
    audit_resource = "patient_timeline"
    audit_patient_attr = "pk"
    audit_clinic_attr = "home_clinic_id"
    operations = {"timeline": "chart.read"}

    def get_base_queryset(self):
        return Patient.objects.all()

    @extend_schema(responses={200: s.TimelineEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        patient = self.get_object()
        entries = []
        for note in selectors.note_any().filter(patient=patient, status="signed"):
            label = "Addendum" if note.amends_id else f"{note.get_kind_display()} note"
            entries.append((note.signed_at, "note", note.pk, note.session_id, f"{label} signed"))
        for dose in selectors.dose_list().filter(patient=patient):
            entries.append(
                (
                    dose.started_at,
                    "dose",
                    dose.pk,
                    dose.session_id,
                    f"{dose.get_medication_display()} {dose.dose_mg} mg {dose.get_route_display()}",
                )
            )
        for response in ScaleResponse.objects.filter(patient=patient):
            total = "" if response.total is None else f" {response.total}"
            entries.append(
                (
                    response.completed_at,
                    "scale",
                    response.pk,
                    response.session_id,
                    f"{response.get_scale_display()}{total} ({response.severity})",
                )
            )
        for alert in selectors.alert_list().filter(patient=patient):
            entries.append((alert.raised_at, "alert", alert.pk, alert.session_id, alert.message))
        for event in AdverseEvent.objects.filter(patient=patient):
            entries.append(
                (
                    event.onset_at,
                    "adverse_event",
                    event.pk,
                    event.session_id,
                    f"{event.get_type_display()} ({event.severity})",
                )
            )
        for consent in Consent.objects.filter(patient=patient):
            entries.append((consent.signed_at, "consent", consent.pk, None, f"Consent {consent.document_version}"))
        entries.sort(key=lambda e: (e[0], e[2]), reverse=True)
        body = [
            {"at": at, "type": kind, "id": pk, "session": session, "summary": summary}
            for at, kind, pk, session, summary in entries
        ]
        return Response(s.TimelineEntrySerializer(body, many=True).data)
