"""Request-body relations for charting, each limited to the clinics where the operation is allowed."""

from __future__ import annotations

from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from kat_clinic.models import Patient, StaffMember
from sessions.models import Session


def session_field(**kwargs) -> ClinicScopedPrimaryKeyRelatedField:
    return ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="clinic", queryset=Session.objects.select_related("clinic", "patient"), **kwargs
    )


def locked_session_field(**kwargs) -> ClinicScopedPrimaryKeyRelatedField:
    """A session for a service that locks and re-reads it first (the vitals): only the columns the
    scope check and the service's own first look read, not the clinic and patient rows."""
    return ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="clinic", queryset=Session.objects.only("id", "clinic_id", "patient_id"), **kwargs
    )


def patient_field(**kwargs) -> ClinicScopedPrimaryKeyRelatedField:
    return ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="home_clinic", queryset=Patient.objects.select_related("home_clinic"), **kwargs
    )


class StaffField(ClinicScopedPrimaryKeyRelatedField):
    """A staff member of a clinic in scope. Distinct: several roles at one clinic are several rows."""

    def __init__(self, **kwargs):
        super().__init__(
            clinic_lookup="memberships__clinic", queryset=StaffMember.objects.select_related("user"), **kwargs
        )

    def get_queryset(self):
        return super().get_queryset().distinct()


# The entered-in-error mark, read-only on every entry that can carry it.
ENTERED_IN_ERROR = ["entered_in_error_at", "entered_in_error_by", "entered_in_error_reason"]
