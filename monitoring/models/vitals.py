"""The session flowsheet: vitals, sedation, dissociation, adverse events, and the alerts they raise."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from monitoring.models.corrections import EnteredInError, entered_in_error_complete


@dataclass(frozen=True)
class PlausibleRange:
    """The values a measure can physically take: the database refuses others (check constraint
    `vitalsign_<rule>_plausible`) and the API's serializer states and enforces the same bounds."""

    field: str
    rule: str
    low: int
    high: int

    def condition(self) -> Q:
        return Q(**{f"{self.field}__isnull": True}) | Q(
            **{f"{self.field}__gte": self.low, f"{self.field}__lte": self.high}
        )


VITAL_RANGES = (
    PlausibleRange("systolic_mmhg", "systolic", 40, 300),
    PlausibleRange("diastolic_mmhg", "diastolic", 20, 200),
    PlausibleRange("heart_rate_bpm", "heart_rate", 20, 250),
    PlausibleRange("spo2_percent", "spo2", 50, 100),
    PlausibleRange("respiratory_rate_per_min", "respiratory_rate", 2, 80),
    PlausibleRange("temperature_c", "temperature", 30, 44),
)
# A reading measures at least one of these (diastolic comes with systolic).
VITAL_MEASURES = ("systolic_mmhg", "heart_rate_bpm", "spo2_percent", "respiratory_rate_per_min", "temperature_c")
# What a reading carries, by hand or from a monitor; the rest of a row is who entered it and when.
VITAL_READING_FIELDS = (
    "measured_at",
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "spo2_percent",
    "respiratory_rate_per_min",
    "temperature_c",
    "source",
    "device_reading_id",
)


def reading_problems(reading: dict) -> dict[str, list[str]]:
    """What is wrong with one reading as a whole, by field (each value's own range is its field's):
    half a blood pressure, a diastolic not below its systolic, a reading of nothing, a monitor's
    reading without its id. The database refuses each (`VitalSign`'s constraints); these are the
    messages. Empty when the reading is whole."""
    errors: dict[str, list[str]] = {}
    systolic, diastolic = reading.get("systolic_mmhg"), reading.get("diastolic_mmhg")
    if (systolic is None) != (diastolic is None):
        errors["diastolic_mmhg"] = ["Blood pressure needs both systolic and diastolic."]
    elif systolic is not None and diastolic >= systolic:
        errors["diastolic_mmhg"] = ["Diastolic must be below systolic."]
    if all(reading.get(name) is None for name in VITAL_MEASURES):
        errors["non_field_errors"] = ["A reading measures something."]
    if reading.get("source") == VitalSign.Source.DEVICE and not reading.get("device_reading_id"):
        errors["device_reading_id"] = ["A reading from a monitor carries the monitor's reading id."]
    return errors


@pghistory.track()
class VitalSign(EnteredInError):
    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        DEVICE = "device", "From a monitor"

    session = models.ForeignKey("clinic_sessions.Session", on_delete=models.PROTECT, related_name="vitals")
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="vitals")
    measured_at = models.DateTimeField()
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    respiratory_rate_per_min = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    device_reading_id = models.CharField(max_length=100, null=True, blank=True)
    entered_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now, editable=False)

    author_field = "entered_by"

    class Meta:
        constraints = [
            entered_in_error_complete("vitalsign"),
            models.UniqueConstraint(
                fields=["session", "device_reading_id"],
                condition=Q(device_reading_id__isnull=False),
                name="vitalsign_unique_device_reading",
            ),
            models.CheckConstraint(
                condition=Q(source="manual") | Q(device_reading_id__isnull=False),
                name="vitalsign_device_has_reading_id",
            ),
            models.CheckConstraint(
                condition=Q(systolic_mmhg__isnull=True, diastolic_mmhg__isnull=True)
                | Q(systolic_mmhg__isnull=False, diastolic_mmhg__isnull=False),
                name="vitalsign_bp_pair",
            ),
            models.CheckConstraint(
                condition=Q(systolic_mmhg__isnull=True) | Q(diastolic_mmhg__lt=F("systolic_mmhg")),
                name="vitalsign_diastolic_below_systolic",
            ),
            *(
                models.CheckConstraint(condition=plausible.condition(), name=f"vitalsign_{plausible.rule}_plausible")
                for plausible in VITAL_RANGES
            ),
            models.CheckConstraint(
                condition=reduce(operator.or_, (Q(**{f"{name}__isnull": False}) for name in VITAL_MEASURES)),
                name="vitalsign_measures_something",
            ),
        ]
        indexes = [models.Index(fields=["session", "measured_at"], name="vitalsign_session_time_idx")]


