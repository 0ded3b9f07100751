"""Dosing: what was ordered and given, with the maths kept, and everything else given in the session."""

from __future__ import annotations

import pghistory
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from monitoring.models.corrections import EnteredInError, entered_in_error_complete
from programs.choices import Medication, Route


@pghistory.track()
class DoseAdministration(EnteredInError):
    """One administration: the first dose, a titration step or a bolus. Each row adds `dose_mg`."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial dose"
        TITRATION = "titration", "Titration"
        BOLUS = "bolus", "Bolus"

    session = models.ForeignKey("clinic_sessions.Session", on_delete=models.PROTECT, related_name="doses")
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="doses")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INITIAL)
    medication = models.CharField(max_length=16, choices=Medication.choices)
    route = models.CharField(max_length=16, choices=Route.choices)
    patient_weight = models.ForeignKey(
        "kat_clinic.PatientWeight", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    dose_mg_per_kg = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    concentration_mg_per_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    infusion_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    rate_mg_per_h = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    lot_number = models.CharField(max_length=40)
    lot_expires_on = models.DateField()
    ordered_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    administered_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    cap_override_reason = models.TextField(blank=True)
    cap_overridden_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Esketamine: a dose outside the template's step for this occurrence (e.g. 84 mg where the first
    # session says 56 mg) is a prescriber's decision, with the reason kept.
    step_override_reason = models.TextField(blank=True)
    step_overridden_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    author_field = "administered_by"

    class Meta:
        constraints = [
            entered_in_error_complete("doseadministration"),
            models.CheckConstraint(condition=Q(dose_mg__gt=0), name="doseadministration_dose_positive"),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True) | Q(stopped_at__gte=F("started_at")),
                name="doseadministration_stops_after_start",
            ),
            models.CheckConstraint(
                condition=Q(dose_mg_per_kg__isnull=True) | Q(weight_kg__isnull=False),
                name="doseadministration_weight_for_mg_per_kg",
            ),
            models.CheckConstraint(
                condition=Q(cap_overridden_by__isnull=True) | ~Q(cap_override_reason=""),
                name="doseadministration_override_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(step_overridden_by__isnull=True) | ~Q(step_override_reason=""),
                name="doseadministration_step_override_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["session", "started_at"], name="doseadmin_session_idx")]


@pghistory.track()
class SessionMedication(models.Model):
    """Another medication given in the session: antiemetic, antihypertensive, rescue benzodiazepine."""

    class Drug(models.TextChoices):
        ONDANSETRON = "ondansetron", "Ondansetron"
        LABETALOL = "labetalol", "Labetalol"
        CLONIDINE = "clonidine", "Clonidine"
        LORAZEPAM = "lorazepam", "Lorazepam"
        MIDAZOLAM = "midazolam", "Midazolam"
        OTHER = "other", "Other"

    session = models.ForeignKey("clinic_sessions.Session", on_delete=models.PROTECT, related_name="other_medications")
    drug = models.CharField(max_length=16, choices=Drug.choices)
    drug_name = models.CharField(max_length=100, blank=True, help_text="When drug is 'other'.")
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    route = models.CharField(max_length=16)
    given_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    ordered_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    given_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(dose_mg__gt=0), name="sessionmedication_dose_positive"),
            models.CheckConstraint(
                condition=~Q(drug="other") | ~Q(drug_name=""), name="sessionmedication_other_is_named"
            ),
        ]


@pghistory.track()
class Escalation(models.Model):
    class Kind(models.TextChoices):
        RAPID_RESPONSE = "rapid_response", "Rapid response called"
        EMERGENCY_TRANSFER = "emergency_transfer", "Transfer to emergency care"
        PRESCRIBER_CALLED = "prescriber_called", "Prescriber called to bedside"

    session = models.ForeignKey("clinic_sessions.Session", on_delete=models.PROTECT, related_name="escalations")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    description = models.TextField()
    # An emergency transfer says where the patient went (e.g. the emergency department it called).
    destination = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="emergency_transfer") | ~Q(destination=""),
                name="escalation_transfer_has_destination",
            ),
        ]
