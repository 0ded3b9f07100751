"""Recording doses: the gate, the maths, the cumulative cap, the prior authorization used."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from kat_clinic.errors import RuleViolation
from kat_clinic.models import StaffMember
from monitoring.dose_math import DoseInputError, dose_figures, session_cap_mg
from monitoring.models import (
    DoseAdministration,
    Escalation,
    PriorAuthorization,
    PriorAuthorizationUse,
    SessionMedication,
    VitalSign,
)
from monitoring.selectors.dose_gate import dose_unmet
from monitoring.selectors.esketamine import DEVICE_MG, LABEL_MAX_MG, dose_step
from monitoring.selectors.gate import Prereq, gate_unmet, recent_weight, session_prerequisites
from monitoring.selectors.policy import dose_cap_for
from monitoring.services.chart_time import chart_time_check
from monitoring.services.common import lock_session, require_operation
from monitoring.signals import dose_recorded
from programs.choices import Medication, SessionKind
from sessions.models import Session

DOSABLE_STATUSES = ("scheduled", "checked_in", "in_progress")


@transaction.atomic
def dose_record(
    *,
    session: Session,
    by: StaffMember,
    ordered_by: StaffMember,
    medication: str,
    route: str,
    lot_number: str,
    lot_expires_on: date,
    started_at: datetime,
    kind: str = DoseAdministration.Kind.INITIAL,
    dose_mg_per_kg: Decimal | None = None,
    dose_mg: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    infusion_minutes: int | None = None,
    stopped_at: datetime | None = None,
    cap_override_reason: str = "",
    step_override_reason: str = "",
) -> DoseAdministration:
    """Record one administration by `by`, ordered by a prescriber.

    The first dose of a session passes the pre-dose gate, and every dose (titrations and boluses
    too) the in-session one of `monitoring.selectors.dose_gate` (422 `gate_unmet` listing every
    blocking item; a prescriber overrides an item at stage `dose`). The first dose uses one prior
    authorization when the session needs one. Every dose counts towards the clinic's per-route
    cap on the session's cumulative dose (422 `dose_cap_exceeded`) unless a prescriber records it
    with an override reason. Esketamine follows its label: whole 28 mg devices, never above 84 mg,
    the blood pressure taken before the first device, and the course's step for this session
    (above it, a prescriber's `step_override_reason`). The session row is locked, so two doses
    recorded at once cannot both slip under the cap.
    """
    require_operation(staff=by, operation="dose.administer", clinic_id=session.clinic_id)
    require_operation(staff=ordered_by, operation="dose.order", clinic_id=session.clinic_id, field="ordered_by")
    session = lock_session(session_id=session.pk)
    if session.kind != SessionKind.DOSING or session.status not in DOSABLE_STATUSES:
        raise RuleViolation("Doses are recorded on an open dosing session.", code="not_a_dosing_session")
    chart_time_check(session=session, at=started_at, field="started_at")
    chart_time_check(session=session, at=stopped_at, field="stopped_at")
    today = session.clinic.local_date(started_at)
    if lot_expires_on < today:
        raise RuleViolation("The lot is expired.", code="lot_expired", errors={"lot_expires_on": ["Expired lot."]})

    # Doses marked entered in error count for nothing: not the first, not the cumulative dose.
    previous = DoseAdministration.objects.filter(session=session, entered_in_error_at__isnull=True)
    first = not previous.exists()
    if first != (kind == DoseAdministration.Kind.INITIAL):
        raise RuleViolation(
            "The first dose of a session is the initial dose; later ones are titrations or boluses.",
            code="dose_kind",
            errors={"kind": ["initial only for the first dose of the session."]},
        )
    # Every dose, not only the first: the latest BP inside the hold limit, no open high alert.
    unmet = gate_unmet(session=session, medication=medication, route=route) if first else []
    unmet += dose_unmet(session=session, first=first)
    if unmet:
        raise RuleViolation("Pre-dose requirements are not met.", code="gate_unmet", unmet=unmet)

    weight = recent_weight(session=session)
    try:
        figures = dose_figures(
            route=route,
            weight_kg=weight.weight_kg if weight else None,
            dose_mg_per_kg=dose_mg_per_kg,
            dose_mg=dose_mg,
            concentration_mg_per_ml=concentration_mg_per_ml,
            infusion_minutes=infusion_minutes,
        )
    except DoseInputError as exc:
        raise RuleViolation("The dose cannot be computed.", code="invalid_dose", errors=exc.errors)

    step_overridden_by = None
    if medication == Medication.ESKETAMINE:
        _esketamine_label_check(dose_mg=figures.dose_mg, previous=previous)
        if first:
            _esketamine_bp_before_first_device(session=session, started_at=started_at)
        if _esketamine_off_step(
            session=session, dose_mg=figures.dose_mg, previous=previous, reason=step_override_reason
        ):
            require_operation(staff=by, operation="dose.override", clinic_id=session.clinic_id)
            step_overridden_by = by
    cap = dose_cap_for(clinic_id=session.clinic_id, medication=medication, route=route)
    cap_overridden_by = None
    if cap is not None:
        if cap.get("max_session_mg") is None and weight is None:
            raise RuleViolation(
                "The cap is weight-based and no recent weight is recorded.",
                code="weight_required",
                errors={"weight_kg": ["Record a weight first."]},
            )
        cap_mg = session_cap_mg(weight_kg=weight.weight_kg if weight else None, **cap)
        given = previous.filter(medication=medication, route=route).aggregate(total=Sum("dose_mg"))["total"]
        cumulative = (given or Decimal("0")) + figures.dose_mg
        if cap_mg is not None and cumulative > cap_mg:
            if not cap_override_reason.strip():
                raise RuleViolation(
                    f"The session's cumulative {medication} {route} dose would be {cumulative} mg, over the cap "
                    f"of {cap_mg} mg.",
                    code="dose_cap_exceeded",
                    cumulative_mg=str(cumulative),
                    cap_mg=str(cap_mg),
                )
            require_operation(staff=by, operation="dose.override", clinic_id=session.clinic_id)
            cap_overridden_by = by

    if first and any(p.kind == Prereq.PRIOR_AUTHORIZATION for p in session_prerequisites(session, medication)):
        _use_prior_authorization(session=session, on=today)

    dose = DoseAdministration.objects.create(
        session=session,
        patient_id=session.patient_id,
        kind=kind,
        medication=medication,
        route=route,
        patient_weight=weight,
        weight_kg=weight.weight_kg if weight else None,
        dose_mg_per_kg=dose_mg_per_kg,
        dose_mg=figures.dose_mg,
        concentration_mg_per_ml=concentration_mg_per_ml,
        volume_ml=figures.volume_ml,
        infusion_minutes=infusion_minutes,
        rate_mg_per_h=figures.rate_mg_per_h,
        lot_number=lot_number,
        lot_expires_on=lot_expires_on,
        ordered_by=ordered_by,
        administered_by=by,
        started_at=started_at,
        stopped_at=stopped_at,
        cap_override_reason=cap_override_reason.strip() if cap_overridden_by else "",
        cap_overridden_by=cap_overridden_by,
        step_override_reason=step_override_reason.strip() if step_overridden_by else "",
        step_overridden_by=step_overridden_by,
    )
    dose_recorded.send(sender=DoseAdministration, dose=dose, by=by)
    return dose


ESKETAMINE_DEVICE_MG = DEVICE_MG
ESKETAMINE_LABEL_MAX_MG = LABEL_MAX_MG


def _esketamine_label_check(*, dose_mg: Decimal, previous) -> None:
    """The label: 28 mg per nasal spray device, never more than 84 mg in a session. No override."""
    if dose_mg % ESKETAMINE_DEVICE_MG:
        raise RuleViolation(
            "Esketamine is given in whole 28 mg devices.",
            code="esketamine_device_step",
            errors={"dose_mg": ["A multiple of 28 mg (28, 56 or 84)."]},
        )
    given = previous.filter(medication=Medication.ESKETAMINE).aggregate(total=Sum("dose_mg"))["total"] or 0
    if given + dose_mg > ESKETAMINE_LABEL_MAX_MG:
        raise RuleViolation(
            f"The session's esketamine would be {given + dose_mg} mg; the label's maximum is 84 mg.",
            code="esketamine_label_maximum",
            errors={"dose_mg": ["Never above 84 mg in a session; not overridable."]},
        )


def _esketamine_off_step(*, session: Session, dose_mg: Decimal, previous, reason: str) -> bool:
    """True when the session's total goes above the course's step for this occurrence (a prescriber's
    override, with `reason`); 422 `esketamine_dose_step` without a reason."""
    step = dose_step(session=session)
    given = previous.filter(medication=Medication.ESKETAMINE).aggregate(total=Sum("dose_mg"))["total"] or 0
    total = given + dose_mg
    if total <= step.high_mg:
        return False
    if not reason.strip():
        raise RuleViolation(
            f"The course gives {step.describe()}; {total.normalize()} mg is a prescriber's decision with a reason.",
            code="esketamine_dose_step",
            errors={"step_override_reason": [f"{total.normalize()} mg is outside the step: say why (a prescriber)."]},
            total_mg=str(total),
            step_low_mg=str(step.low_mg),
            step_high_mg=str(step.high_mg),
        )
    return True


def _esketamine_bp_before_first_device(*, session: Session, started_at: datetime) -> None:
    """The REMS: blood pressure is taken before the first device. Not overridable (a high reading
    is the gate's `predose_vitals`, a prescriber's call)."""
    if not VitalSign.objects.filter(
        session=session, systolic_mmhg__isnull=False, measured_at__lte=started_at, entered_in_error_at__isnull=True
    ).exists():
        raise RuleViolation(
            "Take the blood pressure before the first esketamine device.",
            code="predose_bp_required",
            errors={"started_at": ["No blood pressure is recorded before this time."]},
        )


def _use_prior_authorization(*, session: Session, on: date) -> None:
    """Use one authorised session, exactly once per dosing session (the use row is unique per session).

    A conditional UPDATE takes the slot, so two sessions cannot take the last one. When the gate
    item was overridden and nothing is left, nothing is used.
    """
    if PriorAuthorizationUse.objects.filter(session=session).exists():
        return
    candidates = PriorAuthorization.objects.filter(
        patient_id=session.patient_id,
        valid_from__lte=on,
        valid_until__gte=on,
        used_sessions__lt=F("authorised_sessions"),
    ).order_by("valid_until", "pk")
    for authorization in candidates:
        taken = PriorAuthorization.objects.filter(
            pk=authorization.pk, used_sessions__lt=F("authorised_sessions")
        ).update(used_sessions=F("used_sessions") + 1)
        if taken:
            PriorAuthorizationUse.objects.create(authorization=authorization, session=session)
            return


@transaction.atomic
def dose_stop(*, dose: DoseAdministration, by: StaffMember, stopped_at: datetime) -> DoseAdministration:
    require_operation(staff=by, operation="dose.administer", clinic_id=dose.session.clinic_id)
    if dose.stopped_at is not None:
        raise RuleViolation("The dose is already stopped.", code="dose_stopped")
    chart_time_check(session=dose.session, at=stopped_at, field="stopped_at")
    if stopped_at < dose.started_at:
        raise RuleViolation(
            "A dose stops after it starts.", code="invalid_stop", errors={"stopped_at": ["Before the start."]}
        )
    DoseAdministration.objects.filter(pk=dose.pk, stopped_at__isnull=True).update(stopped_at=stopped_at)
    dose.refresh_from_db()
    return dose


@transaction.atomic
def session_medication_record(
    *, session: Session, by: StaffMember, ordered_by: StaffMember, **fields
) -> SessionMedication:
    require_operation(staff=by, operation="dose.administer", clinic_id=session.clinic_id)
    require_operation(staff=ordered_by, operation="dose.order", clinic_id=session.clinic_id, field="ordered_by")
    chart_time_check(session=session, at=fields.get("given_at"), field="given_at")
    return SessionMedication.objects.create(session=session, ordered_by=ordered_by, given_by=by, **fields)


@transaction.atomic
def escalation_record(
    *,
    session: Session,
    by: StaffMember,
    kind: str,
    description: str,
    occurred_at: datetime | None = None,
    destination: str = "",
) -> Escalation:
    """An escalation with when it happened. An emergency transfer names where the patient went (422
    without); it is the one early end of a session's monitoring (`monitoring.selectors.gate`)."""
    require_operation(staff=by, operation="vitals.write", clinic_id=session.clinic_id)
    chart_time_check(session=session, at=occurred_at, field="occurred_at")
    destination = (destination or "").strip()
    if kind == Escalation.Kind.EMERGENCY_TRANSFER and not destination:
        raise RuleViolation(
            "Say where the patient was transferred.",
            code="transfer_destination_required",
            errors={"destination": ["The emergency department (or other emergency care) the patient went to."]},
        )
    return Escalation.objects.create(
        session=session,
        kind=kind,
        description=description,
        occurred_at=occurred_at or timezone.now(),
        destination=destination,
        recorded_by=by,
    )
