"""The clinic itself: organisation, clinics, rooms, staff with licences and roles, patients."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pghistory
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Concat
from django.utils import timezone

from kat_clinic.patient_messages import patient_facing_name_problem
from kat_clinic.roles import LicenceKind, Role


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not an IANA time zone.") from exc


class User(AbstractUser):
    """A login. Staff details live on StaffMember; patients have no login."""

    class Meta:
        db_table = "kat_clinic_user"


class Organization(models.Model):
    """The clinic group a deployment serves."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)

    def __str__(self) -> str:
        return self.name


class Clinic(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="clinics")
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(max_length=64, validators=[validate_timezone], help_text="IANA zone")
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Clinic-configurable defaults: every number is data, not code.
    nurse_shared_capacity = models.PositiveSmallIntegerField(
        default=3, help_text="How many chairs one nurse may monitor at once."
    )
    crisis_line = models.CharField(max_length=40, default="988")
    reminder_offset_hours = models.PositiveSmallIntegerField(default=24)
    quiet_hours_start = models.TimeField(default=dt.time(21, 0))
    quiet_hours_end = models.TimeField(default=dt.time(8, 0))
    # What patients' messages and the check-in page call the clinic, when its name would tell who
    # sees a patient's phone about the treatment ("Midtown Ketamine Clinic" -> "Midtown Clinic").
    patient_facing_name = models.CharField(
        max_length=200, blank=True, help_text="The clinic's name in messages to patients; blank: its name."
    )
    # The last patient message refused for its content (a configuration error for the clinic's
    # admin to fix), with when; cleared once the clinic's name for patients passes the rule.
    message_problem = models.TextField(blank=True)
    message_problem_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(nurse_shared_capacity__gte=1), name="clinic_nurse_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name_for_patients(self) -> str:
        return self.patient_facing_name or self.name

    def clean(self) -> None:
        problem = patient_facing_name_problem(self.name_for_patients)
        if problem:
            raise ValidationError({"patient_facing_name": problem})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_date(self, at: dt.datetime | None = None) -> dt.date:
        return timezone.localtime(at or timezone.now(), self.tz).date()


class ClinicCertification(models.Model):
    class Kind(models.TextChoices):
        ESKETAMINE_REMS = "esketamine_rems", "Esketamine REMS certified site"
        DEA_SITE = "dea_site", "DEA site registration"
        STATE_LICENCE = "state_licence", "State facility licence"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="certifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    identifier = models.CharField(max_length=80, blank=True)
    valid_from = models.DateField()
    expires_on = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__lte=F("expires_on")), name="cliniccertification_valid_before_expiry"
            ),
        ]

    def __str__(self) -> str:
        number = f" {self.identifier}" if self.identifier else ""
        return f"{self.get_kind_display()}{number}, valid {self.valid_from:%Y-%m-%d} to {self.expires_on:%Y-%m-%d}"

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.expires_on


class Room(models.Model):
    """A room or a chair: anything a patient occupies for a block."""

    class Kind(models.TextChoices):
        TREATMENT_ROOM = "treatment_room", "Treatment room"
        INFUSION_CHAIR = "infusion_chair", "Infusion chair"
        RECOVERY_CHAIR = "recovery_chair", "Recovery chair"
        CONSULT_ROOM = "consult_room", "Consult room"

    class Capability(models.TextChoices):
        MONITORED = "monitored", "Monitored (vitals equipment)"
        RECOVERY = "recovery", "Recovery"
        IV = "iv", "IV infusion"
        THERAPY = "therapy", "Therapy (quiet, private)"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    capabilities = ArrayField(models.CharField(max_length=32, choices=Capability.choices), default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="room_unique_name_per_clinic")]

    def __str__(self) -> str:
        return f"{self.name} ({self.clinic.name})"


class StaffMember(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="staff")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="staff")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    credentials_suffix = models.CharField(max_length=40, blank=True, help_text='e.g. "RN", "MD", "LCSW"')
    npi = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)
    clinics = models.ManyToManyField(Clinic, through="ClinicMembership", related_name="staff_members")

    def __str__(self) -> str:
        return self.display_name(self.first_name, self.last_name, self.credentials_suffix)

    @staticmethod
    def display_name(first_name: str, last_name: str, credentials_suffix: str) -> str:
        """How a staff member is named to others ("Ana Ruiz, RN"), from the three columns."""
        suffix = f", {credentials_suffix}" if credentials_suffix else ""
        return f"{first_name} {last_name}{suffix}"

    @staticmethod
    def display_name_sql(prefix: str = "") -> models.Func:
        """`display_name` written by PostgreSQL, from the columns at `prefix` (e.g. "staff__")."""
        suffix = prefix + "credentials_suffix"
        return Concat(
            F(prefix + "first_name"),
            models.Value(" "),
            F(prefix + "last_name"),
            models.Case(
                models.When(~Q(**{suffix: ""}), then=Concat(models.Value(", "), F(suffix))),
                default=models.Value(""),
            ),
            output_field=models.CharField(),
        )


class Licence(models.Model):
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="licences")
    kind = models.CharField(max_length=16, choices=LicenceKind.choices)
    state = models.CharField(max_length=2, help_text="Issuing US state, e.g. NY")
    number = models.CharField(max_length=40)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "state", "number"], name="licence_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.state} {self.number}, expires {self.expires_on:%Y-%m-%d}"

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.issued_on is None or self.issued_on <= day) and day <= self.expires_on


class ClinicMembership(models.Model):
    """A staff member's role at one clinic. Several roles at one clinic are several rows."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff", "clinic", "role"], name="clinicmembership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} — {self.get_role_display()} at {self.clinic}"


@pghistory.track()
class Patient(models.Model):
    class SexAtBirth(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        INTERSEX = "intersex", "Intersex"
        UNKNOWN = "unknown", "Unknown"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="patients")
    home_clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("medical record number", max_length=32)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=16, choices=SexAtBirth.choices, default=SexAtBirth.UNKNOWN)
    pronouns = models.CharField(max_length=40, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    preferred_language = models.CharField(max_length=40, default="en")
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    sms_opt_in = models.BooleanField(default=False)
    email_opt_in = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "mrn"], name="patient_unique_mrn_per_organization"),
            # Plausible dates of birth (the API also refuses one in the future, which a check cannot).
            models.CheckConstraint(condition=Q(date_of_birth__gte=dt.date(1900, 1, 1)), name="patient_born_after_1900"),
        ]
        indexes = [models.Index(fields=["home_clinic", "last_name", "first_name"], name="patient_clinic_name_idx")]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    def age_on(self, day: dt.date) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


@pghistory.track()
class PatientWeight(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="weights")
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    measured_at = models.DateTimeField()
    recorded_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-measured_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0) & Q(weight_kg__lt=500), name="patientweight_plausible_kg"
            ),
        ]
        indexes = [models.Index(fields=["patient", "-measured_at"], name="patientweight_latest_idx")]


# Models defined in submodules, registered under this app.
from kat_clinic.audit.models import AuditChainLink, AuditEvent, BreakGlassAccess  # noqa: E402

__all__ = [
    "AuditChainLink",
    "AuditEvent",
    "BreakGlassAccess",
    "Clinic",
    "ClinicCertification",
    "ClinicMembership",
    "Licence",
    "Organization",
    "Patient",
    "PatientWeight",
    "Room",
    "StaffMember",
    "User",
]
