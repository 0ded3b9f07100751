"""Helpers shared by the charting services: role checks, session locking."""

from __future__ import annotations

from kat_clinic.access.scoping import can
from kat_clinic.errors import RuleViolation
from kat_clinic.models import StaffMember
from sessions.models import Session


def require_operation(*, staff: StaffMember, operation: str, clinic_id: int, field: str = "by") -> None:
    """Refuse (422) when `staff` holds no role allowing `operation` at the clinic."""
    if staff is None or not can(staff.user, operation, clinic_id):
        raise RuleViolation(
            "This person's role at the clinic does not allow it.",
            code="role_required",
            errors={field: [f"Requires a role allowed to {operation} at this clinic."]},
        )


def lock_session(*, session_id: int, related: tuple[str, ...] = ("clinic", "patient")) -> Session:
    """Lock the session row: serialises the writes whose rules read sibling rows (cap, gate, PA).

    Only the session's row (`of=("self",)`): a plain FOR UPDATE would also lock the joined clinic
    and patient rows, and every charting write of a clinic would wait for every other. `related`
    are the rows read with it (a caller that reads neither the clinic nor the patient says so)."""
    locked = Session.objects.select_for_update(of=("self",))
    # (`select_related()` with no names would follow every foreign key: none is none.)
    return (locked.select_related(*related) if related else locked).get(pk=session_id)
