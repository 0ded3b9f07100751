"""Request-body relations for charting, each limited to the clinics where the operation is allowed."""

from __future__ import annotations

from django.db import connection

from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from kat_clinic.compiled_query import Param, ParamIds, Prepared
from kat_clinic.models import Patient, StaffMember
from monitoring.selectors.policy import with_charting_rules
from monitoring.services.common import mark_locked
from sessions.models import Session


def session_field(**kwargs) -> ClinicScopedPrimaryKeyRelatedField:
    return ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="clinic", queryset=Session.objects.select_related("clinic", "patient"), **kwargs
    )


# The session a vitals write names, in the clinics where the caller may write vitals, locked, with
# its clinic's charting rules (which the write judges its readings by).
_LOCKED_SESSION = Prepared(
    lambda: with_charting_rules(
        Session.objects.filter(clinic_id__in_array=ParamIds("clinics"), pk=Param("pk")).select_for_update(of=("self",))
    )
)


class LockedSessionField(ClinicScopedPrimaryKeyRelatedField):
    """A session for a service that writes under the session's lock (the vitals): read FOR UPDATE
    of its own row in the request's transaction, once, so that the service does not lock and read
    it again (`session_locked`), with its clinic's charting rules (`with_charting_rules`). Neither
    the clinic's row nor the patient's is read. The read is a
    prepared query (`kat_clinic.compiled_query`): a monitor writes every few seconds per chair.
    Its refusals are DRF's own for a primary key."""

    def __init__(self, **kwargs):
        super().__init__(clinic_lookup="clinic", queryset=Session.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if not connection.in_atomic_block:
            raise RuntimeError("A session is locked for a write inside its transaction only.")
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        clinics = sorted(self.allowed_clinic_ids())
        found = _LOCKED_SESSION.first(pk=pk, clinics=clinics) if clinics and -(2**63) <= pk < 2**63 else None
        if found is None:
            self.fail("does_not_exist", pk_value=data)
        return mark_locked(found)


def locked_session_field(**kwargs) -> LockedSessionField:
    return LockedSessionField(**kwargs)


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
