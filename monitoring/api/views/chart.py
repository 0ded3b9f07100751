"""Overrides, REMS forms, a session's whole chart, a patient's timeline."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from kat_clinic.compiled_query import Param, ParamIds, Prepared
from kat_clinic.models import Patient
from monitoring import selectors
from monitoring.api import serializers as s
from monitoring.api.views.base import ERRORS, SESSION_PATIENT, ChartViewSet, CreatingChartViewSet, acting_staff
from monitoring.services import gate, rems


class ChecklistOverrideViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    """A prescriber's override of one unmet gate or discharge item, with the reason kept."""

    serializer_class = s.ChecklistOverrideSerializer
    audit_resource = "checklist_override"
    audit_patient_attr = SESSION_PATIENT
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
    audit_patient_attr = SESSION_PATIENT
    filterset_fields = ["session", "status"]
    operations = {"list": "rems.read", "retrieve": "rems.read", "generate": "rems.write", "submit": "rems.submit"}

    def get_base_queryset(self):
        return selectors.rems_form_list()

    @extend_schema(request=s.RemsGenerateSerializer, responses={200: s.RemsMonitoringFormSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def generate(self, request):
        """Fill (or refill, while a draft) the session's form from its chart."""
        serializer = s.RemsGenerateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        form = rems.rems_form_generate(by=acting_staff(request), **serializer.validated_data)
        self.audit_objects([form])
        return Response(self.get_serializer(form).data)

    @extend_schema(request=None, responses={200: s.RemsMonitoringFormSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        form = rems.rems_form_submit(form=self.get_object(), by=acting_staff(request))
        return Response(self.get_serializer(form).data)


class SessionChartViewSet(ChartViewSet, mixins.RetrieveModelMixin):
    """A session's whole chart in one response, in a fixed number of queries."""

    serializer_class = s.SessionChartSerializer
    clinic_lookup = "clinic"
    audit_resource = "session_chart"
    audit_clinic_attr = "clinic_id"
    operations = {"retrieve": "chart.read", "gate": "chart.read", "discharge": "chart.read", "limits": "chart.read"}

    # (With the kinds of rows it has, the chart reads only those; with its clinic's charting rules,
    # and for a program session its plan and its template's prerequisites: the gate judges them
    # and the step's medication.)
    retrieve_query = Prepared(
        lambda: selectors.with_template_prerequisites(
            selectors.with_charting_rules(
                selectors.with_chart_rows_present(selectors.with_chart_plan(selectors.chart_session_list()))
            )
        ).filter(clinic_id__in_array=ParamIds("clinics"), pk=Param("pk"))
    )

    def get_base_queryset(self):
        return selectors.chart_session_list()

    def retrieve(self, request, *args, **kwargs):
        chart = selectors.session_chart(session=self.get_object())
        return Response(s.SessionChartSerializer(chart, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: s.ChecklistStatusSerializer})
    @action(detail=True, methods=["get"], url_path="gate")
    def gate(self, request, pk=None):
        return Response(selectors.gate_status(session=self.get_object()))

    @extend_schema(responses={200: s.ChecklistStatusSerializer})
    @action(detail=True, methods=["get"], url_path="discharge")
    def discharge(self, request, pk=None):
        return Response(selectors.discharge_status(session=self.get_object()))

    @extend_schema(responses={200: s.ChartLimitsSerializer})
    @action(detail=True, methods=["get"], url_path="limits")
    def limits(self, request, pk=None):
        """The clinic's thresholds, caps and discharge policy for this session, for drawing the chart."""
        return Response(s.ChartLimitsSerializer(selectors.chart_limits(session=self.get_object())).data)


class PatientTimelineViewSet(ChartViewSet):
    """A patient's clinical history, newest first: notes, doses, scales, alerts, events, consents."""

    serializer_class = s.TimelineEntrySerializer
    clinic_lookup = "home_clinic"
    audit_resource = "patient_timeline"
    audit_patient_attr = "pk"
    audit_clinic_attr = "home_clinic_id"
    operations = {"timeline": "chart.read"}
    reads_outside_transaction = frozenset({"timeline"})
    retrieve_query = Prepared(
        lambda: Patient.objects.filter(home_clinic_id__in_array=ParamIds("clinics"), pk=Param("pk"))
    )
    retrieve_actions = frozenset({"timeline"})

    def get_base_queryset(self):
        return Patient.objects.all()

    @extend_schema(responses={200: s.TimelineEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        entries = selectors.patient_timeline(patient=self.get_object())
        return Response(s.TimelineEntrySerializer(entries, many=True).data)
