"""Helpers shared by the charting services: clinic policy, role checks, session locking."""

from __future__ import annotations

from kat_clinic.access.scoping import can
from kat_clinic.errors import RuleViolation
from kat_clinic.models import Clinic, StaffMember
from monitoring.models import ChartingPolicy
from sessions.models import Session


def policy_for(clinic: Clinic | int) -> ChartingPolicy:
    """The clinic's policy row, or an unsaved one holding the defaults."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    return ChartingPolicy.objects.filter(clinic_id=clinic_id).first() or ChartingPolicy(clinic_id=clinic_id)


def require_operation(*, staff: StaffMember, operation: str, clinic_id: int, field: str = "by") -> None:
    """Refuse (422) when `staff` holds no role allowing `operation` at the clinic."""
    if staff is None or not can(staff.user, operation, clinic_id):
        raise RuleViolation(
            "This person's role at the clinic does not allow it.",
            code="role_required",
            errors={field: [f"Requires a role allowed to {operation} at this clinic."]},
        )


def lock_session(*, session_id: int) -> Session:
    """Lock the session row: serialises the writes whose rules read sibling rows (cap, gate, PA)."""
    return Session.objects.select_for_update().select_related("clinic", "patient").get(pk=session_id)
