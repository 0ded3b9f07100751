"""Helpers shared by the charting services: role checks, session locking."""

from __future__ import annotations

from django.db import connection

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


# The mark of a session row read FOR UPDATE (every column, no related row), and the transaction's
# connection it was read on: a request body's field that locks on reading (`LockedSessionField`)
# sets it, so that the service writing under the lock does not read the row a second time.
_LOCKED_ON = "_locked_for_update_on"


def mark_locked(session: Session) -> Session:
    """Record that `session` was just read FOR UPDATE in the current transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("A row read FOR UPDATE outside a transaction holds no lock.")
    setattr(session, _LOCKED_ON, connection.connection)
    return session


def session_locked(session: Session) -> Session:
    """`session` locked: as given when it was read FOR UPDATE in this transaction (`mark_locked`),
    else locked and read again without its clinic and patient rows."""
    if connection.in_atomic_block and getattr(session, _LOCKED_ON, None) is connection.connection:
        return session
    return lock_session(session_id=session.pk, related=())
