"""Webhook endpoints: a clinic's admins configure where its events are sent, and rotate secrets."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from interop.models import WebhookEndpoint, WebhookEvent
from interop.webhooks import services
from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from kat_clinic.access.viewsets import ClinicScopedViewSet
from kat_clinic.models import Clinic

EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo="


class WebhookEndpointSerializer(serializers.ModelSerializer):
    clinic = ClinicScopedPrimaryKeyRelatedField(clinic_lookup="id", queryset=Clinic.objects.all())
    url = serializers.URLField(
        max_length=500,
        help_text="Where events are POSTed. https only; the host must resolve to public addresses.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        min_length=1,
        help_text="The events sent to this endpoint.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "clinic",
            "url",
            "description",
            "events",
            "active",
            "created_at",
            "secret_rotated_at",
            "previous_secret_expires_at",
        ]
        read_only_fields = ["created_at", "secret_rotated_at", "previous_secret_expires_at"]

    def validate_clinic(self, clinic):
        if self.instance is not None and clinic.pk != self.instance.clinic_id:
            raise serializers.ValidationError("An endpoint stays with its clinic.")
        return clinic


class WebhookEndpointIssuedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_` + base64). Shown once: give it to the receiver, keep it like a "
        "password.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class RotateSecretSerializer(serializers.Serializer):
    grace_hours = serializers.IntegerField(
        min_value=0,
        max_value=services.MAX_GRACE_HOURS,
        default=24,
        help_text="How long the previous secret keeps signing beside the new one (0 retires it at once).",
    )


_ENDPOINT_EXAMPLE = {
    "id": 3,
    "clinic": 1,
    "url": "https://ehr.example.org/kat-clinic/webhooks",
    "description": "EHR integration",
    "events": ["session.booked", "session.cancelled", "session.completed"],
    "active": True,
    "created_at": "2026-11-02T15:04:05Z",
    "secret_rotated_at": None,
    "previous_secret_expires_at": None,
}
_REQUEST_EXAMPLE = OpenApiExample(
    "Subscribe an EHR to the schedule",
    request_only=True,
    value={k: _ENDPOINT_EXAMPLE[k] for k in ("clinic", "url", "description", "events")},
)
_ISSUED_EXAMPLE = OpenApiExample(
    "Endpoint with its secret, shown once", response_only=True, value={**_ENDPOINT_EXAMPLE, "secret": EXAMPLE_SECRET}
)
_ENDPOINT_RESPONSE_EXAMPLE = OpenApiExample("Endpoint", response_only=True, value=_ENDPOINT_EXAMPLE)

_DELIVERY_NOTE = (
    "Each event is POSTed as JSON `{type, timestamp, data}`, where `data` holds ids only "
    "(`session_id`, `alert_id`, `scale_response_id`, `patient_id`, `clinic_id`): fetch the details through this API "
    "with your own credentials. Deliveries follow the Standard Webhooks spec: headers `webhook-id` (the same on every "
    "retry: dedupe on it), `webhook-timestamp` and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of "
    '`"{webhook-id}.{webhook-timestamp}.{body}"` under the secret). Any answer but 2xx is retried with backoff; '
    "delivery is at least once."
)


@extend_schema_view(
    list=extend_schema(
        tags=["Webhooks"],
        summary="List webhook endpoints",
        description="The webhook endpoints of the clinics you administer. Secrets are never listed.",
        examples=[_ENDPOINT_RESPONSE_EXAMPLE],
    ),
    retrieve=extend_schema(
        tags=["Webhooks"],
        summary="Read a webhook endpoint",
        description="One webhook endpoint of a clinic you administer: its URL, description, events and whether it is "
        "active. Its signing secret was shown once, when it was created or rotated, and is not shown again.",
        examples=[_ENDPOINT_RESPONSE_EXAMPLE],
    ),
    create=extend_schema(
        tags=["Webhooks"],
        summary="Add a webhook endpoint",
        description="Send a clinic's events to a URL. The answer carries the signing secret, once. A URL that is "
        "not https or whose host resolves to a private, loopback or link-local address is refused (422). "
        + _DELIVERY_NOTE,
        responses={201: WebhookEndpointIssuedSerializer},
        examples=[_REQUEST_EXAMPLE, _ISSUED_EXAMPLE],
    ),
    update=extend_schema(
        tags=["Webhooks"],
        summary="Replace a webhook endpoint's settings",
        description="URL, description, events and whether it is active. Deliveries still to go use the new URL; "
        "switching it off cancels them.",
        examples=[_REQUEST_EXAMPLE, _ENDPOINT_RESPONSE_EXAMPLE],
    ),
    partial_update=extend_schema(
        tags=["Webhooks"],
        summary="Change a webhook endpoint",
        description="Change some of an endpoint's URL, description, events and whether it is active. Deliveries still "
        "to go use the new URL; switching it off cancels them.",
        examples=[
            OpenApiExample("Switch it off", request_only=True, value={"active": False}),
            _ENDPOINT_RESPONSE_EXAMPLE,
        ],
    ),
    destroy=extend_schema(
        tags=["Webhooks"],
        summary="Delete a webhook endpoint",
        description="Deliveries still to go are cancelled. Disclosures already made stay in the audit trail.",
    ),
    rotate_secret=extend_schema(
        tags=["Webhooks"],
        summary="Rotate a webhook endpoint's secret",
        description="Issues a new secret (shown once). For `grace_hours` the previous secret keeps signing too: each "
        "delivery carries both signatures, space-separated, so the receiver can switch without losing one.",
        request=RotateSecretSerializer,
        responses={200: WebhookEndpointIssuedSerializer},
        examples=[
            OpenApiExample("A day's grace", request_only=True, value={"grace_hours": 24}),
            OpenApiExample(
                "Endpoint with its new secret",
                response_only=True,
                value={
                    **_ENDPOINT_EXAMPLE,
                    "secret_rotated_at": "2026-11-20T09:00:00Z",
                    "previous_secret_expires_at": "2026-11-21T09:00:00Z",
                    "secret": EXAMPLE_SECRET,
                },
            ),
        ],
    ),
)
class WebhookEndpointViewSet(
    ClinicScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    serializer_class = WebhookEndpointSerializer
    audit_resource = "webhook_endpoint"
    audit_patient_attr = None
    operations = {
        "list": "webhook.read",
        "retrieve": "webhook.read",
        "create": "webhook.write",
        "update": "webhook.write",
        "partial_update": "webhook.write",
        "destroy": "webhook.write",
        "rotate_secret": "webhook.write",
    }

    def get_base_queryset(self):
        return WebhookEndpoint.objects.order_by("pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = self.perform_create(serializer)
        return Response(WebhookEndpointIssuedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.webhook_endpoint_create(
            clinic=data["clinic"],
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            active=data.get("active", True),
            by=self.request.user,
        )
        self.audit_objects([serializer.instance])
        return serializer.instance

    def perform_update(self, serializer):
        fields = {k: v for k, v in serializer.validated_data.items() if k != "clinic"}
        serializer.instance = services.webhook_endpoint_update(endpoint=serializer.instance, **fields)

    def perform_destroy(self, instance):
        services.webhook_endpoint_delete(endpoint=instance)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        body = RotateSecretSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            endpoint = services.webhook_endpoint_rotate_secret(
                endpoint=endpoint, grace_hours=body.validated_data["grace_hours"]
            )
        return Response(WebhookEndpointIssuedSerializer(endpoint).data)
