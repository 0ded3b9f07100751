"""The follow-up engine's API: the staff follow-up queue and the SMS gateway's inbound webhook."""

from __future__ import annotations

import hmac

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from followups import selectors, services
from followups.api import serializers as s
from followups.conf import conf
from kat_clinic.access.prepared_lists import PreparedListMixin
from kat_clinic.access.scoping import roles_by_clinic
from kat_clinic.access.viewsets import AuditedViewMixin, ClinicScopedViewSet
from kat_clinic.api.pagination import KEPT_COUNT, LongListPagination
from kat_clinic.api.parsers import JSON_OR_FORM
from kat_clinic.compiled_query import Param

ERROR_RESPONSES = {
    403: OpenApiResponse(description="Not allowed for your role or not addressed to you."),
    409: OpenApiResponse(description="Conflicts with the current state."),
    412: OpenApiResponse(description="The record changed since you read it."),
    422: OpenApiResponse(description="Breaks a rule."),
}


# The queue's filters besides the clinic and the bucket: (query parameter, lookup).
QUEUE_FILTERS = (("role", "role"), ("kind", "kind"), ("patient", "patient_id"), ("alert", "alert_id"))
# Those the queue's tally counts by (the name is the lookup).
TALLIED_FILTERS = ("role", "kind")


class FollowUpViewSet(ClinicScopedViewSet, PreparedListMixin, mixins.RetrieveModelMixin):
    """The follow-up queue: upcoming, due, overdue, sent, failed, acknowledged, cancelled."""

    serializer_class = s.FollowUpSerializer
    # A clinic's every reminder and page, ever: counted apart from the page (kat_clinic/api/pagination.py).
    pagination_class = LongListPagination
    audit_resource = "followup"
    operations = {"list": "followup.read", "retrieve": "followup.read", "acknowledge": "followup.acknowledge"}

    def get_base_queryset(self):
        return selectors.followup_list()

    def _staff_id(self) -> int | None:
        staff = getattr(self.request.user, "staff", None)
        return staff.pk if staff else None

    def _queue_parameters(self) -> dict:
        return s.FollowUpQueueQuerySerializer.read(self.request.query_params)

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset
        # (Only a list has parameters: `params` is empty for the other actions.)
        params = self._queue_parameters() if self.action == "list" else {}
        visible = selectors.followup_visibility(
            staff_id=self._staff_id(),
            roles_by_clinic=roles_by_clinic(self.request.user),
            clinic_id=params.get("clinic"),
        )
        queryset = queryset.filter(visible)
        if "bucket" in params:
            queryset = selectors.followup_bucket(queryset, params["bucket"])
        elif self.action == "list":
            queryset = _counted_by_tally(queryset, visible, params)
        return _filtered(queryset, params)

    # A clinic's queue, its front desk's and clinicians' screen, is prepared: the same SQL for each
    # staff member with the same roles there, the same bucket and the same filters.
    def prepared_filtering(self, request):
        params = self._queue_parameters()  # a 400 here is the one get_queryset raises on DRF's path
        clinic = params.get("clinic")
        if clinic is None or clinic not in self.allowed_clinic_ids():
            # Every clinic of the caller's (their ids are in its SQL), or one outside their scope.
            return None
        roles = roles_by_clinic(request.user).get(clinic)
        staff_id = self._staff_id()
        bucket = params.get("bucket")
        given = tuple(name for name, _lookup in QUEUE_FILTERS if name in params)
        values = {"clinic": clinic, **{name: params[name] for name in given}}
        if staff_id is not None:
            values["staff"] = staff_id
        if bucket in selectors.BUCKET_INSTANTS:
            now = timezone.now()
            instants = {"now": now, "overdue_at": selectors.overdue_since(now)}
            values.update((name, instants[name]) for name in selectors.BUCKET_INSTANTS[bucket])
        roles_key = tuple(sorted(roles)) if roles else None
        return (staff_id is not None, roles_key, bucket, given), values

    def prepared_scope_values(self) -> dict:
        return {}  # the clinic, one of the caller's, is the queue's scope

    def prepared_list_queryset(self, shape):
        # Scoped by its clinic alone: `clinic_id = ANY(...)` beside `clinic_id = %s` made PostgreSQL
        # count the clinic's share twice and expect a hundredth of its queue, which it then sorted
        # whole instead of walking the queue's index to the first page (15 ms at scale 10).
        has_staff, roles, bucket, given = shape
        visible = selectors.clinic_followup_visibility(
            staff_id=Param("staff") if has_staff else None,
            clinic_id=Param("clinic"),
            roles=frozenset(roles) if roles else None,
        )
        queryset = self.get_base_queryset().filter(visible)
        params = {name: Param(name) for name in given}
        if bucket is not None:
            queryset = queryset.filter(
                selectors.bucket_condition(bucket, now=Param("now"), overdue_at=Param("overdue_at"))
            )
        else:
            queryset = _counted_by_tally(queryset, visible, params)
        return _filtered(queryset, params)

    @extend_schema(parameters=[s.FollowUpQueueQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: s.FollowUpSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        followup = self.get_object()
        followup = services.followup_acknowledge(followup_id=followup.pk, by=request.user.staff)
        return Response(s.FollowUpSerializer(followup).data)


class SmsInboundView(AuditedViewMixin, APIView):
    """The SMS gateway's inbound webhook: STOP opts a patient out, START back in.

    No login; the gateway proves itself with the shared token in X-Webhook-Token.
    """

    public = True
    authentication_classes: list = []
    # SMS gateways post form-encoded bodies; JSON is accepted too.
    parser_classes = JSON_OR_FORM
    throttle_scope = "sms_inbound"
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
            raise PermissionDenied("Unknown sender.", code="webhook_token_invalid")
        serializer = s.SmsInboundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.patient_sms_inbound(
            from_number=serializer.validated_data["from"], body=serializer.validated_data["body"]
        )
        return Response({"result": result})


def _counted_by_tally(queryset, visible, params: dict):
    """The queue without a bucket, counted from the tally where every filter given is one of its
    key's (role, kind): a few rows instead of the clinic's whole history. Else counted as listed."""
    if any(name in params for name, _lookup in QUEUE_FILTERS if name not in TALLIED_FILTERS):
        return queryset
    condition = visible & Q(**{name: params[name] for name in TALLIED_FILTERS if name in params})
    return queryset.alias(**{KEPT_COUNT: selectors.followup_count(condition)})


def _filtered(queryset, params: dict):
    for name, lookup in QUEUE_FILTERS:
        if name in params:
            queryset = queryset.filter(**{lookup: params[name]})
    return queryset
