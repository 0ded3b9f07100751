"""The pre-dose gate and the discharge criteria, read: every unmet item listed at once, with the
prescriber overrides that let a session proceed. The overrides are written by `monitoring.services.gate`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import orjson
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from kat_clinic.compiled_query import Prepared
from kat_clinic.models import PatientWeight
from monitoring.models import (
    ChartingPolicy,
    ChecklistOverride,
    ContraindicationScreen,
    PregnancyTest,
    SessionAttestation,
)
from monitoring.models.policy import ThresholdRuleKind
from monitoring.selectors import gate_queries as q
from monitoring.selectors.chart_reads import ChartReads
from monitoring.selectors.policy import bp_above_hold, policy_for
from programs.choices import Medication
from sessions.models import Session


class Prereq:
    CONSENT = "consent"
    CONTRAINDICATION_SCREEN = "contraindication_screen"
    REMS_ENROLLMENT = "rems_enrollment"
    PRIOR_AUTHORIZATION = "prior_authorization"
    RIDE_CONFIRMED = "ride_confirmed"
    FASTING_CONFIRMED = "fasting_confirmed"
    WEIGHT_RECENT = "weight_recent"
    PREGNANCY_TEST = "pregnancy_test"


PREDOSE_VITALS = "predose_vitals"
CONCOMITANT_PREFIX = "concomitant_medication:"


@dataclass(frozen=True)
class Prerequisite:
    kind: str
    max_age_days: int | None = None


# Ad-hoc dosing (no enrollment): what every dose needs; esketamine adds the REMS enrollment.
DEFAULT_PREREQUISITES = (
    Prerequisite(Prereq.CONSENT),
    Prerequisite(Prereq.CONTRAINDICATION_SCREEN),
    Prerequisite(Prereq.RIDE_CONFIRMED),
    Prerequisite(Prereq.FASTING_CONFIRMED),
    Prerequisite(Prereq.WEIGHT_RECENT),
)
DEFAULT_PREGNANCY_TEST_MAX_AGE_DAYS = 7


def _follow(obj, *path: str):
    """Follow optional relations; None as soon as one is missing."""
    for attr in path:
        try:
            obj = getattr(obj, attr, None)
        except ObjectDoesNotExist:
            return None
        if obj is None:
            return None
    return obj


def session_template(session: Session):
    """The program template behind the session, when it was booked from an enrollment's plan."""
    return _follow(session, "planned_session", "enrollment", "template")


def session_medication(session: Session, medication: str | None, reads: ChartReads) -> str | None:
    """The medication of the session: as asked, else already given, else the plan step's."""
    if medication:
        return medication
    given = next(iter(reads.given_doses()), None)
    if given is not None:
        return given.medication
    return _follow(session, "planned_session", "step", "medication") or None


def session_prerequisites(session: Session, medication: str | None = None) -> list[Prerequisite]:
    template = session_template(session)
    if template is not None:
        return _template_prerequisites(template, session)
    # A patient with authorizations on file is paid for by insurance: each dose needs an active one.
    return _ad_hoc_prerequisites(medication, insured=bool(list(q.HAS_AUTHORIZATIONS.bind(patient=session.patient_id))))


def _template_prerequisites(template, session: Session) -> list[Prerequisite]:
    """The template's prerequisites, in its order: from the session's row where it was read
    `with_template_prerequisites`, else read."""
    written = session.__dict__.get(q.TEMPLATE_PREREQUISITES)
    if written is not None:
        return [Prerequisite(p["kind"], p["max_age_days"]) for p in orjson.loads(written)]
    return [Prerequisite(p.kind, p.max_age_days) for p in template.prerequisites.all()]


def _ad_hoc_prerequisites(medication: str | None, *, insured: bool) -> list[Prerequisite]:
    items = list(DEFAULT_PREREQUISITES)
    if medication == Medication.ESKETAMINE:
        items.append(Prerequisite(Prereq.REMS_ENROLLMENT))
    if insured:
        items.append(Prerequisite(Prereq.PRIOR_AUTHORIZATION))
    return items


