"""Integration care: plans, check-ins through signed links, the crisis path, the on-call list.

What a check-in link means to the follow-up engine (the follow-up it answers) is announced through
`integration.signals`. A check-in that signals risk raises a clinical alert through charting's
`alerts_raise`, like any alert: the follow-up engine routes it to the on-call list and escalates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integration import signals
from integration.links import checkin_grant
from integration.models import AlertPolicy, CheckIn, IntegrationPlan, OnCallEntry
from integration.risk import ReviewFlags, Risk, ScaleAnswersInvalid, assess, review_flags
from integration.selectors import alert_policy_for
from kat_clinic.errors import Conflict, NotAllowed, PreconditionFailed, RuleViolation
from kat_clinic.models import Clinic, ClinicMembership, Patient, StaffMember
from kat_clinic.roles import CLINICAL_ROLES
from monitoring.models import Alert
from monitoring.services.alerts import AlertCandidate, alerts_raise
from monitoring.services.scales import ALERT_KIND
from programs.choices import SessionKind
from sessions.models import Session

# --- Check-ins and the crisis path ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckInResult:
    checkin: CheckIn
    crisis_line: str | None


def _refuse_link() -> NotAllowed:
    # One answer for tampered, expired and someone else's link: the caller learns nothing more.
    return NotAllowed("This link is not valid or has expired.", code="link_invalid")


def _link_request(*, followup_id: int, patient_id: int | None = None, lock: bool = False) -> str | None:
    """The rating scale the link's follow-up asks for ("" for none); None if no such follow-up."""
    responses = signals.checkin_link_followed.send(
        sender=CheckIn, followup_id=followup_id, patient_id=patient_id, lock=lock
    )
    return next((answer for _, answer in responses if answer is not None), None)


def checkin_link_context(*, patient_id: int, token: str) -> dict[str, Any]:
    """What a link asks for: the clinic, the crisis line, the scale due (if the link is a scale request)."""
    grant = checkin_grant(token)
    if grant is None or grant.patient_id != patient_id:
        raise _refuse_link()
    clinic = Clinic.objects.get(pk=grant.clinic_id)
    requested = _link_request(followup_id=grant.followup_id) if grant.followup_id else None
    return {
        "clinic_name": clinic.name_for_patients,
        "crisis_line": clinic.crisis_line,
        "scale": requested or "",
        "answered": (requested is not None and CheckIn.objects.filter(followup_id=grant.followup_id).exists())
        or bool(grant.link_id and CheckIn.objects.filter(link_id=grant.link_id).exists()),
    }


@transaction.atomic
def checkin_submit(
    *,
    patient_id: int,
    token: str,
    mood_0_10: int,
    sleep_hours: Decimal | None = None,
    note: str = "",
    scale: str = "",
    scale_answers: Any = None,
) -> CheckInResult:
    """Record a check-in from a signed link. A link answers once (409 after), for its patient only.

    A check-in that signals risk (a high-risk scale answer, or the clinic's review rule: a very low
    mood, risk words in the note) is flagged, returns the clinic's crisis line at once and raises a
    clinical alert in the same transaction, which pages the on-call list.
    """
    grant = checkin_grant(token)
    if grant is None or grant.patient_id != patient_id:
        raise _refuse_link()
    patient = Patient.objects.select_related("home_clinic").get(pk=grant.patient_id)
    followup_id = grant.followup_id
    if followup_id is not None:
        requested = _link_request(followup_id=followup_id, patient_id=patient.pk, lock=True)
        if requested is None:
            raise _refuse_link()
        if CheckIn.objects.filter(followup_id=followup_id).exists():
            raise Conflict("This check-in was already sent. Thank you.", code="already_answered")
        if requested and not scale:
            scale = requested
        if requested and scale_answers is None:
            raise RuleViolation(
                "Please answer the questionnaire.", code="scale_required", errors={"scale_answers": ["Required."]}
            )
    elif CheckIn.objects.filter(link_id=grant.link_id).exists():
        raise Conflict("This check-in was already sent. Thank you.", code="already_answered")
    risk, total = None, None
    if scale:
        try:
            risk = assess(scale, scale_answers)
        except ScaleAnswersInvalid as exc:
            raise RuleViolation("The questionnaire answers are not complete.", code="scale_invalid", errors=exc.errors)
        total = risk.total
    policy = alert_policy_for(grant.clinic_id)
    flags = review_flags(
        mood_0_10=mood_0_10,
        note=note,
        low_mood_at_most=policy.checkin_low_mood_at_most,
        words=policy.checkin_risk_words,
    )
    reasons = _risk_reasons(risk=risk, flags=flags, mood_0_10=mood_0_10, policy=policy)
    checkin = CheckIn.objects.create(
        patient=patient,
        clinic_id=grant.clinic_id,
        followup_id=followup_id,
        link_id=grant.link_id if followup_id is None else "",
        mood_0_10=mood_0_10,
        sleep_hours=sleep_hours,
        note=note,
        scale=scale,
        scale_answers=scale_answers if scale else None,
        scale_total=total,
        risk_flagged=bool(reasons),
        risk_reason=" ".join(reasons)[:200],
    )
    if not reasons:
        return CheckInResult(checkin=checkin, crisis_line=None)
    _checkin_alert_raise(checkin=checkin, kind=_alert_kind(scale=scale, risk=risk, flags=flags), reasons=reasons)
    return CheckInResult(checkin=checkin, crisis_line=checkin.clinic.crisis_line)


