"""Write paths for the clinic app."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import RuleViolation
from kat_clinic.models import BreakGlassAccess, Patient, PatientWeight, StaffMember, User

BREAK_GLASS_DURATION = dt.timedelta(hours=1)


@transaction.atomic
def patient_weight_record(
    *, patient: Patient, weight_kg: Decimal, measured_at: dt.datetime, recorded_by: StaffMember | None
) -> PatientWeight:
    return PatientWeight.objects.create(
        patient=patient, weight_kg=weight_kg, measured_at=measured_at, recorded_by=recorded_by
    )


def patient_latest_weight(*, patient: Patient, measured_after: dt.datetime | None = None) -> PatientWeight | None:
    weights = PatientWeight.objects.filter(patient=patient)
    if measured_after is not None:
        weights = weights.filter(measured_at__gte=measured_after)
    return weights.order_by("-measured_at").first()


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
