"""The patient's clinical record behind the pre-dose gate: real records, each with who and when."""

from __future__ import annotations

import datetime as dt

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from programs.choices import Medication, Route

# The longest prior authorization: three years (and a leap day).
PRIOR_AUTHORIZATION_MAX_DAYS = 3 * 365 + 1

# ICD-10-CM: a letter (not U, reserved), two characters, then up to four after a dot. The one
# declaration of the rule: the field's validator (so the API answers 400 on the field and the schema
# states the pattern) and the database's `diagnosis_icd10_format` check both come from it.
ICD10_CM_PATTERN = r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-Z]{1,4})?$"
validate_icd10_cm = RegexValidator(ICD10_CM_PATTERN, "Not an ICD-10-CM code, e.g. F33.2.")

CONTRAINDICATIONS = (
    "uncontrolled_hypertension",
    "cardiovascular_disease",
    "aneurysmal_vascular_disease_or_avm",
    "intracerebral_haemorrhage_history",
    "pregnancy",
    "active_psychosis",
    "substance_use_disorder",
    "severe_liver_disease",
    "raised_intracranial_pressure",
    "raised_intraocular_pressure",
)


@pghistory.track()
class Consent(models.Model):
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="consents")
    document_version = models.CharField(max_length=40)
    # What the consent covers: the medications/routes (empty means all), and the program if any.
    medications = ArrayField(models.CharField(max_length=16, choices=Medication.choices), default=list, blank=True)
    routes = ArrayField(models.CharField(max_length=16, choices=Route.choices), default=list, blank=True)
    program_name = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField()
    witness = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    expires_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=F("signed_at")),
                name="consent_revoked_after_signed",
            ),
        ]


@pghistory.track()
class ContraindicationScreen(models.Model):
    class Result(models.TextChoices):
        PASSED = "passed", "Passed: no contraindication"
        FAILED = "failed", "Failed: contraindicated"

    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="contraindication_screens")
    # {contraindication: bool} for every item of CONTRAINDICATIONS (validated by the serializer).
    answers = models.JSONField()
    result = models.CharField(max_length=8, choices=Result.choices)
    notes = models.TextField(blank=True)
    screened_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A prescriber's review is their own action (`contraindication_screen_review`), never a field
    # filled by whoever records the screen. An unreviewed screen does not satisfy the gate.
    reviewed_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True, reviewed_at__isnull=True)
                | Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="contraindicationscreen_review_complete",
            ),
        ]


@pghistory.track()
class PatientMedication(models.Model):
    """A current (or past) medication of the patient. Flagged classes surface at the pre-dose gate."""

    class ConcomitantClass(models.TextChoices):
        NONE = "", "Not flagged"
        BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
        SEDATIVE_HYPNOTIC = "sedative_hypnotic", "Sedative-hypnotic"
        STIMULANT = "stimulant", "Stimulant"
        MAOI = "maoi", "MAOI"
        OPIOID = "opioid", "Opioid"

    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=100, blank=True)
    frequency = models.CharField(max_length=100, blank=True)
    concomitant_class = models.CharField(max_length=24, choices=ConcomitantClass.choices, blank=True, default="")
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)


@pghistory.track()
class Allergy(models.Model):
    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=200)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MODERATE)
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)


@pghistory.track()
class PregnancyTest(models.Model):
    class Result(models.TextChoices):
        NEGATIVE = "negative", "Negative"
        POSITIVE = "positive", "Positive"

    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="pregnancy_tests")
    tested_at = models.DateTimeField()
    result = models.CharField(max_length=8, choices=Result.choices)
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")


@pghistory.track()
class Diagnosis(models.Model):
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="diagnoses")
    icd10_code = models.CharField(max_length=8, validators=[validate_icd10_cm])
    description = models.CharField(max_length=200)
    primary = models.BooleanField(default=False)
    diagnosed_on = models.DateField()
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(icd10_code__regex=ICD10_CM_PATTERN),
                name="diagnosis_icd10_format",
            ),
        ]


@pghistory.track()
class PriorAuthorization(models.Model):
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="prior_authorizations")
    payer = models.CharField(max_length=200)
    reference = models.CharField(max_length=80)
    authorised_sessions = models.PositiveSmallIntegerField()
    used_sessions = models.PositiveSmallIntegerField(default=0)
    valid_from = models.DateField()
    valid_until = models.DateField()
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(used_sessions__lte=F("authorised_sessions")),
                name="priorauthorization_used_within_authorised",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__lte=F("valid_until")), name="priorauthorization_valid_dates"
            ),
            # Payers authorise for months, a year or two: never longer than PRIOR_AUTHORIZATION_MAX_DAYS.
            models.CheckConstraint(
                condition=Q(valid_until__lte=F("valid_from") + dt.timedelta(days=PRIOR_AUTHORIZATION_MAX_DAYS)),
                name="priorauthorization_at_most_three_years",
            ),
        ]


@pghistory.track()
class PriorAuthorizationUse(models.Model):
    """The authorization a dosing session used: one per session, so a retry never uses two."""

    authorization = models.ForeignKey(PriorAuthorization, on_delete=models.PROTECT, related_name="uses")
    session = models.OneToOneField(
        "clinic_sessions.Session", on_delete=models.PROTECT, related_name="authorization_use"
    )
    used_at = models.DateTimeField(default=timezone.now)


@pghistory.track()
class RemsPatientEnrollment(models.Model):
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="rems_enrollments")
    rems_patient_id = models.CharField(max_length=40)
    enrolled_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")


@pghistory.track()
class SessionAttestation(models.Model):
    """Day-of facts the gate and discharge need: the escort, fasting. One row per session, updated."""

    session = models.OneToOneField("clinic_sessions.Session", on_delete=models.PROTECT, related_name="attestation")
    escort_name = models.CharField(max_length=200, blank=True)
    escort_phone = models.CharField(max_length=40, blank=True)
    escort_present = models.BooleanField(default=False, help_text="The escort is here to take the patient home.")
    fasting_confirmed = models.BooleanField(default=False)
    last_ate_at = models.DateTimeField(null=True, blank=True)
    last_drank_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