def _risk_reasons(*, risk: Risk | None, flags: ReviewFlags, mood_0_10: int, policy: AlertPolicy) -> list[str]:
    """Why a check-in needs a clinician, in words, most serious first; empty when it does not."""
    reasons = []
    if risk is not None and risk.high_risk:
        reasons.append(risk.reason)
    if flags.words:
        reasons.append(f"The note mentions: {', '.join(flags.words)}.")
    if flags.low_mood:
        threshold = policy.checkin_low_mood_at_most
        reasons.append(f"Mood {mood_0_10}/10, at or below the clinic's review threshold of {threshold}.")
    return reasons


def _alert_kind(*, scale: str, risk: Risk | None, flags: ReviewFlags) -> str:
    if risk is not None and risk.high_risk:
        return ALERT_KIND[scale]
    return Alert.Kind.CHECKIN_RISK_WORDS if flags.words else Alert.Kind.CHECKIN_LOW_MOOD


def _checkin_alert_raise(*, checkin: CheckIn, kind: str, reasons: list[str]) -> None:
    """One high-priority alert per flagged check-in, in its transaction: the on-call list hears of it
    through the follow-up engine, and it stays open until a clinician acknowledges it."""
    alerts_raise(
        candidates=[
            AlertCandidate(
                kind=kind,
                dedupe_key=f"checkin:{checkin.pk}",
                message=f"Check-in flagged for review. {' '.join(reasons)}"[:300],
                episode_started_at=checkin.submitted_at,
                clinic_id=checkin.clinic_id,
                patient_id=checkin.patient_id,
                details={"checkin_id": checkin.pk, "reasons": reasons},
            )
        ]
    )


# --- Integration plan ------------------------------------------------------------------------------

PLAN_FIELDS = ("themes", "goals", "practices", "homework")


@transaction.atomic
def integration_plan_update(
    *,
    enrollment,
    by: StaffMember,
    session: Session | None = None,
    expected_version: int | None = None,
    **changes: Any,
) -> IntegrationPlan:
    """Create or change an enrollment's integration plan; each change is a new version in its history.

    412 when `expected_version` is given and the plan has moved on since it was read.
    """
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown plan fields: {sorted(unknown)}")
    if session is not None:
        if session.patient_id != enrollment.patient_id or session.kind != SessionKind.INTEGRATION:
            raise RuleViolation(
                "The plan is updated from one of this patient's integration sessions.",
                code="not_an_integration_session",
                errors={"session": ["Choose an integration session of this patient."]},
            )
        if session.status in (Session.Status.CANCELLED, Session.Status.NO_SHOW):
            raise RuleViolation(
                f"That session is {session.status}.", code="session_not_held", errors={"session": ["Not held."]}
            )
    plan = IntegrationPlan.objects.select_for_update().filter(enrollment=enrollment).first()
    now = timezone.now()
    if plan is None:
        if expected_version not in (None, 0):
            raise PreconditionFailed(code="stale_version")
        return IntegrationPlan.objects.create(
            enrollment=enrollment,
            patient_id=enrollment.patient_id,
            clinic_id=enrollment.clinic_id,
            last_session=session,
            updated_by=by,
            updated_at=now,
            **changes,
        )
    if expected_version is not None and expected_version != plan.version:
        raise PreconditionFailed(code="stale_version", current_version=plan.version)
    for field, value in changes.items():
        setattr(plan, field, value)
    plan.last_session, plan.updated_by, plan.updated_at = session, by, now
    plan.version = F("version") + 1
    plan.save()
    plan.refresh_from_db()
    return plan


# --- On-call list ----------------------------------------------------------------------------------


@transaction.atomic
def oncall_set(*, clinic_id: int, staff_ids: list[int]) -> list[OnCallEntry]:
    """Replace a clinic's on-call list, first to page first. Everyone on it is a clinician there."""
    if len(set(staff_ids)) != len(staff_ids):
        raise RuleViolation("Someone is on the list twice.", code="duplicate", errors={"staff": ["Duplicate."]})
    clinicians = set(
        ClinicMembership.objects.filter(
            clinic_id=clinic_id, staff_id__in=staff_ids, role__in=CLINICAL_ROLES, active=True, staff__active=True
        ).values_list("staff_id", flat=True)
    )
    missing = [pk for pk in staff_ids if pk not in clinicians]
    if missing:
        raise RuleViolation(
            "Only the clinic's clinicians can be on call.",
            code="not_a_clinician",
            errors={"staff": [f"Staff {pk} is not a clinician at this clinic." for pk in missing]},
        )
    OnCallEntry.objects.filter(clinic_id=clinic_id).delete()
    return OnCallEntry.objects.bulk_create(
        [OnCallEntry(clinic_id=clinic_id, staff_id=pk, position=n) for n, pk in enumerate(staff_ids, start=1)]
    )
