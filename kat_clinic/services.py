"""Write paths for the clinic app: clinics, rooms, patients, weights, break-glass access."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import RuleViolation
from kat_clinic.models import BreakGlassAccess, Clinic, Patient, PatientWeight, Room, StaffMember, User

BREAK_GLASS_DURATION = dt.timedelta(hours=1)


def _assign(instance, fields: dict) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


@transaction.atomic
def clinic_update(*, clinic: Clinic, **fields) -> Clinic:
    """Change a clinic's settings (the API's editable fields: name, zone, contact, capacity, hours,
    the name for patients). A name for patients that would leak the treatment is refused; a new one
    that passes clears the message problem it caused."""
    renamed = any(k in fields for k in ("name", "patient_facing_name"))
    _assign(clinic, fields)
    clinic.clean()  # DjangoValidationError (422) naming patient_facing_name; the serializer says it first
    if renamed:
        clinic.message_problem, clinic.message_problem_at = "", None
    clinic.save()
    return clinic


def clinic_message_problem_record(*, clinic_id: int, problem: str, at: dt.datetime) -> None:
    """A patient message of this clinic was refused for its content: keep why, for its admin to fix."""
    Clinic.objects.filter(pk=clinic_id).update(message_problem=problem[:2000], message_problem_at=at)


@transaction.atomic
def room_create(*, clinic: Clinic, **fields) -> Room:
    return Room.objects.create(clinic=clinic, **fields)


@transaction.atomic
def room_update(*, room: Room, **fields) -> Room:
    _assign(room, fields)
    room.save()
    return room


@transaction.atomic
def patient_create(*, home_clinic: Clinic, **fields) -> Patient:
    """A new patient of `home_clinic`, in the clinic's organization."""
    return Patient.objects.create(home_clinic=home_clinic, organization=home_clinic.organization, **fields)


@transaction.atomic
def patient_update(*, patient: Patient, **fields) -> Patient:
    """Change a patient's demographics. The home clinic is not moved here (the serializer refuses it)."""
    _assign(patient, fields)
    patient.save()
    return patient


@transaction.atomic
def patient_weight_record(
    *, patient: Patient, weight_kg: Decimal, measured_at: dt.datetime, recorded_by: StaffMember | None
) -> PatientWeight:
    return PatientWeight.objects.create(
        patient=patient, weight_kg=weight_kg, measured_at=measured_at, recorded_by=recorded_by
    )


@transaction.atomic
def break_glass_grant(*, user: User, patient: Patient, reason: str) -> BreakGlassAccess:
    """Open a patient outside the user's clinics for a limited time; flagged for review."""
    reason = reason.strip()
    if len(reason) < 10:
        raise RuleViolation(
            "A break-glass reason must say why, in at least 10 characters.",
            code="reason_required",
            errors={"reason": ["Explain why you need this record (10 characters or more)."]},
        )
    now = timezone.now()
    return BreakGlassAccess.objects.create(
        user=user, patient=patient, reason=reason, granted_at=now, expires_at=now + BREAK_GLASS_DURATION
    )