def _item(item: str, detail: str, **extra) -> dict:
    return {"item": item, "detail": detail, **extra}


@dataclass(frozen=True)
class _Context:
    """What several checks read, fetched once per evaluation."""

    policy: ChartingPolicy
    limits: dict
    prerequisites: list
    attestation: SessionAttestation | None


@dataclass(frozen=True)
class _Asked:
    """What the gate is asked about: the session, the medication and route of the dose, the time,
    and the clinic's local date then."""

    session: Session
    medication: str | None
    route: str | None
    now: datetime
    today: date


def _records_read(prereq: Prerequisite, asked: _Asked, policy: ChartingPolicy) -> tuple[Prepared, dict] | None:
    """The read of the patient's records that a prerequisite is judged by (None: it reads none)."""
    patient_id, medication, route, now, today = (
        asked.session.patient_id,
        asked.medication,
        asked.route,
        asked.now,
        asked.today,
    )
    since = now - timedelta(days=prereq.max_age_days) if prereq.max_age_days else None
    kind = prereq.kind
    if kind == Prereq.CONSENT:
        values = {"patient": patient_id, "now": now, "today": today}
        if since:
            values["since"] = since
        if medication:
            values["medications"] = [medication]
        if route:
            values["routes"] = [route]
        return q.consent_covering(since=bool(since), medication=bool(medication), route=bool(route)), values
    if kind == Prereq.CONTRAINDICATION_SCREEN:
        return q.LATEST_VALID_SCREEN, {"patient": patient_id, "today": today}
    if kind == Prereq.REMS_ENROLLMENT:
        return q.REMS_ENROLLED, {"patient": patient_id, "today": today}
    if kind == Prereq.PRIOR_AUTHORIZATION:
        return q.AUTHORIZATION_LEFT, {"patient": patient_id, "today": today}
    if kind == Prereq.WEIGHT_RECENT:
        return _weight_read(patient_id, prereq.max_age_days or policy.weight_max_age_days, now)
    if kind == Prereq.PREGNANCY_TEST:
        window = now - timedelta(days=prereq.max_age_days or DEFAULT_PREGNANCY_TEST_MAX_AGE_DAYS)
        return q.LATEST_PREGNANCY_TEST, {"patient": patient_id, "since": window, "now": now}
    return None  # the ride and fasting are the attestation's


def _check_prerequisite(prereq: Prerequisite, asked: _Asked, ctx: _Context, reads: ChartReads) -> dict | None:
    session, medication, now = asked.session, asked.medication, asked.now
    read = _records_read(prereq, asked, ctx.policy)
    kind = prereq.kind
    if kind == Prereq.PRIOR_AUTHORIZATION and hasattr(session, "authorization_use"):
        return None  # the session has already used one
    rows = reads.records(*read) if read else []
    if kind == Prereq.CONSENT:
        if not rows:
            return _item(kind, "No signed, unexpired, unrevoked consent covers this medication and route.")
    elif kind == Prereq.CONTRAINDICATION_SCREEN:
        screen = rows[0] if rows else None
        if screen is None or (prereq.max_age_days and screen.screened_at < now - timedelta(days=prereq.max_age_days)):
            return _item(kind, "No valid contraindication screen reviewed by a prescriber.")
        if screen.result != ContraindicationScreen.Result.PASSED:
            positives = sorted(k for k, v in (screen.answers or {}).items() if v)
            return _item(kind, "The latest screen found a contraindication.", contraindications=positives)
    elif kind == Prereq.REMS_ENROLLMENT:
        if not rows:
            return _item(kind, "The patient is not enrolled in the esketamine REMS.")
    elif kind == Prereq.PRIOR_AUTHORIZATION:
        if not rows:
            return _item(kind, "No prior authorization with sessions left is valid today.")
    elif kind in (Prereq.RIDE_CONFIRMED, Prereq.FASTING_CONFIRMED):
        attestation = ctx.attestation
        if kind == Prereq.RIDE_CONFIRMED:
            if attestation is None or not (attestation.escort_name and attestation.escort_phone):
                return _item(kind, "No escort (name and phone) is recorded for the ride home.")
        else:
            policy = ctx.policy
            hours = (
                policy.fasting_hours_esketamine
                if medication == Medication.ESKETAMINE
                else policy.fasting_hours_ketamine
            )
            if attestation is None or not attestation.fasting_confirmed or attestation.last_ate_at is None:
                return _item(kind, "Fasting is not confirmed with the time the patient last ate.")
            if now - attestation.last_ate_at < timedelta(hours=float(hours)):
                return _item(kind, f"The patient ate less than {hours} h ago.", last_ate_at=attestation.last_ate_at)
    elif kind == Prereq.WEIGHT_RECENT:
        if not rows:
            return _item(kind, "No weight recorded recently enough.")
    elif kind == Prereq.PREGNANCY_TEST:
        test = rows[0] if rows else None
        if test is None or test.result != PregnancyTest.Result.NEGATIVE:
            return _item(kind, "No recent negative pregnancy test.")
    return None


