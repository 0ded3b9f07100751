"""The follow-up engine's rows: a transactional outbox.

A FollowUp row is written in the same transaction as the event that causes it, so it exists if and
only if its cause committed. The dispatcher claims due rows with a lease; a delivery task sends one
row and records a Delivery, the proof that crosses the provider call. Redis only carries hints: if a
message is lost, the lease expires and the row is claimed again.
"""

from __future__ import annotations

import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kat_clinic.roles import Role

# The columns a queue's visibility and its role and kind filters read: a tally's key.
TALLY_KEY = ("clinic_id", "target", "role", "kind", "staff_id")
TALLY_TABLE = "followups_queuetally"
_KEY = ", ".join(TALLY_KEY)


def _tally_trigger(transition: str, *, operation, referencing) -> pgtrigger.Trigger:
    """The statement's follow-ups (`transition`: the rows it added, or removed) counted in the
    tally as one row of change per key (negative for removed rows)."""
    sign = "-" if operation == pgtrigger.Delete else ""
    return pgtrigger.Trigger(
        name=f"followup_tally_{transition}",
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=referencing,
        func=(
            f"INSERT INTO {TALLY_TABLE} ({_KEY}, n, folded) "
            f"SELECT {_KEY}, {sign}count(*), false FROM {transition} GROUP BY {_KEY}; RETURN NULL;"
        ),
    )


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        SESSION_REMINDER = "session_reminder", "Session reminder"
        NO_SHOW_REVIEW = "no_show_review", "No-show review"
        CHECKIN_LINK = "checkin_link", "Check-in link"
        INTEGRATION_UNBOOKED = "integration_unbooked", "Integration session not booked"
        INTEGRATION_WINDOW_CLOSING = "integration_window_closing", "Integration window closing"
        REMS_FORM_DUE = "rems_form_due", "REMS monitoring form due"
        REMS_FORM_LATE = "rems_form_late", "REMS monitoring form about to be late"
        SCALE_REQUEST = "scale_request", "Rating scale request"
        SCALE_REMINDER = "scale_reminder", "Rating scale reminder"
        BOOSTER_DUE = "booster_due", "Booster due"
        # No longer planned: a check-in that signals risk raises a clinical alert. Kept for the rows
        # written before.
        CRISIS_PAGE = "crisis_page", "Crisis page"
        WEBHOOK = "webhook", "Webhook delivery"
        # A clinical alert (monitoring.Alert) told to one staff member: in-app, or paged by SMS/email.
        CLINICAL_ALERT = "clinical_alert", "Clinical alert"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        IN_APP = "in_app", "In-app alert"
        WEBHOOK = "webhook", "Webhook"

    class Target(models.TextChoices):
        PATIENT = "patient", "Patient"
        STAFF = "staff", "Staff member"
        ROLE = "role", "Role at the clinic"
        # A clinic's webhook endpoint (interop), named in the payload: the engine knows no upper app.
        ENDPOINT = "endpoint", "Webhook endpoint"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "Claimed"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    OPEN_STATUSES = (Status.PENDING, Status.CLAIMED)

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="followups")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    target = models.CharField(max_length=8, choices=Target.choices)
    # The patient the follow-up is about; also the recipient when target is "patient".
    patient = models.ForeignKey(
        "kat_clinic.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="followups"
    )
    staff = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="followups"
    )
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    session = models.ForeignKey(
        "clinic_sessions.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="followups"
    )
    # The clinical alert a "clinical_alert" row tells someone of; it goes out only while the alert is open.
    alert = models.ForeignKey(
        "monitoring.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="followups"
    )
    # Ids only: the message is rendered at delivery time and never carries clinical values.
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Claims so far; the current claim's fencing token.")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target="patient", patient__isnull=False, staff__isnull=True, role="")
                    | Q(target="staff", staff__isnull=False, role="")
                    | (Q(target="role", staff__isnull=True) & ~Q(role=""))
                    | Q(target="endpoint", staff__isnull=True, role="", session__isnull=True)
                ),
                name="followup_target_is_complete",
            ),
            # Patients are messaged; endpoints get webhooks; staff and roles see the in-app queue, and a
            # staff member is paged by SMS or email for a clinical alert (a link, never clinical content).
            models.CheckConstraint(
                condition=Q(target="patient", channel__in=["email", "sms"])
                | Q(target="endpoint", channel="webhook", kind="webhook")
                | (Q(target__in=["staff", "role"]) & Q(channel="in_app"))
                | Q(target="staff", kind="clinical_alert", channel__in=["email", "sms"]),
                name="followup_channel_fits_target",
            ),
            # A webhook row carries what the delivery needs: the endpoint, the stable webhook-id, the event.
            models.CheckConstraint(
                condition=~Q(channel="webhook") | Q(payload__has_keys=["endpoint_id", "webhook_id", "event"]),
                name="followup_webhook_payload_complete",
            ),
            models.CheckConstraint(
                condition=~Q(kind="clinical_alert") | Q(alert__isnull=False, target="staff"),
                name="followup_clinical_alert_names_alert_and_person",
            ),
            models.CheckConstraint(
                condition=~Q(status="claimed") | Q(lease_expires_at__isnull=False),
                name="followup_claim_has_lease",
            ),
        ]
        indexes = [
            # The dispatcher's scan: only open rows, by due time.
            models.Index(
                fields=["due_at"], name="followup_open_due_idx", condition=Q(status__in=["pending", "claimed"])
            ),
            models.Index(fields=["clinic", "status", "due_at"], name="followup_clinic_status_idx"),
            # The queue as it is listed: a clinic's rows in due order, read up to the page's last row.
            models.Index(fields=["clinic", "due_at", "id"], name="followup_clinic_due_idx"),
            models.Index(fields=["session", "status"], name="followup_session_status_idx"),
            models.Index(
                fields=["alert", "status"], name="followup_alert_status_idx", condition=Q(alert__isnull=False)
            ),
        ]
        # The queue's count (QueueTally): each statement adds its rows per key, never updating a
        # shared row, so writers of one clinic never wait on each other.
        triggers = [
            _tally_trigger("added", operation=pgtrigger.Insert, referencing=pgtrigger.Referencing(new="added")),
            _tally_trigger("removed", operation=pgtrigger.Delete, referencing=pgtrigger.Referencing(old="removed")),
            pgtrigger.Trigger(
                name="followup_tally_moved",
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf(*TALLY_KEY),
                condition=pgtrigger.AnyChange("clinic", "target", "role", "kind", "staff"),
                func=(
                    f"INSERT INTO {TALLY_TABLE} ({_KEY}, n, folded) VALUES "
                    f"({', '.join(f'OLD.{c}' for c in TALLY_KEY)}, -1, false), "
                    f"({', '.join(f'NEW.{c}' for c in TALLY_KEY)}, 1, false); RETURN NULL;"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} due {self.due_at:%Y-%m-%d %H:%M} ({self.idempotency_key})"


class QueueTally(models.Model):
    """How many follow-ups a clinic holds per key of the queue's visibility (audience and kind):
    the queue's count, read from a few rows instead of counting a clinic's whole history.

    Written by FollowUp's triggers only: a row of change (`folded` false) per key of each
    statement that inserts, deletes or re-addresses follow-ups. `queue_tallies_fold` (a periodic
    task) moves those rows into one folded row per key, in one statement, so a reader's snapshot
    always sums to the number of follow-ups it sees.
    """

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    target = models.CharField(max_length=8, choices=FollowUp.Target.choices)
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    kind = models.CharField(max_length=40, choices=FollowUp.Kind.choices)
    staff = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    n = models.BigIntegerField()
    folded = models.BooleanField()

    class Meta:
        db_table = TALLY_TABLE
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "target", "role", "kind", "staff"],
                condition=Q(folded=True),
                nulls_distinct=False,
                name="queuetally_one_folded_row_per_key",
            ),
            models.CheckConstraint(condition=Q(folded=False) | Q(n__gte=0), name="queuetally_folded_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id} {self.target} {self.role or self.staff_id or ''} {self.kind}: {self.n}"


class Delivery(models.Model):
    """The record that crosses the provider call: one per follow-up, whatever the number of tries.

    "sending" is written and committed before the provider is called, with the key the provider
    receives; a task that finds "sending" knows an earlier try may have reached the provider and
    asks it (lookup) before sending again.
    """

    class State(models.TextChoices):
        SENDING = "sending", "Sending (provider call in progress or interrupted)"
        SENT = "sent", "Sent"
        NOT_SENT = "not_sent", "Not sent (provider refused; safe to retry)"
        UNKNOWN = "unknown", "Unknown (interrupted, provider cannot tell): held for review"

    followup = models.OneToOneField(FollowUp, on_delete=models.PROTECT, related_name="delivery")
    provider_key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=8, choices=FollowUp.Channel.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.SENDING)
    tries = models.PositiveIntegerField(default=0)
    provider_message_id = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
