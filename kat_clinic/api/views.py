from __future__ import annotations

import math

from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.decorators import method_decorator
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from knox import views as knox_views
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from kat_clinic import selectors, services
from kat_clinic.access.authentication import TokenAuthentication, delete_expired_tokens
from kat_clinic.access.permissions import MatrixPermission
from kat_clinic.access.prepared_lists import PreparedListMixin
from kat_clinic.access.scoping import clinics_for, roles_by_clinic
from kat_clinic.access.viewsets import AuditedViewMixin, ClinicScopedViewSet
from kat_clinic.api import serializers as s
from kat_clinic.api.filters import AwareIsoDateTimeFilter, IdFilter, StrictFilterSet
from kat_clinic.compiled_query import Prepared
from kat_clinic.errors import LockedOut, NotAllowed, NotAuthenticated
from kat_clinic.models import AuditEvent, Clinic, Patient
from kat_clinic.roles import CLINICAL_ROLES


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class LoginView(APIView):
    """Exchange username, password (and a TOTP code for clinical roles) for an expiring token.

    Not inside the request transaction: a failed attempt must be recorded (lockout) even though
    the request is refused.
    """

    public = True
    authentication_classes: list = []
    throttle_scope = "login"
    operations = {"post": "auth.login"}

    @extend_schema(request=s.LoginSerializer, responses={200: s.TokenSerializer})
    def post(self, request):
        from django.conf import settings

        django_request = request._request
        audit = getattr(django_request, "audit", None)
        if audit is not None:
            audit.action, audit.resource_type = "login", "auth"
            audit.username = str(request.data.get("username", ""))[:150] if hasattr(request.data, "get") else ""
        serializer = s.LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(django_request, username=data["username"], password=data["password"])
        if getattr(django_request, "axes_locked_out", False):
            raise LockedOut("Too many failed logins; try again later.", code="locked_out")
        if user is None:
            raise NotAuthenticated("Wrong username or password.", code="invalid_credentials")
        if settings.OTP_REQUIRED_FOR_CLINICAL_ROLES and _holds_clinical_role(user):
            from django_otp import match_token

            if data.get("otp"):
                _refuse_while_codes_are_throttled(user)
            if not data.get("otp") or match_token(user, data["otp"]) is None:
                raise NotAuthenticated(
                    "A valid one-time code from your authenticator is required.",
                    code="otp_required",
                    errors={"otp": ["Enter the 6-digit code from your authenticator app."]},
                )
        delete_expired_tokens(user)
        _refuse_past_token_limit(user)
        instance, token = AuthToken.objects.create(user=user)
        if audit is not None:
            audit.user_id = user.pk
        return Response({"token": token, "expiry": instance.expiry})


def _refuse_past_token_limit(user) -> None:
    """knox's TOKEN_LIMIT_PER_USER, as knox's own login view applies it: unexpired tokens count."""
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).count() >= limit:
        raise NotAllowed(
            f"You are signed in on {limit} devices already; sign out on one of them, or wait until one expires.",
            code="token_limit",
        )


def _refuse_while_codes_are_throttled(user) -> None:
    """After a wrong code django-otp refuses every code for 1, 2, 4... seconds; say so, rather than
    calling the right code wrong."""
    from django_otp import devices_for_user

    waits = []
    for device in devices_for_user(user, confirmed=True):
        allowed, why = device.verify_is_allowed()
        if allowed:
            return
        if why and why.get("locked_until"):
            waits.append(why["locked_until"])
    if waits:
        seconds = max(1, math.ceil((min(waits) - timezone.now()).total_seconds()))
        raise NotAuthenticated(
            f"Too many wrong codes: wait {seconds} s, then enter the code your authenticator shows.",
            code="otp_throttled",
            errors={"otp": [f"Wait {seconds} s, then enter the current code."]},
        )


def _holds_clinical_role(user) -> bool:
    return any(roles & CLINICAL_ROLES for roles in roles_by_clinic(user).values())


