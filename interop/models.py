"""What leaves the clinic: disclosures, bulk FHIR exports, calendar feed tokens, webhook endpoints,
per-clinic settings."""

from __future__ import annotations

import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Disclosure(models.Model):
    """One release of clinic data to someone (45 CFR 164.528): what left, about whom, to whom.

    Append-only like the audit trail (a trigger refuses UPDATE and DELETE). `request_id` ties a
    disclosure made through the API to the audit row of that request; a webhook delivery, which has
    no request, writes its own audit row with the same id.
    """

    class Channel(models.TextChoices):
        API_DOWNLOAD = "api_download", "Downloaded through the API"
        FHIR = "fhir", "FHIR export"
        CALENDAR = "calendar", "Calendar feed"
        WEBHOOK = "webhook", "Webhook delivery"

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    clinic_id = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # What left: a document kind ("fhir_everything", "rems_form_pdf", "schedule_csv", ...) and the ids.
    document = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=64, blank=True)
    resource_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    patient_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    # To whom: the user who downloaded it, the staff member or room a calendar belongs to, a webhook URL.
    recipient = models.CharField(max_length=300)
    recipient_user_id = models.BigIntegerField(null=True, blank=True)
    request_id = models.UUIDField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["clinic_id", "occurred_at"], name="disclosure_clinic_time_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name="disclosure_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]


class InteropSettings(models.Model):
    """Per-clinic interoperability choices. A clinic without a row uses the defaults."""

    clinic = models.OneToOneField("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="interop_settings")
    # Calendar services hold no business associate agreement: no patient identifier unless opted in.
    calendar_shows_initials = models.BooleanField(default=False)


class BulkExport(models.Model):
    """A clinic-wide FHIR bulk export ($export), built by a Celery task into NDJSON files."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="bulk_exports")
    requested_by = models.ForeignKey("kat_clinic.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    request_url = models.CharField(max_length=500)
    resource_types = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    patient_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False),
                name="bulkexport_completed_has_time",
            ),
        ]


class BulkExportFile(models.Model):
    """One NDJSON file of an export: every resource of one type, one JSON object per line."""

    export = models.ForeignKey(BulkExport, on_delete=models.CASCADE, related_name="files")
    resource_type = models.CharField(max_length=40)
    count = models.PositiveIntegerField()
    content = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["export", "resource_type"], name="bulkexportfile_one_per_type"),
        ]


class CalendarFeed(models.Model):
    """A private iCalendar URL for one staff member or one room. Revoking it kills the URL for good."""

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="calendar_feeds")
    staff = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    room = models.ForeignKey(
        "kat_clinic.Room", on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    # Only the token's hash is kept: the URL is shown once, and a leaked database does not leak feeds.
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey("kat_clinic.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(staff__isnull=False, room__isnull=True) | Q(staff__isnull=True, room__isnull=False),
                name="calendarfeed_staff_or_room",
            ),
            models.UniqueConstraint(
                fields=["clinic", "staff"],
                condition=Q(revoked_at__isnull=True, staff__isnull=False),
                name="calendarfeed_one_active_per_staff",
            ),
            models.UniqueConstraint(
                fields=["room"],
                condition=Q(revoked_at__isnull=True, room__isnull=False),
                name="calendarfeed_one_active_per_room",
            ),
        ]


class WebhookEvent(models.TextChoices):
    """What a webhook announces. The payload carries ids only; the receiver fetches the rest."""

    SESSION_BOOKED = "session.booked", "Session booked"
    SESSION_CANCELLED = "session.cancelled", "Session cancelled"
    SESSION_COMPLETED = "session.completed", "Session completed"
    ALERT_RAISED = "alert.raised", "Alert raised"
    SCALE_COMPLETED = "scale.completed", "Rating scale completed"


class WebhookEndpoint(models.Model):
    """Where a clinic's events are sent (Standard Webhooks: signed, at least once, ids only).

    The signing secret (`whsec_` + base64 of 32 random bytes) is shown once, when issued or rotated.
    A rotation keeps the previous secret valid until `previous_secret_expires_at`: deliveries are
    signed with both meanwhile, so a receiver can switch without losing one.
    """

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=32, choices=WebhookEvent.choices))
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey("kat_clinic.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clinic_id", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(events__len__gt=0), name="webhookendpoint_has_events"),
            models.CheckConstraint(
                condition=Q(events__contained_by=WebhookEvent.values),
                name="webhookendpoint_known_events",
            ),
            models.CheckConstraint(condition=Q(secret__startswith="whsec_"), name="webhookendpoint_secret_format"),
            models.CheckConstraint(
                condition=Q(previous_secret="", previous_secret_expires_at__isnull=True)
                | (Q(previous_secret__startswith="whsec_") & Q(previous_secret_expires_at__isnull=False)),
                name="webhookendpoint_previous_secret_has_expiry",
            ),
            models.UniqueConstraint(fields=["clinic", "url"], name="webhookendpoint_one_per_url"),
        ]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"
