"""Program templates (admins write, everyone reads) and enrollments (the care team)."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from kat_clinic.access.viewsets import ClinicScopedViewSet
from kat_clinic.api.filters import StrictFilterSet
from kat_clinic.api.schema import problem
from programs import selectors, services
from programs.api import serializers as s
from programs.choices import Pathway
from programs.models import Enrollment, ProgramTemplate

ERROR_RESPONSES = {
    409: problem("The template or enrollment is not in a state that allows this."),
    422: problem("A rule refuses it; `errors` names each field, e.g. `steps.1.block_minutes`."),
}

KAT_TEMPLATE_EXAMPLE = OpenApiExample(
    "A small KAT program",
    request_only=True,
    value={
        "name": "KAT, short course",
        "description": "One preparation, two dosing sessions, an integration after each.",
        "pathway": "kat",
        "clinic": None,
        "steps": [
            {
                "position": 1,
                "phase": "preparation",
                "kind": "preparation",
                "label": "Preparation",
                "count": 1,
                "session_minutes": 60,
                "block_minutes": 60,
                "room_kind": "consult_room",
                "room_capability": "therapy",
                "telehealth_allowed": True,
                "staff_needs": [
                    {"role": "therapist", "mode": "exclusive", "start_offset_minutes": 0, "end_offset_minutes": 60}
                ],
            },
            {
                "position": 2,
                "phase": "induction",
                "kind": "dosing",
                "label": "Dosing (IM)",
                "count": 2,
                "session_minutes": 150,
                "block_minutes": 180,
                "room_kind": "treatment_room",
                "room_capability": "monitored",
                "medication": "ketamine",
                "route": "im",
                "dose_mg_per_kg": "0.750",
                "staff_needs": [
                    {"role": "therapist", "mode": "exclusive", "start_offset_minutes": 0, "end_offset_minutes": 180},
                    {"role": "nurse", "mode": "shared", "start_offset_minutes": 0, "end_offset_minutes": 100},
                    {"role": "prescriber", "mode": "present", "start_offset_minutes": 0, "end_offset_minutes": 180},
                ],
            },
            {
                "position": 3,
                "phase": "integration",
                "kind": "integration",
                "label": "Integration",
                "count": 2,
                "session_minutes": 60,
                "block_minutes": 60,
                "telehealth_allowed": True,
                "staff_needs": [
                    {"role": "therapist", "mode": "exclusive", "start_offset_minutes": 0, "end_offset_minutes": 60}
                ],
            },
        ],
        "rules": [
            {"kind": "prep_before_first_dosing", "step_position": 1},
            {"kind": "integration_window", "step_position": 3, "min_interval": "P1D", "max_interval": "P3D"},
            {"kind": "dosing_weekly_cap", "step_position": 2, "max_count": 2, "period": "P7D"},
        ],
        "prerequisites": [
            {"kind": "consent"},
            {"kind": "contraindication_screen"},
            {"kind": "ride_confirmed"},
            {"kind": "weight_recent", "max_age_days": 30},
        ],
        "scale_schedule": [
            {"scale": "phq9", "timing": "baseline"},
            {"scale": "phq9", "timing": "before_each_dosing"},
        ],
    },
)
INVALID_TEMPLATE_EXAMPLE = OpenApiExample(
    "Refused: a block shorter than its session",
    response_only=True,
    status_codes=["422"],
    value={
        "type": "urn:kat-clinic:problem:invalid_template",
        "title": "Refused by a rule of the clinic",
        "status": 422,
        "detail": "The template has invalid parts.",
        "instance": "/api/v1/program-templates/",
        "errors": {
            "steps.1.block_minutes": [
                "The block (90 min) must be at least as long as the session (150 min): "
                "it includes monitoring and recovery."
            ]
        },
    },
)


@extend_schema_view(
    list=extend_schema(summary="Program templates you can use: organisation-wide, or of your clinics"),
    retrieve=extend_schema(summary="One template version with its steps, rules, prerequisites and scales"),
    create=extend_schema(
        summary="Create a draft template with all its parts in one write",
        examples=[KAT_TEMPLATE_EXAMPLE, INVALID_TEMPLATE_EXAMPLE],
        responses={201: s.ProgramTemplateSerializer, **ERROR_RESPONSES},
    ),
    update=extend_schema(
        summary="Replace a draft (a published version is frozen: clone it)",
        responses={200: s.ProgramTemplateSerializer, **ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change part of a draft; a list given replaces the stored list",
        responses={200: s.ProgramTemplateSerializer, **ERROR_RESPONSES},
    ),
    destroy=extend_schema(summary="Delete a draft", responses={204: None, 409: ERROR_RESPONSES[409]}),
)
class ProgramTemplateViewSet(
    ClinicScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    serializer_class = s.ProgramTemplateSerializer
    audit_resource = "program_template"
    audit_patient_attr = None
    audit_clinic_attr = "clinic_id"
    filterset_fields = ["pathway", "state", "clinic", "family"]
    operations = {
        "list": "program_template.read",
        "retrieve": "program_template.read",
        "create": "program_template.write",
        "update": "program_template.write",
        "partial_update": "program_template.write",
        "destroy": "program_template.write",
        "publish": "program_template.write",
        "clone": "program_template.write",
        "retire": "program_template.write",
    }

    def get_base_queryset(self):
        return selectors.template_list()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProgramTemplate.objects.none()
        return selectors.templates_visible_to(user=self.request.user, clinic_ids=self.allowed_clinic_ids()).order_by(
            "name", "-version", "id"
        )

    def _staff(self):
        return getattr(self.request.user, "staff", None)

    def _read(self, template: ProgramTemplate) -> dict:
        return s.ProgramTemplateSerializer(
            selectors.template_list().get(pk=template.pk), context=self.get_serializer_context()
        ).data

    def perform_create(self, serializer):
        staff = self._staff()
        template = services.template_create(organization=staff.organization, by=staff, **serializer.validated_data)
        self.audit_objects([template])
        serializer.instance = template

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(self._read(serializer.instance), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        template = self.get_object()
        serializer = self.get_serializer(template, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        template = services.template_update(template=template, **serializer.validated_data)
        return Response(self._read(template))

    def perform_destroy(self, instance):
        services.template_delete(template=instance)

    @extend_schema(
        summary="Publish a complete draft (the family's published version is retired); frozen from then on",
        request=None,
        responses={200: s.ProgramTemplateSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        template = services.template_publish(template=self.get_object(), by=self._staff())
        return Response(self._read(template))

    @extend_schema(
        summary="Copy this version into a new draft version of the same family, to edit",
        request=None,
        responses={201: s.ProgramTemplateSerializer},
    )
    @action(detail=True, methods=["post"])
    def clone(self, request, pk=None):
        clone = services.template_clone(template=self.get_object(), by=self._staff())
        self.audit_objects([clone])
        return Response(self._read(clone), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Retire a published version: no new enrollments, existing ones keep it",
        request=None,
        responses={200: s.ProgramTemplateSerializer, 409: ERROR_RESPONSES[409]},
    )
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        template = services.template_retire(template=self.get_object(), by=self._staff())
        return Response(self._read(template))


class EnrollmentFilter(StrictFilterSet):
    pathway = filters.ChoiceFilter(choices=Pathway.choices)

    class Meta:
        model = Enrollment
        fields = ["patient", "status", "template", "pathway", "clinic"]


STATUS_CHANGE_RESPONSES = {
    200: s.EnrollmentSerializer,
    409: problem("The enrollment's status does not allow this change."),
    422: problem("A reason is required."),
}


@extend_schema_view(
    list=extend_schema(summary="Enrollments of your clinics; filter by patient, status, template, pathway"),
    retrieve=extend_schema(summary="One enrollment"),
)
class EnrollmentViewSet(ClinicScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.EnrollmentSerializer
    clinic_lookup = "clinic"
    audit_resource = "enrollment"
    audit_patient_attr = "patient_id"
    audit_clinic_attr = "clinic_id"
    filterset_class = EnrollmentFilter
    operations = {
        "list": "enrollment.read",
        "retrieve": "enrollment.read",
        "progress": "enrollment.read",
        "planned_sessions": "enrollment.read",
        "create": "enrollment.write",
        "pause": "enrollment.write",
        "resume": "enrollment.write",
        "complete": "enrollment.write",
        "withdraw": "enrollment.write",
    }

    def get_base_queryset(self):
        return selectors.enrollment_list()

    def _staff(self):
        return getattr(self.request.user, "staff", None)

    @extend_schema(
        summary="Enroll a patient in a published template; plans every session it calls for",
        request=s.EnrollmentCreateSerializer,
        responses={
            201: s.EnrollmentSerializer,
            409: problem(
                "The template is not published, or the patient already has an open enrollment in this pathway."
            ),
            422: problem("The template is not offered at the patient's clinic."),
        },
        examples=[
            OpenApiExample("Enroll", request_only=True, value={"patient": 42, "template": 7}),
            OpenApiExample(
                "Already enrolled",
                response_only=True,
                status_codes=["409"],
                value={
                    "type": "urn:kat-clinic:problem:already_enrolled",
                    "title": "Conflicts with the current state",
                    "status": 409,
                    "detail": "The patient already has an active or paused enrollment in this pathway; "
                    "complete or withdraw it first.",
                    "instance": "/api/v1/enrollments/",
                    "errors": {"template": ["The patient already has an open enrollment in this pathway."]},
                },
            ),
        ],
    )
    def create(self, request):
        serializer = s.EnrollmentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        enrollment = services.enrollment_create(by=self._staff(), **serializer.validated_data)
        self.audit_objects([enrollment])
        enrollment = selectors.enrollment_list().get(pk=enrollment.pk)
        return Response(s.EnrollmentSerializer(enrollment).data, status=status.HTTP_201_CREATED)

    def _transition(self, request, service, body=s.EnrollmentStatusChangeSerializer):
        serializer = body(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrollment = service(enrollment=self.get_object(), by=self._staff(), reason=serializer.validated_data["reason"])
        return Response(s.EnrollmentSerializer(enrollment).data)

    @extend_schema(
        summary="Pause (reason required)",
        request=s.EnrollmentReasonedChangeSerializer,
        responses=STATUS_CHANGE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._transition(request, services.enrollment_pause, s.EnrollmentReasonedChangeSerializer)

    @extend_schema(
        summary="Resume a paused enrollment",
        request=s.EnrollmentStatusChangeSerializer,
        responses=STATUS_CHANGE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._transition(request, services.enrollment_resume)

    @extend_schema(
        summary="Complete; sessions still to book are cancelled",
        request=s.EnrollmentStatusChangeSerializer,
        responses=STATUS_CHANGE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._transition(request, services.enrollment_complete)

    @extend_schema(
        summary="Withdraw (reason required); sessions still to book are cancelled",
        request=s.EnrollmentReasonedChangeSerializer,
        responses=STATUS_CHANGE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition(request, services.enrollment_withdraw, s.EnrollmentReasonedChangeSerializer)

    @extend_schema(
        summary="Progress: per step completed / booked / to book, next session due, booster due dates",
        responses=s.EnrollmentProgressSerializer,
        examples=[
            OpenApiExample(
                "Midway through an IV induction",
                response_only=True,
                value={
                    "enrollment": 12,
                    "status": "active",
                    "steps": [
                        {
                            "step": 3,
                            "position": 1,
                            "label": "IV infusion",
                            "kind": "dosing",
                            "planned": 6,
                            "completed": 3,
                            "booked": 2,
                            "to_book": 1,
                            "cancelled": 0,
                        }
                    ],
                    "totals": {"to_book": 1, "booked": 2, "completed": 3, "cancelled": 0},
                    "next_session": {
                        "id": 88,
                        "sequence": 6,
                        "step": 3,
                        "step_label": "IV infusion",
                        "occurrence": 6,
                        "kind": "dosing",
                        "status": "to_book",
                        "status_changed_at": None,
                        "linked_dosing": None,
                        "window_min": None,
                        "window_max": None,
                    },
                    "booster_due_from": None,
                    "booster_due_until": None,
                    "prerequisites": [{"kind": "consent", "max_age_days": None}],
                },
            )
        ],
    )
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        progress = selectors.enrollment_progress(enrollment=self.get_object())
        return Response(s.EnrollmentProgressSerializer(progress).data)

    @extend_schema(summary="The planned sessions, in plan order", responses=s.PlannedSessionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="planned-sessions", pagination_class=None, filterset_class=None)
    def planned_sessions(self, request, pk=None):
        sessions = selectors.planned_session_list(enrollment=self.get_object())
        return Response(s.PlannedSessionSerializer(sessions, many=True).data)
