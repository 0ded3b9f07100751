"""The esketamine REMS Patient Monitoring Form, filled from the chart itself.

Generated when the session is completed (`monitoring.receivers`), and again on request while it is
a draft. Every fact of the REMS list (DOMAIN.md) is a key of `data`; `REQUIRED_FIELDS` are those the
form cannot go without, and a form missing one is not submitted (422 `rems_form_incomplete`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import ClinicCertification, StaffMember
from monitoring.models import (
    AdverseEvent,
    ChecklistOverride,
    DissociationScore,
    DoseAdministration,
    PatientMedication,
    RemsMonitoringForm,
    RemsPatientEnrollment,
    SedationScore,
    ThresholdRuleKind,
    VitalSign,
)
from monitoring.selectors.esketamine import DEVICE_MG, bp_at_40, bp_before, bp_readings
from monitoring.selectors.gate import discharge_unmet, emergency_transfer
from monitoring.selectors.policy import bp_above_hold, charting_rules, policy_for
from monitoring.services.common import require_operation
from programs.choices import Medication
from sessions.models import Session

BP_CHECKPOINT_MINUTES = 40

OPIOID_NAMES = ("oxycodone", "hydrocodone", "morphine", "fentanyl", "tramadol", "codeine", "methadone", "buprenorphine")
CONCOMITANT_KEYS = (
    "benzodiazepines",
    "non_benzodiazepine_sedative_hypnotics",
    "psychostimulants",
    "maois",
    "opioids",
)

# The facts the form cannot go without (DOMAIN.md's REMS list). `bp_at_40_min` is satisfied by the
# reading or by the prescriber's recorded reason it was missed; after an emergency transfer the
# checkpoints after it and the time ready to leave do not apply.
REQUIRED_FIELDS = (
    "patient_name",
    "patient_date_of_birth",
    "rems_patient_id",
    "setting_name",
    "setting_address",
    "setting_rems_certification_id",
    "prescriber",
    "monitoring_clinician",
    "monitoring_clinician_contact",
    "session_date",
    "total_dose_mg",
    "lot_numbers",
    "first_device_at",
    "bp_before_dose",
    "bp_at_40_min",
    "vitals_acceptable_before_dose",
    "vitals_acceptable_at_discharge",
    "sedation",
    "dissociation",
    "respiratory_depression",
    "serious_adverse_events",
    "transferred_to_emergency_care",
    "concomitant_medications",
    "ready_to_leave_at",
    "minutes_monitored",
)


def _bp(reading: VitalSign | None) -> dict | None:
    if reading is None:
        return None
    return {
        "systolic_mmhg": reading.systolic_mmhg,
        "diastolic_mmhg": reading.diastolic_mmhg,
        "measured_at": reading.measured_at.isoformat(),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _staff_name(member: StaffMember | None) -> str:
    return str(member) if member else ""


def _concomitant(session: Session, day) -> dict:
    active = PatientMedication.objects.filter(patient_id=session.patient_id).exclude(stopped_on__lt=day)
    classes = set(active.values_list("concomitant_class", flat=True))
    names = " ".join(active.values_list("name", flat=True)).lower()
    C = PatientMedication.ConcomitantClass
    return {
        "benzodiazepines": C.BENZODIAZEPINE in classes,
        "non_benzodiazepine_sedative_hypnotics": C.SEDATIVE_HYPNOTIC in classes,
        "psychostimulants": C.STIMULANT in classes,
        "maois": C.MAOI in classes,
        "opioids": C.OPIOID in classes or any(n in names for n in OPIOID_NAMES),
    }


def _ready_to_leave(session: Session, doses: list, discharged_at: datetime | None) -> datetime | None:
    """When the discharge criteria held: the monitoring time over and the last readings back in
    limits (the latest of those), never after the discharge."""
    policy = policy_for(session.clinic_id)
    last_dose_at = max((d.stopped_at or d.started_at) for d in doses)
    at = last_dose_at + timedelta(minutes=policy.discharge_minutes_esketamine)
    for model, field in ((VitalSign, "systolic_mmhg"), (VitalSign, "spo2_percent"), (SedationScore, "moaas")):
        latest = (
            model.objects.filter(
                session=session,
                entered_in_error_at__isnull=True,
                measured_at__gte=last_dose_at,
                **{f"{field}__isnull": False},
            )
            .order_by("-measured_at")
            .values_list("measured_at", flat=True)
            .first()
        )
        if latest is not None:
            at = max(at, latest)
    return min(at, discharged_at) if discharged_at else at


def rems_form_data(
    *, session: Session, ready_to_leave_at: datetime | None, discharged_at: datetime | None = None
) -> dict:
    doses = list(
        DoseAdministration.objects.filter(
            session=session, medication=Medication.ESKETAMINE, entered_in_error_at__isnull=True
        )
        .select_related("ordered_by", "administered_by")
        .order_by("started_at", "pk")
    )
    if not doses:
        raise RuleViolation("No esketamine dose is charted for this session.", code="no_esketamine_dose")
    clinic, patient = session.clinic, session.patient
    first_at = doses[0].started_at
    day = clinic.local_date(first_at)
    policy, limits = charting_rules(session.clinic_id)
    hold = limits.get(ThresholdRuleKind.PREDOSE_HOLD)

    transfer = emergency_transfer(session)
    if transfer is not None:
        ready_to_leave_at, end = None, transfer.occurred_at
    else:
        end = discharged_at or ready_to_leave_at

    bps = bp_readings(session)
    before, at_40 = bp_before(bps, first_at), bp_at_40(bps, first_at)
    # The last reading before the patient left (or was transferred), whenever they were ready.
    left_at = transfer.occurred_at if transfer is not None else discharged_at
    after = [r for r in bps if r.measured_at > first_at and (left_at is None or r.measured_at <= left_at)]
    at_discharge = after[-1] if after else None
    valid_vitals = VitalSign.objects.filter(session=session, entered_in_error_at__isnull=True)
    lowest_spo2 = (
        valid_vitals.filter(spo2_percent__isnull=False)
        .order_by("spo2_percent")
        .values_list("spo2_percent", flat=True)
        .first()
    )
    last_spo2 = (
        valid_vitals.filter(spo2_percent__isnull=False, measured_at__gt=first_at)
        .order_by("-measured_at", "-pk")
        .values_list("spo2_percent", flat=True)
        .first()
    )
    events = list(AdverseEvent.objects.filter(session=session).order_by("onset_at", "pk"))
    event_types = {e.type for e in events}
    missed_40 = (
        ChecklistOverride.objects.filter(session=session, stage=ChecklistOverride.Stage.DISCHARGE, item="bp_at_40_min")
        .values_list("reason", flat=True)
        .first()
    )
    enrollment = (
        RemsPatientEnrollment.objects.filter(patient_id=session.patient_id, enrolled_on__lte=day)
        .exclude(ended_on__lt=day)
        .order_by("-enrolled_on", "-pk")
        .first()
    )
    certification = (
        ClinicCertification.objects.filter(
            clinic=clinic, kind=ClinicCertification.Kind.ESKETAMINE_REMS, valid_from__lte=day, expires_on__gte=day
        )
        .exclude(identifier="")
        .order_by("-expires_on")
        .first()
    )
    assignments = {a.role: a.staff for a in session.assignments.select_related("staff").order_by("pk")}
    prescriber = assignments.get("prescriber") or doses[0].ordered_by
    monitor = assignments.get("nurse") or doses[0].administered_by
    total = sum((d.dose_mg for d in doses), Decimal(0))
    if transfer is not None:
        acceptable_leaving = False
    elif at_discharge is None or last_spo2 is None:
        acceptable_leaving = None
    else:
        acceptable_leaving = not (hold and bp_above_hold(at_discharge, hold)) and (
            last_spo2 > policy.discharge_min_spo2_percent
        )
    return {
        # patient
        "patient_name": f"{patient.first_name} {patient.last_name}".strip(),
        "patient_date_of_birth": patient.date_of_birth.isoformat(),
        "rems_patient_id": enrollment.rems_patient_id if enrollment else "",
        # healthcare setting
        "setting_name": clinic.name,
        "setting_address": clinic.address,
        "setting_rems_certification_id": certification.identifier if certification else "",
        "prescriber": _staff_name(prescriber),
        "monitoring_clinician": _staff_name(monitor),
        "monitoring_clinician_contact": (monitor.phone if monitor and monitor.phone else clinic.phone),
        # the session and the dose
        "patient_id": session.patient_id,
        "session_id": session.pk,
        "session_date": day.isoformat(),
        "total_dose_mg": str(total),
        "devices": int(total // DEVICE_MG),
        "doses": [
            {"dose_mg": str(d.dose_mg), "lot_number": d.lot_number, "started_at": d.started_at.isoformat()}
            for d in doses
        ],
        "lot_numbers": sorted({d.lot_number for d in doses}),
        "first_device_at": first_at.isoformat(),
        # vital signs at the checkpoints
        "bp_before_dose": _bp(before),
        "bp_at_40_min": _bp(at_40),
        "bp_at_40_min_missed_reason": missed_40 or "",
        "bp_at_discharge": _bp(at_discharge),
        "vitals_acceptable_before_dose": None if before is None else not (hold and bp_above_hold(before, hold)),
        "vitals_acceptable_at_discharge": acceptable_leaving,
        # what happened
        "sedation": SedationScore.objects.filter(
            session=session, moaas__lt=5, entered_in_error_at__isnull=True
        ).exists()
        or AdverseEvent.Type.SEDATION in event_types,
        "dissociation": DissociationScore.objects.filter(
            session=session, total__gt=0, entered_in_error_at__isnull=True
        ).exists()
        or AdverseEvent.Type.DISSOCIATION in event_types,
        "respiratory_depression": AdverseEvent.Type.RESPIRATORY_DEPRESSION in event_types
        or (lowest_spo2 is not None and lowest_spo2 < policy.discharge_min_spo2_percent),
        "lowest_spo2_percent": lowest_spo2,
        "serious_adverse_events": [
            {"type": e.type, "severity": e.severity, "onset_at": e.onset_at.isoformat(), "action_taken": e.action_taken}
            for e in events
            if e.serious
        ],
        "transferred_to_emergency_care": transfer is not None,
        "emergency_transfer": (
            {"at": transfer.occurred_at.isoformat(), "destination": transfer.destination} if transfer else None
        ),
        "concomitant_medications": _concomitant(session, day),
        # leaving
        "ready_to_leave_at": _iso(ready_to_leave_at),
        "discharged_at": _iso(discharged_at),
        "minutes_monitored": int((end - first_at).total_seconds() // 60) if end else None,
    }


def rems_form_missing(data: dict) -> list[str]:
    """The required fields the form lacks, in the form's order."""
    transferred = bool(data.get("transferred_to_emergency_care"))
    missing = []
    for key in REQUIRED_FIELDS:
        value = data.get(key)
        if key == "bp_at_40_min" and (data.get("bp_at_40_min_missed_reason") or transferred):
            continue
        if key in ("ready_to_leave_at", "vitals_acceptable_at_discharge") and transferred:
            continue
        if key == "concomitant_medications":
            if not isinstance(value, dict) or any(value.get(k) is None for k in CONCOMITANT_KEYS):
                missing.append(key)
            continue
        if value is None or value == "" or value == []:
            if key == "serious_adverse_events" and value == []:
                continue
            missing.append(key)
    return missing


