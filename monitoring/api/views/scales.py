"""Rating-scale responses and a patient's trends."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from monitoring import selectors
from monitoring.api import serializers as s
from monitoring.api.views.base import ERRORS, CreatingChartViewSet
from monitoring.models import (
    ScaleResponse,
)
from monitoring.selectors.scales import scale_trends
from monitoring.services.scales import scale_response_record


def _id_param(request, name: str, *, required: bool) -> int | None:
    raw = request.query_params.get(name, "")
    if not raw and not required:
        return None
    if not raw.isdigit():
        raise ValidationError({name: [f"Give ?{name}=<id>."]})
    return int(raw)


class ScaleResponseViewSet(CreatingChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.ScaleResponseSerializer
    clinic_lookup = "patient__home_clinic"
    audit_resource = "scale_response"
    filterset_fields = ["patient", "session", "enrollment", "scale"]
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
            enrollment=data.get("enrollment"),
            source=data.get("source", ScaleResponse.Source.CLINICIAN),
        )

    @extend_schema(
        parameters=[OpenApiParameter("patient", int, required=True), OpenApiParameter("enrollment", int)],
        responses={200: s.ScaleTrendSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def trend(self, request):
        """Baseline, latest, response and remission per scale for one patient."""
        patient_id = _id_param(request, "patient", required=True)
        enrollment_id = _id_param(request, "enrollment", required=False)
        responses = self.get_queryset().filter(patient_id=patient_id)
        if enrollment_id is not None:
            # Baseline and response are measured within one course of treatment.
            responses = responses.filter(enrollment_id=enrollment_id)
        responses = list(responses.order_by("completed_at", "pk"))
        self.audit_objects(responses)
        trends = scale_trends(responses=responses)
        return Response(s.ScaleTrendSerializer([t.__dict__ for t in trends], many=True).data)
