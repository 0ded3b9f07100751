"""The integration API: the staff follow-up queue, check-ins (signed links and staff reads),
integration plans, the on-call list, and the inbound SMS webhook."""

from __future__ import annotations

import hmac

from django.http import HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from integration import selectors, services
from integration.api import serializers as s
from integration.conf import conf
from integration.links import checkin_page_path
from kat_clinic.access.scoping import roles_by_clinic
from kat_clinic.access.viewsets import AuditedViewMixin, ClinicScopedViewSet

ERROR_RESPONSES = {
    403: OpenApiResponse(description="Not allowed for your role or not addressed to you."),
    409: OpenApiResponse(description="Conflicts with the current state."),
    412: OpenApiResponse(description="The record changed since you read it."),
    422: OpenApiResponse(description="Breaks a rule."),
}


class FollowUpViewSet(ClinicScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The follow-up queue: upcoming, due, overdue, sent, failed, acknowledged, cancelled."""

    serializer_class = s.FollowUpSerializer
    audit_resource = "followup"
    operations = {"list": "followup.read", "retrieve": "followup.read", "acknowledge": "followup.acknowledge"}

    def get_base_queryset(self):
        return selectors.followup_list()

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset
        user = self.request.user
        staff = getattr(user, "staff", None)
        queryset = queryset.filter(
            selectors.followup_visibility(staff_id=staff.pk if staff else None, roles_by_clinic=roles_by_clinic(user))
        )
        if self.action == "list":
            query = s.FollowUpQueueQuerySerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            params = query.validated_data
            if "bucket" in params:
                queryset = selectors.followup_bucket(queryset, params["bucket"])
            for name, lookup in (
                ("clinic", "clinic_id"),
                ("role", "role"),
                ("kind", "kind"),
                ("patient", "patient_id"),
            ):
                if name in params:
                    queryset = queryset.filter(**{lookup: params[name]})
        return queryset

    @extend_schema(parameters=[s.FollowUpQueueQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: s.FollowUpSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        followup = self.get_object()
        followup = services.followup_acknowledge(followup_id=followup.pk, by=request.user.staff)
        return Response(s.FollowUpSerializer(followup).data)


class CheckInLinkView(AuditedViewMixin, APIView):
    """A patient's check-in through a signed, expiring link. No login: the link is the credential."""

    public = True
    authentication_classes: list = []
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


class SmsInboundView(AuditedViewMixin, APIView):
    """The SMS gateway's inbound webhook: STOP opts a patient out, START back in.

    No login; the gateway proves itself with the shared token in X-Webhook-Token.
    """

    public = True
    authentication_classes: list = []
    operations = {"post": "sms.inbound"}
    audit_resource = "sms_inbound"
    audit_patient_attr = None

    @extend_schema(
        request=s.SmsInboundSerializer,
        parameters=[OpenApiParameter("X-Webhook-Token", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True)],
        responses={200: s.SmsInboundResultSerializer, 403: ERROR_RESPONSES[403]},
    )
    def post(self, request):
        expected = conf("SMS_WEBHOOK_TOKEN")
        given = request.headers.get("X-Webhook-Token", "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("Unknown sender.", code="webhook_token_invalid")
        serializer = s.SmsInboundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.patient_sms_inbound(
            from_number=serializer.validated_data["from"], body=serializer.validated_data["body"]
        )
        return Response({"result": result})
