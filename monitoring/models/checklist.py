"""Overrides of gate and discharge items, and the REMS Patient Monitoring Form."""

from __future__ import annotations

import pghistory
import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils import timezone


@pghistory.track()
class ChecklistOverride(models.Model):
    """A prescriber's decision to proceed despite one unmet item, with the reason, kept for good.
    A `dose` item names the reading or alert it is about, so it covers that one only."""

    class Stage(models.TextChoices):
        GATE = "gate", "Pre-dose gate"
        DISCHARGE = "discharge", "Discharge"
        DOSE = "dose", "Every dose (in-session limits and open alerts)"

    session = models.ForeignKey("clinic_sessions.Session", on_delete=models.PROTECT, related_name="overrides")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    item = models.CharField(max_length=80)
    reason = models.TextField()
    overridden_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    overridden_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "stage", "item"], name="checklistoverride_one_per_item"),
            models.CheckConstraint(condition=~Q(reason=""), name="checklistoverride_has_reason"),
        ]


@pghistory.track()
class RemsMonitoringForm(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    session = models.OneToOneField("clinic_sessions.Session", on_delete=models.PROTECT, related_name="rems_form")
    data = models.JSONField(default=dict)
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    generated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
                name="remsmonitoringform_submitted_has_time",
            ),
        ]
        # What was sent to the REMS is kept exactly as sent.
        triggers = [
            pgtrigger.Protect(
                name="remsmonitoringform_submitted_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="submitted"),
            ),
        ]