@pghistory.track()
class SedationScore(EnteredInError):
    """MOAA/S: 5 responds readily to name spoken in normal tone ... 0 no response to pain."""

    session = models.ForeignKey("clinic_sessions.Session", on_delete=models.PROTECT, related_name="sedation_scores")
    measured_at = models.DateTimeField()
    moaas = models.PositiveSmallIntegerField()
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")

    author_field = "recorded_by"

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(moaas__lte=5), name="sedationscore_moaas_range"),
            entered_in_error_complete("sedationscore"),
        ]


@pghistory.track()
class DissociationScore(EnteredInError):
    """CADSS: 23 items scored 0-4; the total is computed by the service."""

    session = models.ForeignKey("clinic_sessions.Session", on_delete=models.PROTECT, related_name="dissociation_scores")
    measured_at = models.DateTimeField()
    items = ArrayField(models.PositiveSmallIntegerField(), size=23)
    total = models.PositiveSmallIntegerField()
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")

    author_field = "recorded_by"

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(total__lte=92), name="dissociationscore_total_range"),
            entered_in_error_complete("dissociationscore"),
        ]


@pghistory.track()
class AdverseEvent(models.Model):
    class Type(models.TextChoices):
        NAUSEA = "nausea", "Nausea"
        VOMITING = "vomiting", "Vomiting"
        HYPERTENSION = "hypertension", "Hypertension"
        EMERGENCE_REACTION = "emergence_reaction", "Emergence reaction"
        RESPIRATORY_DEPRESSION = "respiratory_depression", "Respiratory depression"
        DISSOCIATION = "dissociation", "Dissociation"
        SEDATION = "sedation", "Sedation"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    session = models.ForeignKey("clinic_sessions.Session", on_delete=models.PROTECT, related_name="adverse_events")
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="adverse_events")
    type = models.CharField(max_length=32, choices=Type.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    serious = models.BooleanField(default=False, help_text="A serious adverse event (REMS form).")
    onset_at = models.DateTimeField()
    description = models.TextField(blank=True)
    action_taken = models.TextField(blank=True)
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")


@pghistory.track()
class Alert(models.Model):
    """A safety signal raised by a rule. One row per rule per episode: `dedupe_key` is unique."""

    class Kind(models.TextChoices):
        BP_SEVERE_REPEATED = "bp_severe_repeated", "Severe hypertension on repeated readings"
        BP_CRITICAL = "bp_critical", "Critical hypertension"
        HR_SUSTAINED = "hr_sustained", "Sustained tachycardia"
        SPO2_LOW = "spo2_low", "Low oxygen saturation"
        PHQ9_ITEM9 = "phq9_item9", "PHQ-9 item 9: thoughts of self-harm"
        CSSRS_POSITIVE = "cssrs_positive", "C-SSRS screener positive"
        # Raised by integration care for a patient's check-in its clinic's review rule flags.
        CHECKIN_RISK_WORDS = "checkin_risk_words", "Check-in: risk words in the note"
        CHECKIN_LOW_MOOD = "checkin_low_mood", "Check-in: very low mood"

    class Priority(models.TextChoices):
        HIGH = "high", "High"
        NORMAL = "normal", "Normal"

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="alerts")
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="alerts")
    session = models.ForeignKey(
        "clinic_sessions.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    scale_response = models.ForeignKey(
        "monitoring.ScaleResponse", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.HIGH)
    dedupe_key = models.CharField(max_length=200, unique=True)
    message = models.CharField(max_length=300)
    # When the breach began (the first reading of the episode) and what it was made of.
    episode_started_at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_by__isnull=True, acknowledged_at__isnull=True)
                | Q(acknowledged_by__isnull=False, acknowledged_at__isnull=False),
                name="alert_acknowledgement_complete",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "acknowledged_at", "raised_at"], name="alert_open_idx")]
