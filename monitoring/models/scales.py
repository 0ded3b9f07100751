"""Rating scale responses: item answers as given, the score computed by `monitoring.scales.score`."""

from __future__ import annotations

import pghistory
from django.db import models
from django.utils import timezone

from programs.choices import Scale  # the one vocabulary of scales, shared with templates


@pghistory.track()
class ScaleResponse(models.Model):
    class Source(models.TextChoices):
        CLINICIAN = "clinician", "Given by a clinician"
        PATIENT = "patient", "Completed by the patient"
        IMPORT = "import", "Imported"

    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="scale_responses")
    session = models.ForeignKey(
        "clinic_sessions.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="scale_responses"
    )
    enrollment = models.ForeignKey(
        "programs.Enrollment", on_delete=models.PROTECT, null=True, blank=True, related_name="scale_responses"
    )
    scale = models.CharField(max_length=8, choices=Scale.choices)
    answers = models.JSONField()
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    severity = models.CharField(max_length=32)
    high_risk = models.BooleanField(default=False)
    loinc_panel = models.CharField(max_length=16, blank=True)
    loinc_total = models.CharField(max_length=16, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.CLINICIAN)
    recorded_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["patient", "scale", "completed_at"], name="scaleresponse_trend_idx")]
