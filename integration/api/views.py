"""The integration care API: check-ins (signed links and staff reads), integration plans and the
on-call list."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from integration import selectors, services
from integration.api import serializers as s
from integration.links import checkin_page_path
from kat_clinic.access.viewsets import AuditedViewMixin, ClinicScopedViewSet

ERROR_RESPONSES = {
    403: OpenApiResponse(description="Not allowed for your role or not addressed to you."),
    409: OpenApiResponse(description="Conflicts with the current state."),
    412: OpenApiResponse(description="The record changed since you read it."),
    422: OpenApiResponse(description="Breaks a rule."),
}


class CheckInLinkView(AuditedViewMixin, APIView):
    """A patient's check-in through a signed, expiring link. No login: the link is the credential."""

    public = True
    authentication_classes: list = []
    throttle_scope = "checkin"
    operations = {"get": "checkin.link", "post": "checkin.link"}
    audit_resource = "checkin"

    @extend_schema(responses={200: s.CheckInLinkSerializer, 403: ERROR_RESPONSES[403]})
    def get(self, request, patient_id: int, token: str):
        if request._request.get_preferred_type(["application/json", "text/html"]) == "text/html":
            # A patient's browser opening a link sent before the check-in page existed: on to the
            # page, which reads this endpoint as JSON. API clients keep getting JSON here.
            return HttpResponseRedirect(checkin_page_path(patient_id=patient_id, token=token))
        return Response(s.CheckInLinkSerializer(services.checkin_link_context(patient_id=patient_id, token=token)).data)

    @extend_schema(
        request=s.CheckInSubmitSerializer,
        responses={201: s.CheckInReceiptSerializer, **ERROR_RESPONSES},
    )
    def post(self, request, patient_id: int, token: str):
        serializer = s.CheckInSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.checkin_submit(patient_id=patient_id, token=token, **serializer.validated_data)
        self.audit_objects([result.checkin])
        crisis = None
        if result.crisis_line:
            crisis = {
                "line": result.crisis_line,
                "message": (
                    f"If you are thinking about harming yourself, call or text {result.crisis_line} now, "
                    "or call 911. Our on-call clinician has been told and will contact you."
                ),
            }
        body = {"id": result.checkin.pk, "received": True, "crisis": crisis}
        return Response(s.CheckInReceiptSerializer(body).data, status=status.HTTP_201_CREATED)


class CheckInViewSet(ClinicScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Check-ins as clinicians read them."""

    serializer_class = s.CheckInSerializer
    audit_resource = "checkin"
    filterset_fields = ["patient", "clinic", "risk_flagged"]
    operations = {"list": "checkin.read", "retrieve": "checkin.read"}

    def get_base_queryset(self):
        return selectors.checkin_list()


class IntegrationPlanViewSet(ClinicScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Integration plans per enrollment. POST writes a new version (creating the plan if needed)."""

    serializer_class = s.IntegrationPlanSerializer
    audit_resource = "integration_plan"
    filterset_fields = ["enrollment", "patient", "clinic"]
    operations = {
        "list": "integration_plan.read",
        "retrieve": "integration_plan.read",
        "history": "integration_plan.read",
        "create": "integration_plan.write",
    }

    def get_base_queryset(self):
        return selectors.integration_plan_list()

    @extend_schema(
        request=s.IntegrationPlanWriteSerializer, responses={200: s.IntegrationPlanSerializer, **ERROR_RESPONSES}
    )
    def create(self, request):
        serializer = s.IntegrationPlanWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        plan = services.integration_plan_update(
            enrollment=data.pop("enrollment"),
            session=data.pop("session", None),
            expected_version=data.pop("expected_version", None),
            by=request.user.staff,
            **data,
        )
        self.audit_objects([plan])
        return Response(s.IntegrationPlanSerializer(plan).data)

    @extend_schema(responses=s.IntegrationPlanEventSerializer(many=True))
    # One plan's versions, whole: neither paginated nor filtered like the plan list.
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        plan = self.get_object()
        events = selectors.integration_plan_history(plan=plan)
        return Response(s.IntegrationPlanEventSerializer(events, many=True).data)


class OnCallViewSet(ClinicScopedViewSet, mixins.ListModelMixin):
    """Each clinic's on-call list for crisis pages, first to page first."""

    serializer_class = s.OnCallEntrySerializer
    audit_resource = "on_call"
    audit_patient_attr = None
    filterset_fields = ["clinic"]
    operations = {"list": "oncall.read", "replace": "oncall.write"}

    def get_base_queryset(self):
        return selectors.oncall_list()

    @extend_schema(
        request=s.OnCallReplaceSerializer, responses={200: s.OnCallEntrySerializer(many=True), **ERROR_RESPONSES}
    )
    # Answers the clinic's whole new list, unpaginated; the list's filters do not apply to a write.
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def replace(self, request):
        serializer = s.OnCallReplaceSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        clinic = serializer.validated_data["clinic"]
        services.oncall_set(clinic_id=clinic.pk, staff_ids=serializer.validated_data["staff"])
        entries = selectors.oncall_list().filter(clinic=clinic)
        return Response(s.OnCallEntrySerializer(entries, many=True).data)