class LogoutView(knox_views.LogoutView):
    """Revoke the token this request was made with."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [MatrixPermission]
    operations = {"post": "me.read"}

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format)


class MeView(AuditedViewMixin, APIView):
    operations = {"get": "me.read"}
    reads_outside_transaction = frozenset({"get"})
    audit_resource = "me"
    audit_patient_attr = None

    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        user = selectors.user_with_staff(user_id=request.user.pk)
        by_clinic = roles_by_clinic(request.user)
        clinics = Clinic.objects.filter(pk__in=by_clinic.keys()).order_by("name")
        staff = getattr(user, "staff", None)
        body = {
            "id": user.pk,
            "username": user.username,
            "staff_id": staff.pk if staff else None,
            "name": str(staff) if staff else user.get_full_name(),
            "clinics": [
                {"id": c.pk, "name": c.name, "timezone": c.timezone, "roles": sorted(by_clinic[c.pk])} for c in clinics
            ],
        }
        return Response(s.MeSerializer(body).data)


class ClinicViewSet(ClinicScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin):
    serializer_class = s.ClinicSerializer
    clinic_lookup = "id"
    audit_resource = "clinic"
    audit_patient_attr = None
    audit_clinic_attr = "pk"
    operations = {
        "list": "clinic.read",
        "retrieve": "clinic.read",
        "update": "clinic.write",
        "partial_update": "clinic.write",
    }

    def get_base_queryset(self):
        return selectors.clinic_list()

    def perform_update(self, serializer):
        serializer.instance = services.clinic_update(clinic=serializer.instance, **serializer.validated_data)


class RoomViewSet(
    ClinicScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    serializer_class = s.RoomSerializer
    audit_resource = "room"
    audit_patient_attr = None
    filterset_fields = ["clinic", "kind", "active"]
    operations = {
        "list": "room.read",
        "retrieve": "room.read",
        "create": "room.write",
        "update": "room.write",
        "partial_update": "room.write",
    }

    def get_base_queryset(self):
        return selectors.room_list()

    def perform_create(self, serializer):
        serializer.instance = services.room_create(**serializer.validated_data)
        self.audit_objects([serializer.instance])
        return serializer.instance

    def perform_update(self, serializer):
        serializer.instance = services.room_update(room=serializer.instance, **serializer.validated_data)


class StaffViewSet(ClinicScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.StaffMemberSerializer
    clinic_lookup = "memberships__clinic"
    audit_resource = "staff"
    audit_patient_attr = None
    audit_clinic_attr = None
    operations = {"list": "staff.read", "retrieve": "staff.read"}

    def get_base_queryset(self):
        return selectors.staff_list()

    def get_queryset(self):
        # A staff member with two memberships in scope would appear twice through the join.
        return super().get_queryset().distinct()


class PatientFilter(StrictFilterSet):
    search = filters.CharFilter(method="filter_search")

    class Meta:
        model = Patient
        fields = ["home_clinic", "mrn"]

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(last_name__istartswith=value) | Q(first_name__istartswith=value) | Q(mrn=value))


class PatientViewSet(
    ClinicScopedViewSet,
    PreparedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Patients' demographics. Clinical records live in their own endpoints, out of the front desk's reach."""

    serializer_class = s.PatientSerializer
    clinic_lookup = "home_clinic"
    audit_resource = "patient"
    audit_patient_attr = "pk"
    audit_clinic_attr = "home_clinic_id"
    filterset_class = PatientFilter
    # The search method only passes its value on to lookups: every filter can be a parameter.
    prepared_filters = frozenset({"home_clinic", "mrn", "search"})
    operations = {
        "list": "patient.read",
        "retrieve": "patient.read",
        "create": "patient.write",
        "update": "patient.write",
        "partial_update": "patient.write",
        "weights": "patient.weight.read",
        "record_weight": "patient.weight.write",
    }

    def get_base_queryset(self):
        return selectors.patient_list()

    def perform_create(self, serializer):
        serializer.instance = services.patient_create(**serializer.validated_data)
        self.audit_objects([serializer.instance])
        return serializer.instance

    def perform_update(self, serializer):
        serializer.instance = services.patient_update(patient=serializer.instance, **serializer.validated_data)

    # The patient detail: one patient in the caller's clinics or under their break-glass grant.
    retrieve_query = Prepared(selectors.patient_in_reach)

    def retrieve_values(self) -> dict:
        return {**super().retrieve_values(), "user": self.request.user.pk, "now": timezone.now()}

    def get_queryset(self):
        if self.action == "retrieve" and not getattr(self, "swagger_fake_view", False):
            # Break-glass: a clinician's unexpired grant opens one record outside their clinics;
            # the grants are a subquery of the same query, not a query of their own.
            in_scope = Q(home_clinic__in=self.allowed_clinic_ids())
            granted = Q(pk__in=selectors.break_glass_patient_ids(user=self.request.user))
            return self.get_base_queryset().filter(in_scope | granted)
        return super().get_queryset()

    def get_object(self):
        obj = super().get_object()
        if obj.home_clinic_id not in self.allowed_clinic_ids():
            self.request.audit.break_glass = True
        return obj

    @extend_schema(responses=s.PatientWeightSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def weights(self, request, pk=None):
        patient = self.get_object()
        return Response(s.PatientWeightSerializer(selectors.patient_weights(patient=patient), many=True).data)

    @extend_schema(request=s.PatientWeightSerializer, responses={201: s.PatientWeightSerializer})
    @weights.mapping.post
    def record_weight(self, request, pk=None):
        patient = self.get_object()
        serializer = s.PatientWeightSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        weight = services.patient_weight_record(
            patient=patient,
            recorded_by=getattr(request.user, "staff", None),
            **serializer.validated_data,
        )
        return Response(s.PatientWeightSerializer(weight).data, status=status.HTTP_201_CREATED)


class BreakGlassView(AuditedViewMixin, APIView):
    """Open one patient outside your clinics, with a written reason, for one hour. Flagged for review."""

    operations = {"post": "breakglass.request"}
    audit_resource = "break_glass"

    @extend_schema(request=s.BreakGlassRequestSerializer, responses={201: s.BreakGlassGrantSerializer})
    def post(self, request):
        serializer = s.BreakGlassRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = get_object_or_404(
            Patient.objects.filter(organization__staff__user=request.user), pk=serializer.validated_data["patient"]
        )
        grant = services.break_glass_grant(
            user=request.user, patient=patient, reason=serializer.validated_data["reason"]
        )
        request.audit.break_glass = True
        request.audit.add_object(resource_id=grant.pk, patient_id=patient.pk, clinic_id=patient.home_clinic_id)
        return Response(s.BreakGlassGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class AuditEventFilter(StrictFilterSet):
    patient = IdFilter(field_name="patient_ids", lookup_expr="contains", method="filter_patient")
    user = IdFilter(field_name="user_id")
    since = AwareIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = AwareIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    outcome = filters.ChoiceFilter(choices=AuditEvent.Outcome.choices)
    break_glass = filters.BooleanFilter()

    class Meta:
        model = AuditEvent
        fields = ["patient", "user", "since", "until", "outcome", "break_glass"]

    def filter_patient(self, queryset, name, value):
        return queryset.filter(patient_ids__contains=[value])


class AuditEventViewSet(ClinicScopedViewSet, mixins.ListModelMixin):
    """The audit trail, for admins of the clinics it concerns."""

    serializer_class = s.AuditEventSerializer
    filterset_class = AuditEventFilter
    audit_resource = "audit_event"
    audit_patient_attr = None
    audit_clinic_attr = None
    operations = {"list": "audit.read"}

    def get_base_queryset(self):
        return AuditEvent.objects.all()

    def get_queryset(self):
        # An invalid ?patient= is refused by the filter set; here it only widens nothing.
        patient = self.request.query_params.get("patient", "")
        return selectors.audit_event_list(
            clinic_ids=clinics_for(self.request.user, "audit.read"),
            patient_id=int(patient) if patient.isdecimal() and len(patient) < 19 else None,
        )
