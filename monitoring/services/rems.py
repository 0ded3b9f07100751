"""The esketamine REMS Patient Monitoring Form, filled from the chart itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import StaffMember
from monitoring.models import (
    AdverseEvent,
    DissociationScore,
    DoseAdministration,
    RemsMonitoringForm,
    SedationScore,
    VitalSign,
)
from monitoring.selectors.gate import discharge_unmet
from monitoring.selectors.policy import policy_for
from monitoring.services.common import require_operation
from programs.choices import Medication
from sessions.models import Session

BP_CHECKPOINT_MINUTES = 40
BP_CHECKPOINT_TOLERANCE = timedelta(minutes=15)


def _bp(reading: VitalSign | None) -> dict | None:
    if reading is None:
        return None
    return {
        "systolic_mmhg": reading.systolic_mmhg,
        "diastolic_mmhg": reading.diastolic_mmhg,
        "measured_at": reading.measured_at.isoformat(),
    }


def rems_form_data(*, session: Session, ready_to_leave_at: datetime | None) -> dict:
    doses = list(
        DoseAdministration.objects.filter(
            session=session, medication=Medication.ESKETAMINE, entered_in_error_at__isnull=True
        ).order_by("started_at", "pk")
    )
    if not doses:
        raise RuleViolation("No esketamine dose is charted for this session.", code="no_esketamine_dose")
    first_at = doses[0].started_at
    valid_vitals = VitalSign.objects.filter(session=session, entered_in_error_at__isnull=True)
    bps = list(valid_vitals.filter(systolic_mmhg__isnull=False).order_by("measured_at", "pk"))
    before = [r for r in bps if r.measured_at <= first_at]
    target = first_at + timedelta(minutes=BP_CHECKPOINT_MINUTES)
    near_40 = [r for r in bps if abs(r.measured_at - target) <= BP_CHECKPOINT_TOLERANCE]
    at_40 = min(near_40, key=lambda r: (abs(r.measured_at - target), r.pk)) if near_40 else None
    end = ready_to_leave_at or timezone.now()
    events = list(AdverseEvent.objects.filter(session=session))
    event_types = {e.type for e in events}
    low_spo2 = valid_vitals.filter(spo2_percent__lt=policy_for(session.clinic_id).discharge_min_spo2_percent).exists()
    return {
        "patient_id": session.patient_id,
        "session_id": session.pk,
        "session_date": session.clinic.local_date(first_at).isoformat(),
        "total_dose_mg": str(sum(d.dose_mg for d in doses)),
        "doses": [
            {"dose_mg": str(d.dose_mg), "lot_number": d.lot_number, "started_at": d.started_at.isoformat()}
            for d in doses
        ],
        "lot_numbers": sorted({d.lot_number for d in doses}),
        "minutes_monitored": int((end - first_at).total_seconds() // 60),
        "bp_before_dose": _bp(before[-1] if before else None),
        "bp_at_40_min": _bp(at_40),
        "bp_at_discharge": _bp(bps[-1] if bps and bps[-1].measured_at > first_at else None),
        "sedation": SedationScore.objects.filter(
            session=session, moaas__lt=5, entered_in_error_at__isnull=True
        ).exists()
        or AdverseEvent.Type.SEDATION in event_types,
        "dissociation": DissociationScore.objects.filter(
            session=session, total__gt=0, entered_in_error_at__isnull=True
        ).exists()
        or AdverseEvent.Type.DISSOCIATION in event_types,
        "respiratory_depression": AdverseEvent.Type.RESPIRATORY_DEPRESSION in event_types or low_spo2,
        "serious_adverse_events": [
            {"type": e.type, "severity": e.severity, "onset_at": e.onset_at.isoformat(), "action_taken": e.action_taken}
            for e in events
            if e.serious
        ],
        "ready_to_leave_at": ready_to_leave_at.isoformat() if ready_to_leave_at else None,
    }


@transaction.atomic
def rems_form_generate(
    *, session: Session, by: StaffMember, ready_to_leave_at: datetime | None = None
) -> RemsMonitoringForm:
    """(Re)build the draft form from the chart; due 7 days (clinic policy) after the session.
    Without a ready-to-leave time, it is now when the discharge criteria hold, else left empty."""
    require_operation(staff=by, operation="rems.write", clinic_id=session.clinic_id)
    if ready_to_leave_at is None and not discharge_unmet(session=session):
        ready_to_leave_at = timezone.now()
    data = rems_form_data(session=session, ready_to_leave_at=ready_to_leave_at)
    due_on = session.clinic.local_date(session.starts_at) + timedelta(
        days=policy_for(session.clinic_id).rems_form_due_days
    )
    form = RemsMonitoringForm.objects.select_for_update().filter(session=session).first()
    if form is None:
        return RemsMonitoringForm.objects.create(session=session, data=data, due_on=due_on)
    if form.status == RemsMonitoringForm.Status.SUBMITTED:
        raise Conflict("The form was submitted and is kept as sent.", code="rems_form_submitted")
    form.data, form.due_on, form.generated_at = data, due_on, timezone.now()
    form.save(update_fields=["data", "due_on", "generated_at"])
    return form


@transaction.atomic
def rems_form_submit(*, form: RemsMonitoringForm, by: StaffMember) -> RemsMonitoringForm:
    require_operation(staff=by, operation="rems.submit", clinic_id=form.session.clinic_id)
    updated = RemsMonitoringForm.objects.filter(pk=form.pk, status=RemsMonitoringForm.Status.DRAFT).update(
        status=RemsMonitoringForm.Status.SUBMITTED, submitted_at=timezone.now(), submitted_by=by
    )
    if not updated:
        raise Conflict("The form was already submitted.", code="rems_form_submitted")
    form.refresh_from_db()
    return form
