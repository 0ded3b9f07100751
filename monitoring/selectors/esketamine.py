"""Esketamine as its label gives it: the dose each session of the course may have, and the
blood-pressure checkpoints of the REMS.

The template's dosing step says the dose per occurrence: the first session `first_dose_mg` (the
US label: 56 mg for every adult), later sessions from that start up to `dose_mg` (56 or 84 mg). A
clinic on a label that starts older patients lower sets it in its charting policy (off for US
clinics). Outside the step is a prescriber's override with a reason; above 84 mg never.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from monitoring.models import DoseAdministration, VitalSign
from monitoring.selectors.gate import _follow
from monitoring.selectors.policy import policy_for
from programs.choices import Medication
from sessions.models import Session

DEVICE_MG = Decimal("28")
LABEL_MAX_MG = Decimal("84")
# The US label, for a session booked outside a program.
LABEL_FIRST_MG = Decimal("56")

BP_CHECKPOINT = timedelta(minutes=40)
BP_CHECKPOINT_TOLERANCE = timedelta(minutes=15)


@dataclass(frozen=True)
class DoseStep:
    first: bool
    low_mg: Decimal
    high_mg: Decimal
    source: str  # what set it: "template" or "label"

    def describe(self) -> str:
        which = "the first session" if self.first else "this session"
        if self.low_mg == self.high_mg:
            return f"{self.low_mg.normalize()} mg for {which}"
        return f"{self.low_mg.normalize()} to {self.high_mg.normalize()} mg for {which}"


def _age_on(patient, day) -> int:
    dob = patient.date_of_birth
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def dose_step(*, session: Session) -> DoseStep:
    """The session total the course allows without an override."""
    step = _follow(session, "planned_session", "step")
    planned = _follow(session, "planned_session")
    if step is not None and step.medication == Medication.ESKETAMINE:
        first = planned.occurrence == 1
        start = step.first_dose_mg or step.dose_mg or LABEL_FIRST_MG
        top = step.dose_mg or start
        source = "template"
    else:
        first = (
            not DoseAdministration.objects.filter(
                patient_id=session.patient_id, medication=Medication.ESKETAMINE, entered_in_error_at__isnull=True
            )
            .exclude(session=session)
            .exists()
        )
        start, top, source = LABEL_FIRST_MG, LABEL_MAX_MG, "label"
    policy = policy_for(session.clinic_id)
    older_start = policy.esketamine_older_adult_first_dose_mg
    if older_start is not None:
        day = session.clinic.local_date(session.starts_at)
        if _age_on(session.patient, day) >= policy.esketamine_older_adult_age:
            start = min(start, older_start)
    top = max(min(top, LABEL_MAX_MG), start)
    return DoseStep(first=first, low_mg=start, high_mg=start if first else top, source=source)


def first_device_at(session: Session) -> datetime | None:
    first = (
        DoseAdministration.objects.filter(
            session=session, medication=Medication.ESKETAMINE, entered_in_error_at__isnull=True
        )
        .order_by("started_at", "pk")
        .values_list("started_at", flat=True)
        .first()
    )
    return first


def bp_readings(session: Session) -> list[VitalSign]:
    return list(
        VitalSign.objects.filter(
            session=session, systolic_mmhg__isnull=False, entered_in_error_at__isnull=True
        ).order_by("measured_at", "pk")
    )


def bp_before(readings: list[VitalSign], first_at: datetime) -> VitalSign | None:
    before = [r for r in readings if r.measured_at <= first_at]
    return before[-1] if before else None


def bp_at_40(readings: list[VitalSign], first_at: datetime) -> VitalSign | None:
    target = first_at + BP_CHECKPOINT
    near = [r for r in readings if abs(r.measured_at - target) <= BP_CHECKPOINT_TOLERANCE]
    return min(near, key=lambda r: (abs(r.measured_at - target), r.pk)) if near else None