def recent_weight(
    *, session: Session, max_age_days: int | None = None, now: datetime | None = None
) -> PatientWeight | None:
    """The latest weight measured within the template's limit (else the clinic's, default 30 days)."""
    now = now or timezone.now()
    if max_age_days is None:
        template_limit = next(
            (
                p.max_age_days
                for p in session_prerequisites(session)
                if p.kind == Prereq.WEIGHT_RECENT and p.max_age_days
            ),
            None,
        )
        max_age_days = template_limit or policy_for(session.clinic_id).weight_max_age_days
    prepared, values = _weight_read(session.patient_id, max_age_days, now)
    return prepared.first(**values)


def _weight_read(patient_id: int, max_age_days: int, now: datetime) -> tuple[Prepared, dict]:
    """The latest weight measured in the `max_age_days` before `now`."""
    return q.LATEST_WEIGHT, {"patient": patient_id, "since": now - timedelta(days=max_age_days), "now": now}


def _check_predose_vitals(now: datetime, ctx: _Context, medication: str | None, reads: ChartReads) -> dict | None:
    limits = ctx.limits.get(ThresholdRuleKind.PREDOSE_HOLD)
    max_age = timedelta(minutes=ctx.policy.predose_vitals_max_age_minutes)
    reading = reads.latest_vital(start=None, end=now, measures="systolic_mmhg")
    if reading is None or now - reading.measured_at > max_age:
        # The esketamine REMS: a blood pressure before the first device, always (not a prescriber's call).
        extra = {"overridable": False} if medication == Medication.ESKETAMINE else {}
        return _item(PREDOSE_VITALS, "No blood pressure taken recently enough before the dose.", **extra)
    if limits and bp_above_hold(reading, limits):
        return _item(
            PREDOSE_VITALS,
            f"Blood pressure {reading.systolic_mmhg}/{reading.diastolic_mmhg} is above the pre-dose limit "
            f"{limits['systolic_mmhg']}/{limits['diastolic_mmhg']}.",
            reading_id=reading.pk,
        )
    return None


def _concomitant_read(session: Session, today: date) -> tuple[Prepared, dict]:
    return q.FLAGGED_MEDICATIONS, {"patient": session.patient_id, "today": today}


def _check_concomitant(session: Session, today: date, reads: ChartReads) -> list[dict]:
    return [
        _item(
            f"{CONCOMITANT_PREFIX}{med.pk}",
            f"{med.name} ({med.get_concomitant_class_display()}) is a flagged concomitant medication.",
            medication=med.name,
            concomitant_class=med.concomitant_class,
        )
        for med in reads.records(*_concomitant_read(session, today))
    ]


def _gate_prerequisites(asked: _Asked, reads: ChartReads) -> list[Prerequisite]:
    """The session's prerequisites (as `session_prerequisites`), with every read of the patient's
    records that the gate's checks will ask for sent at once (`ChartReads.read_records_together`).

    Of an ad-hoc session, whether the patient is insured is read in the same statement, so the
    authorization's own read is planned before it is known to be needed (a read more, no statement
    more)."""
    prerequisites, runs, insured_read = _planned_reads(asked, reads)
    reads.read_records_together(runs)
    if insured_read and not reads.records(*insured_read):
        prerequisites = [p for p in prerequisites if p.kind != Prereq.PRIOR_AUTHORIZATION]
    return prerequisites


