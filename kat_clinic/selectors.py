"""Read paths for the clinic app: querysets with their joins applied, so API query counts stay fixed."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from kat_clinic.compiled_query import Param, ParamIds
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
    # No join of the home clinic: the representation and the audit read its id, the column itself.
    return Patient.objects.order_by("last_name", "first_name", "id")


def patient_weights(*, patient: Patient) -> QuerySet[PatientWeight]:
    return PatientWeight.objects.filter(patient=patient).select_related("recorded_by").order_by("-measured_at")


def break_glass_patient_ids(*, user: User) -> QuerySet[BreakGlassAccess]:
    """Patients this user holds an unexpired break-glass grant for, as a subquery to filter by."""
    return BreakGlassAccess.objects.filter(user_id=user.pk, expires_at__gt=timezone.now()).values("patient_id")


def patient_in_reach() -> QuerySet[Patient]:
    """One patient (`Param("pk")`) of the clinics `ParamIds("clinics")`, or one the user
    (`Param("user")`) holds a break-glass grant for unexpired at `Param("now")`: the patient
    detail's query, prepared (`kat_clinic.compiled_query.Prepared`)."""
    granted = BreakGlassAccess.objects.filter(user_id=Param("user"), expires_at__gt=Param("now")).values("patient_id")
    return patient_list().filter(Q(home_clinic_id__in_array=ParamIds("clinics")) | Q(pk__in=granted), pk=Param("pk"))


def audit_event_list(*, clinic_ids, patient_id: int | None = None) -> QuerySet[AuditEvent]:
    """The audit rows of these clinics; for a patient of one of them, every row about that patient.

    The access log by patient (45 CFR 164.528, 164.312(b)): a patient's home clinic sees every read
    and write of the patient's record, also those recorded under another clinic (a session booked
    there) or under none (a list that spanned clinics). Rows name ids only, never values.
    """
    if patient_id is not None and Patient.objects.filter(pk=patient_id, home_clinic_id__in=clinic_ids).exists():
        return AuditEvent.objects.filter(patient_ids__contains=[patient_id])
    return AuditEvent.objects.filter(clinic_id__in=clinic_ids)


def user_with_staff(*, user_id: int) -> User:
    return User.objects.select_related("staff").get(pk=user_id)
