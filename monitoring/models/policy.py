"""Per-clinic charting policy: thresholds, dose caps and timings. Every number is data (DOMAIN.md)."""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.db import models
from django.db.models import Q

from programs.choices import Medication, Route


@pghistory.track()
class ChartingPolicy(models.Model):
    """A clinic's charting timings. A clinic without a row uses the field defaults (`policy_for`)."""

    clinic = models.OneToOneField("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="charting_policy")
    weight_max_age_days = models.PositiveSmallIntegerField(default=30)
    predose_vitals_max_age_minutes = models.PositiveSmallIntegerField(default=60)
    fasting_hours_ketamine = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal("6.0"))
    fasting_hours_esketamine = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal("2.0"))
    discharge_minutes_ketamine = models.PositiveSmallIntegerField(default=60)
    discharge_minutes_esketamine = models.PositiveSmallIntegerField(default=120)
    discharge_min_spo2_percent = models.PositiveSmallIntegerField(default=92)
    pcl5_probable_ptsd_cutoff = models.PositiveSmallIntegerField(default=33)
    rems_form_due_days = models.PositiveSmallIntegerField(default=7)
    # The esketamine label's region: the US label starts every adult at 56 mg (empty here); some
    # other labels start patients aged `esketamine_older_adult_age` or more at 28 mg.
    esketamine_older_adult_first_dose_mg = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Empty: the US label (56 mg for every adult)."
    )
    esketamine_older_adult_age = models.PositiveSmallIntegerField(default=65)
    # A clinical event (dose, vital, score) may be charted at most this far ahead of the server's
    # clock, and only inside the session's booked block widened by the margin on either side.
    clock_skew_minutes = models.PositiveSmallIntegerField(default=5)
    session_margin_minutes = models.PositiveSmallIntegerField(default=120)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(pcl5_probable_ptsd_cutoff__lte=80), name="chartingpolicy_pcl5_cutoff_in_range"
            ),
        ]


class ThresholdRuleKind(models.TextChoices):
    PREDOSE_HOLD = "predose_hold", "Pre-dose hold (BP above limit)"
    BP_SEVERE_REPEATED = "bp_severe_repeated", "BP at or above limit on two readings N minutes apart"
    BP_CRITICAL = "bp_critical", "Any BP at or above limit"
    HR_SUSTAINED = "hr_sustained", "Heart rate above limit, sustained"
    SPO2_LOW = "spo2_low", "SpO2 below limit"


# DOMAIN.md defaults; a clinic's VitalThresholdRule row replaces the default of its kind.
DEFAULT_THRESHOLDS: dict[str, dict] = {
    ThresholdRuleKind.PREDOSE_HOLD: {"systolic_mmhg": 140, "diastolic_mmhg": 90},
    ThresholdRuleKind.BP_SEVERE_REPEATED: {"systolic_mmhg": 180, "diastolic_mmhg": 110, "minutes": 5},
    ThresholdRuleKind.BP_CRITICAL: {"systolic_mmhg": 200, "diastolic_mmhg": 120},
    ThresholdRuleKind.HR_SUSTAINED: {"heart_rate_bpm": 120, "minutes": 5},
    ThresholdRuleKind.SPO2_LOW: {"spo2_percent": 92},
}


@pghistory.track()
class VitalThresholdRule(models.Model):
    """One clinic's limits for one rule kind. Comparisons (>, >=, <) are fixed by the kind."""

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="threshold_rules")
    kind = models.CharField(max_length=32, choices=ThresholdRuleKind.choices)
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "kind"], name="vitalthresholdrule_one_per_kind"),
        ]


# Conservative defaults until a clinic sets its own caps (esketamine: the label's largest dose).
DEFAULT_DOSE_CAPS: dict[tuple[str, str], dict] = {
    (Medication.KETAMINE, Route.IV): {"max_session_mg_per_kg": Decimal("1.00")},
    (Medication.KETAMINE, Route.IM): {"max_session_mg_per_kg": Decimal("1.00")},
    (Medication.KETAMINE, Route.SUBLINGUAL): {"max_session_mg": Decimal("400.00")},
    (Medication.KETAMINE, Route.ORAL): {"max_session_mg": Decimal("400.00")},
    (Medication.ESKETAMINE, Route.INTRANASAL): {"max_session_mg": Decimal("84.00")},
}


@pghistory.track()
class DoseCap(models.Model):
    """The most one session may receive by one medication and route, all administrations together."""

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="dose_caps")
    medication = models.CharField(max_length=16, choices=Medication.choices)
    route = models.CharField(max_length=16, choices=Route.choices)
    max_session_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    max_session_mg_per_kg = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "medication", "route"], name="dosecap_one_per_route"),
            models.CheckConstraint(
                condition=Q(max_session_mg__isnull=False) | Q(max_session_mg_per_kg__isnull=False),
                name="dosecap_has_a_limit",
            ),
        ]