def _build(*, session: Session, ready_to_leave_at: datetime | None, discharged_at: datetime | None):
    data = rems_form_data(session=session, ready_to_leave_at=ready_to_leave_at, discharged_at=discharged_at)
    data["missing_fields"] = rems_form_missing(data)
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


def _session_doses(session: Session) -> list[DoseAdministration]:
    return list(
        DoseAdministration.objects.filter(
            session=session, medication=Medication.ESKETAMINE, entered_in_error_at__isnull=True
        )
    )


@transaction.atomic
def rems_form_generate(
    *, session: Session, by: StaffMember, ready_to_leave_at: datetime | None = None
) -> RemsMonitoringForm:
    """(Re)build the draft form from the chart; due 7 days (clinic policy) after the session.
    Without a ready-to-leave time: once completed, when the discharge criteria held; before, now if
    they hold, else left empty."""
    require_operation(staff=by, operation="rems.write", clinic_id=session.clinic_id)
    discharged_at = session.completed_at if session.status == Session.Status.COMPLETED else None
    if ready_to_leave_at is None:
        doses = _session_doses(session)
        if doses and discharged_at is not None:
            ready_to_leave_at = _ready_to_leave(session, doses, discharged_at)
        elif doses and not discharge_unmet(session=session):
            ready_to_leave_at = _ready_to_leave(session, doses, timezone.now())
    return _build(session=session, ready_to_leave_at=ready_to_leave_at, discharged_at=discharged_at)


