"""Read paths for the clinic app: querysets with their joins applied, so API query counts stay fixed."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from kat_clinic.models import (
    AuditEvent,
    BreakGlassAccess,
    Clinic,
    ClinicMembership,
    Patient,
    PatientWeight,
    Room,
    StaffMember,
    User,
)


def clinic_list() -> QuerySet[Clinic]:
    return Clinic.objects.select_related("organization").prefetch_related("certifications").order_by("name")


def room_list() -> QuerySet[Room]:
    return Room.objects.select_related("clinic").order_by("clinic_id", "name")


def staff_list() -> QuerySet[StaffMember]:
    return (
        StaffMember.objects.select_related("user")
        .prefetch_related(
            "licences",
            Prefetch(
                "memberships", queryset=ClinicMembership.objects.filter(active=True).order_by("clinic_id", "role")
            ),
        )
        .order_by("last_name", "first_name", "id")
    )


def patient_list() -> QuerySet[Patient]:
    return Patient.objects.select_related("home_clinic").order_by("last_name", "first_name", "id")


def patient_weights(*, patient: Patient) -> QuerySet[PatientWeight]:
    return PatientWeight.objects.filter(patient=patient).select_related("recorded_by").order_by("-measured_at")


def break_glass_patient_ids(*, user: User) -> list[int]:
    """Patients this user holds an unexpired break-glass grant for."""
    return list(
        BreakGlassAccess.objects.filter(user=user, expires_at__gt=timezone.now()).values_list("patient_id", flat=True)
    )


def audit_event_list(*, clinic_ids) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(clinic_id__in=clinic_ids)


def user_with_staff(*, user_id: int) -> User:
    return User.objects.select_related("staff").get(pk=user_id)
