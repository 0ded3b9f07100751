"""Gate and discharge writes: a prescriber's override of one unmet item, and the discharge guard
run before a session is completed. What is unmet is read by `monitoring.selectors.gate`."""

from __future__ import annotations

from django.db import transaction

from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import StaffMember
from monitoring.models import ChecklistOverride
from monitoring.selectors.dose_gate import dose_items
from monitoring.selectors.gate import discharge_items, discharge_unmet, gate_items
from monitoring.services.common import lock_session, require_operation
from sessions.models import Session

__all__ = ["checklist_override", "session_discharge_check"]


def session_discharge_check(*, session: Session) -> None:
    """Raise 422 `discharge_criteria_unmet` listing every unmet criterion; the scheduling app's
    complete action calls this before it marks the session completed."""
    unmet = discharge_unmet(session=session)
    if unmet:
        raise RuleViolation(
            "The patient does not meet the discharge criteria yet.", code="discharge_criteria_unmet", unmet=unmet
        )


@transaction.atomic
def checklist_override(*, session: Session, stage: str, item: str, reason: str, by: StaffMember) -> ChecklistOverride:
    """A prescriber proceeds despite one currently unmet item; the reason is kept with who and when."""
    operation = "discharge.override" if stage == ChecklistOverride.Stage.DISCHARGE else "gate.override"
    require_operation(staff=by, operation=operation, clinic_id=session.clinic_id)
    session = lock_session(session_id=session.pk)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise RuleViolation(
            "Say why, in at least 10 characters.",
            code="reason_required",
            errors={"reason": ["Explain the clinical reason (10 characters or more)."]},
        )
    items = {
        ChecklistOverride.Stage.GATE: gate_items,
        ChecklistOverride.Stage.DISCHARGE: discharge_items,
        ChecklistOverride.Stage.DOSE: dose_items,
    }[stage](session=session)
    found = next((i for i in items if i["item"] == item), None)
    if found is None:
        raise RuleViolation(
            "Only an unmet item can be overridden.",
            code="item_not_unmet",
            errors={"item": [f"{item!r} is not unmet for this session."]},
        )
    if found.get("overridable", True) is False:
        raise RuleViolation(
            "The esketamine label makes this item mandatory: it cannot be overridden. The only early end of "
            "monitoring is a transfer to emergency care, recorded as an escalation.",
            code="not_overridable",
            errors={"item": [f"{item!r} cannot be overridden."]},
        )
    if ChecklistOverride.objects.filter(session=session, stage=stage, item=item).exists():
        raise Conflict("This item is already overridden.", code="already_overridden")
    return ChecklistOverride.objects.create(session=session, stage=stage, item=item, reason=reason, overridden_by=by)