def _planned_reads(asked: _Asked, reads: ChartReads) -> tuple[list[Prerequisite], list[tuple[Prepared, dict]], tuple]:
    """The session's prerequisites, the reads of the patient's records its checks will ask for,
    and of an ad-hoc session the read of whether the patient is insured (else None), among them."""
    session = asked.session
    template = session_template(session)
    insured_read = None
    if template is not None:
        prerequisites = _template_prerequisites(template, session)
    else:
        prerequisites = _ad_hoc_prerequisites(asked.medication, insured=True)
        insured_read = (q.HAS_AUTHORIZATIONS, {"patient": session.patient_id})
    policy = reads.policy
    runs = [read for p in prerequisites if (read := _records_read(p, asked, policy))]
    runs.append(_concomitant_read(session, asked.today))
    if insured_read:
        runs.append(insured_read)
    return prerequisites, runs, insured_read


def gate_record_reads(*, session: Session, now: datetime, reads: ChartReads) -> list[tuple[Prepared, dict]]:
    """The reads of the patient's records that `gate_items` (asked of no medication or route, at
    `now`) plans, where the session's medication is its plan step's, as it is until a dose of
    another is given: for a caller reading them ahead, with the session's rows (`reads` is asked
    only for the charting policy). Where the doses say otherwise, the gate reads what it lacks."""
    medication = _follow(session, "planned_session", "step", "medication") or None
    asked = _Asked(session, medication, None, now, session.clinic.local_date(now))
    return _planned_reads(asked, reads)[1]


def gate_items(
    *,
    session: Session,
    medication: str | None = None,
    route: str | None = None,
    now: datetime | None = None,
    reads: ChartReads | None = None,
) -> list[dict]:
    """Every unmet pre-dose item, overridden or not (`reads`: the session's rows, some perhaps read
    already by the caller)."""
    now = now or timezone.now()
    reads = reads or ChartReads(session)
    medication = session_medication(session, medication, reads)
    asked = _Asked(session, medication, route, now, session.clinic.local_date(now))
    ctx = _Context(
        policy=reads.policy,
        limits=reads.limits,
        prerequisites=_gate_prerequisites(asked, reads),
        attestation=reads.attestation,
    )
    unmet = []
    for prereq in ctx.prerequisites:
        found = _check_prerequisite(prereq, asked, ctx, reads)
        if found:
            unmet.append(found)
    predose = _check_predose_vitals(now, ctx, medication, reads)
    if predose:
        unmet.append(predose)
    unmet.extend(_check_concomitant(session, asked.today, reads))
    return unmet


def _overrides(session: Session, stage: str) -> dict[str, ChecklistOverride]:
    return {o.item: o for o in ChecklistOverride.objects.filter(session=session, stage=stage)}


def _split(items: list[dict], overrides: dict[str, ChecklistOverride]) -> tuple[list[dict], list[dict]]:
    blocking, overridden = [], []
    for item in items:
        # An item the label makes mandatory (`overridable: False`) blocks whatever was overridden.
        override = overrides.get(item["item"]) if item.get("overridable", True) else None
        if override is None:
            blocking.append(item)
        else:
            overridden.append(
                {
                    **item,
                    "override": {
                        "reason": override.reason,
                        "by": override.overridden_by_id,
                        "at": override.overridden_at.isoformat(),
                    },
                }
            )
    return blocking, overridden


def gate_unmet(*, session: Session, medication: str | None = None, route: str | None = None) -> list[dict]:
    """Every pre-dose item that blocks dosing now (unmet and not overridden), all at once."""
    blocking, _ = _split(gate_items(session=session, medication=medication, route=route), _overrides(session, "gate"))
    return blocking


def gate_status(*, session: Session) -> dict:
    blocking, overridden = _split(gate_items(session=session), _overrides(session, "gate"))
    return {"ready": not blocking, "unmet": blocking, "overridden": overridden}


