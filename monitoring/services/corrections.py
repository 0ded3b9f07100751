"""Marking a dose, reading or score entered in error: by its author or a prescriber, with a reason."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import StaffMember
from monitoring import signals
from monitoring.models import DoseAdministration, VitalSign
from monitoring.services.common import lock_session, require_operation
from monitoring.services.vitals import session_vitals_evaluate

MIN_REASON = 10


@transaction.atomic
def chart_entry_mark_in_error(*, entry, by: StaffMember, reason: str, operation: str):
    """Mark `entry` (a DoseAdministration, VitalSign, SedationScore, DissociationScore or
    ScaleResponse) entered in error. Its author may (holding `operation`), else only a prescriber.
    The row is kept; a dose sends `monitoring.signals.dose_entered_in_error` in this transaction."""
    model = type(entry)
    clinic_id = entry.session.clinic_id if getattr(entry, "session_id", None) else entry.patient.home_clinic_id
    require_operation(staff=by, operation=operation, clinic_id=clinic_id)
    if getattr(entry, f"{model.author_field}_id") != by.pk:
        # Someone else's entry: a prescriber's call.
        require_operation(staff=by, operation="dose.override", clinic_id=clinic_id)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise RuleViolation(
            "Say why, in at least 10 characters.",
            code="reason_required",
            errors={"reason": ["Explain what was wrong (10 characters or more)."]},
        )
    if getattr(entry, "session_id", None):
        lock_session(session_id=entry.session_id)
    updated = model.objects.filter(pk=entry.pk, entered_in_error_at__isnull=True).update(
        entered_in_error_at=timezone.now(), entered_in_error_by=by, entered_in_error_reason=reason
    )
    if not updated:
        raise Conflict("Already marked entered in error.", code="already_in_error")
    entry.refresh_from_db()
    if isinstance(entry, DoseAdministration):
        signals.dose_entered_in_error.send(sender=DoseAdministration, dose=entry, by=by, reason=reason)
    if isinstance(entry, VitalSign):
        session_vitals_evaluate(session=entry.session)
    return entry
