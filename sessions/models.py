"""Booked sessions. Scheduling (constraints, assignments, availability) builds on this model."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from programs.choices import SessionKind


class Session(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CHECKED_IN = "checked_in", "Checked in"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    ACTIVE_STATUSES = (Status.SCHEDULED, Status.CHECKED_IN, Status.IN_PROGRESS, Status.COMPLETED)

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="sessions")
    kind = models.CharField(max_length=32, choices=SessionKind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    # The visible session (what the patient is told) and the whole block, monitoring and recovery
    # included, for which room and staff are busy.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    block_starts_at = models.DateTimeField()
    block_ends_at = models.DateTimeField()
    room = models.ForeignKey(
        "kat_clinic.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    telehealth = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="session_starts_before_ends"),
            models.CheckConstraint(
                condition=Q(block_starts_at__lte=F("starts_at")) & Q(block_ends_at__gte=F("ends_at")),
                name="session_block_covers_session",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "block_starts_at"], name="session_clinic_start_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for patient {self.patient_id} at {self.starts_at:%Y-%m-%d %H:%M}"