# --- discharge -------------------------------------------------------------------------------------


def discharge_items(*, session: Session, now: datetime | None = None, reads: ChartReads | None = None) -> list[dict]:
    """Every unmet discharge criterion. A session without a dose has nothing to monitor.
    (`reads`: the session's rows, some perhaps read already by the caller.)"""
    now = now or timezone.now()
    reads = reads or ChartReads(session)
    doses = reads.given_doses()
    if not doses:
        return []
    # The one early end of monitoring: a transfer to emergency care, recorded with time and destination.
    if reads.emergency_transfer() is not None:
        return []
    policy = reads.policy
    unmet = []
    last_dose_at = max((d.stopped_at or d.started_at) for d in doses)
    esketamine = any(d.medication == Medication.ESKETAMINE for d in doses)
    minutes = policy.discharge_minutes_esketamine if esketamine else policy.discharge_minutes_ketamine
    ready_at = last_dose_at + timedelta(minutes=minutes)
    if now < ready_at:
        # The esketamine REMS' 2 hours is the label's, not a prescriber's call.
        extra = {"overridable": False} if esketamine else {}
        unmet.append(
            _item(
                "monitoring_time",
                f"Monitor at least {minutes} min after the last dose.",
                ready_at=ready_at.isoformat(),
                **extra,
            )
        )
    if esketamine:
        first_at = min(d.started_at for d in doses if d.medication == Medication.ESKETAMINE)
        due = first_at + timedelta(minutes=40)
        window = timedelta(minutes=15)
        if reads.latest_vital(start=due - window, end=due + window, measures="systolic_mmhg") is None:
            missed = now > due + window
            unmet.append(
                _item(
                    "bp_at_40_min",
                    "The blood pressure about 40 minutes after the first device was not taken (a prescriber "
                    "records why)."
                    if missed
                    else "The blood pressure about 40 minutes after the first device is due.",
                    due_at=due.isoformat(),
                    missed=missed,
                )
            )
    last_bp = reads.latest_vital(start=last_dose_at, end=now, measures="systolic_mmhg")
    last_spo2 = reads.latest_vital(start=last_dose_at, end=now, measures="spo2_percent")
    limits = reads.limits
    hold = limits.get(ThresholdRuleKind.PREDOSE_HOLD)
    problems = []
    if last_bp is None:
        problems.append("no blood pressure since the last dose")
    elif hold and bp_above_hold(last_bp, hold):
        problems.append(
            f"blood pressure {last_bp.systolic_mmhg}/{last_bp.diastolic_mmhg} "
            f"above {hold['systolic_mmhg']}/{hold['diastolic_mmhg']}"
        )
    if last_spo2 is None:
        problems.append("no SpO2 since the last dose")
    elif last_spo2.spo2_percent <= policy.discharge_min_spo2_percent:
        problems.append(f"SpO2 {last_spo2.spo2_percent} % not above {policy.discharge_min_spo2_percent} %")
    if problems:
        unmet.append(_item("vitals_in_limits", "Vitals are not back inside limits: " + "; ".join(problems) + "."))
    sedation = reads.latest_sedation(start=last_dose_at, end=now)
    if sedation is None or sedation.moaas != 5:
        unmet.append(
            _item(
                "sedation",
                "MOAA/S must be 5 (responds readily to name) after the last dose.",
                moaas=sedation.moaas if sedation else None,
            )
        )
    attestation = reads.attestation
    if attestation is None or not attestation.escort_present:
        unmet.append(_item("escort_present", "The responsible adult escort is not recorded as present."))
    return unmet


def emergency_transfer(session: Session):
    """The session's transfer to emergency care, when one is recorded (the earliest)."""
    return ChartReads(session).emergency_transfer()


def discharge_unmet(*, session: Session) -> list[dict]:
    blocking, _ = _split(discharge_items(session=session), _overrides(session, "discharge"))
    return blocking


def discharge_status(*, session: Session) -> dict:
    blocking, overridden = _split(discharge_items(session=session), _overrides(session, "discharge"))
    return {"ready": not blocking, "unmet": blocking, "overridden": overridden}
