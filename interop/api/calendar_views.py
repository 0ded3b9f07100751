"""Calendar feeds: issue, list and revoke private URLs; the public iCalendar feed itself."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from interop import calendars
from interop.api.base import DownloadView
from interop.api.renderers import CalendarRenderer
from interop.disclosures import disclosure_record_for_request
from interop.models import CalendarFeed, Disclosure
from kat_clinic.access.scoping import clinics_for
from kat_clinic.access.viewsets import ClinicScopedViewSet
from kat_clinic.models import Clinic, Room, StaffMember


class CalendarFeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarFeed
        fields = ["id", "clinic", "staff", "room", "created_at", "revoked_at", "last_fetched_at"]
        read_only_fields = fields


class CalendarFeedIssuedSerializer(CalendarFeedSerializer):
    url = serializers.CharField(help_text="The private feed URL. Shown once: keep it like a password.")

    class Meta(CalendarFeedSerializer.Meta):
        fields = [*CalendarFeedSerializer.Meta.fields, "url"]
        read_only_fields = fields


class CalendarFeedIssueSerializer(serializers.Serializer):
    clinic = serializers.PrimaryKeyRelatedField(queryset=Clinic.objects.all())
    staff = serializers.PrimaryKeyRelatedField(queryset=StaffMember.objects.all(), required=False, allow_null=True)
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.all(), required=False, allow_null=True)


@extend_schema_view(
    list=extend_schema(
        summary="List calendar feeds", description="Your own feeds, and at clinics you run, every feed."
    ),
    create=extend_schema(
        summary="Issue a calendar feed",
        description="A private iCalendar URL for your own sessions (`staff`) or a room's (`room`, admins and the "
        "front desk). Issuing again for the same calendar revokes the previous URL.",
        request=CalendarFeedIssueSerializer,
        responses={201: CalendarFeedIssuedSerializer},
    ),
    revoke=extend_schema(
        summary="Revoke a calendar feed",
        description="The URL stops working at once, for good.",
        request=None,
        responses={200: CalendarFeedSerializer},
    ),
)
class CalendarFeedViewSet(ClinicScopedViewSet, mixins.ListModelMixin):
    serializer_class = CalendarFeedSerializer
    audit_resource = "calendar_feed"
    audit_patient_attr = None
    operations = {"list": "calendar.manage", "create": "calendar.manage", "revoke": "calendar.manage"}

    def get_base_queryset(self):
        queryset = CalendarFeed.objects.order_by("-created_at", "-pk")
        if getattr(self, "swagger_fake_view", False):
            return queryset
        managed = clinics_for(self.request.user, "calendar.room_feed")
        # Everyone sees their own feeds; admins and the front desk every feed of their clinics.
        return queryset.filter(
            pk__in=CalendarFeed.objects.filter(staff__user=self.request.user).values("pk")
        ) | queryset.filter(clinic_id__in=managed)

    def create(self, request):
        data = CalendarFeedIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clinic = data.validated_data["clinic"]
        if clinic.pk not in self.allowed_clinic_ids():
            raise Http404
        feed, token = calendars.calendar_feed_issue(
            clinic=clinic,
            by=request.user,
            staff=data.validated_data.get("staff"),
            room=data.validated_data.get("room"),
        )
        self.audit_objects([feed])
        body = CalendarFeedSerializer(feed).data
        body["url"] = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
        return Response(body, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        feed = self.get_object()
        calendars.calendar_feed_revoke(feed=feed)
        feed.refresh_from_db()
        return Response(CalendarFeedSerializer(feed).data)


class CalendarFeedIcsView(DownloadView):
    """Public: the token in the URL is the credential (calendar apps cannot send one)."""

    public = True
    authentication_classes: list = []
    operations = {"get": "calendar.feed"}
    audit_resource = "calendar_feed_ics"
    renderer_classes = [CalendarRenderer]

    @extend_schema(
        tags=["calendars"],
        summary="iCalendar feed",
        description="Subscribe to this URL in a calendar app. Events carry the session kind, the room and the "
        "time; no patient identifier unless the clinic opted in to initials.",
        auth=[],
        responses={(200, "text/calendar"): OpenApiResponse(response=OpenApiTypes.STR, description="iCalendar")},
    )
    def get(self, request, token: str):
        feed = calendars.calendar_feed_by_token(token)
        if feed is None:
            raise Http404
        rows = calendars.feed_sessions(feed)
        recipient = f"calendar:staff:{feed.staff_id}" if feed.staff_id else f"calendar:room:{feed.room_id}"
        disclosure_record_for_request(
            request=request,
            channel=Disclosure.Channel.CALENDAR,
            document="calendar_feed",
            resource_type="session",
            resource_ids=[s.pk for s, _, _ in rows],
            patient_ids=[s.patient_id for s, _, _ in rows],
            clinic_id=feed.clinic_id,
            recipient=recipient,
        )
        CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=timezone.now())
        response = HttpResponse(calendars.feed_ics(feed, rows), content_type="text/calendar; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
        return response