def rems_form_on_completion(*, session: Session) -> RemsMonitoringForm | None:
    """Called inside the completion: a session with esketamine given gets its form, generated
    from the chart (a transferred patient's too). Nothing for other sessions."""
    doses = _session_doses(session)
    if not doses:
        return None
    discharged_at = session.completed_at or timezone.now()
    ready = None if emergency_transfer(session) else _ready_to_leave(session, doses, discharged_at)
    return _build(session=session, ready_to_leave_at=ready, discharged_at=discharged_at)


@transaction.atomic
def rems_form_submit(*, form: RemsMonitoringForm, by: StaffMember) -> RemsMonitoringForm:
    """Submit a complete draft once: 422 `rems_form_incomplete` naming every required field missing."""
    require_operation(staff=by, operation="rems.submit", clinic_id=form.session.clinic_id)
    missing = rems_form_missing(form.data or {})
    if missing:
        raise RuleViolation(
            "The form lacks required fields: record them in the chart and generate it again.",
            code="rems_form_incomplete",
            errors={key: ["Required by the REMS Patient Monitoring Form."] for key in missing},
            missing_fields=missing,
        )
    updated = RemsMonitoringForm.objects.filter(pk=form.pk, status=RemsMonitoringForm.Status.DRAFT).update(
        status=RemsMonitoringForm.Status.SUBMITTED, submitted_at=timezone.now(), submitted_by=by
    )
    if not updated:
        raise Conflict("The form was already submitted.", code="rems_form_submitted")
    form.refresh_from_db()
    return form
