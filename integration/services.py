"""Integration care: plans, check-ins through signed links, the crisis path, alerts, opt-out."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Func, Value
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from integration.conf import conf
from integration.links import checkin_grant
from integration.models import CheckIn, FollowUp, IntegrationPlan, OnCallEntry
from integration.risk import ScaleAnswersInvalid, assess
from kat_clinic.api.errors import Conflict, PreconditionFailed, RuleViolation
from kat_clinic.models import ClinicMembership, Patient, StaffMember
from kat_clinic.roles import CLINICAL_ROLES, Role
from programs.choices import SessionKind
from sessions.models import Session

logger = logging.getLogger(__name__)

K = FollowUp.Kind
S = FollowUp.Status


# --- Check-ins and the crisis path ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckInResult:
    checkin: CheckIn
    crisis_line: str | None


def _refuse_link() -> PermissionDenied:
    # One answer for tampered, expired and someone else's link: the caller learns nothing more.
    return PermissionDenied("This link is not valid or has expired.", code="link_invalid")


def checkin_link_context(*, patient_id: int, token: str) -> dict[str, Any]:
    """What a link asks for: the clinic, the crisis line, the scale due (if the link is a scale request)."""
    grant = checkin_grant(token)
    if grant is None or grant.patient_id != patient_id:
        raise _refuse_link()
    from kat_clinic.models import Clinic

    clinic = Clinic.objects.get(pk=grant.clinic_id)
    followup = FollowUp.objects.filter(pk=grant.followup_id).first() if grant.followup_id else None
    return {
        "clinic_name": clinic.name,
        "crisis_line": clinic.crisis_line,
        "scale": (followup.payload.get("scale") or "") if followup else "",
        "answered": bool(followup and CheckIn.objects.filter(followup=followup).exists())
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

    A check-in that signals risk returns the clinic's crisis line at once and pages the on-call list
    in the same transaction.
    """
    grant = checkin_grant(token)
    if grant is None or grant.patient_id != patient_id:
        raise _refuse_link()
    patient = Patient.objects.select_related("home_clinic").get(pk=grant.patient_id)
    followup = None
    if grant.followup_id is not None:
        followup = FollowUp.objects.select_for_update().filter(pk=grant.followup_id, patient=patient).first()
        if followup is None:
            raise _refuse_link()
        if CheckIn.objects.filter(followup=followup).exists():
            raise Conflict("This check-in was already sent. Thank you.", code="already_answered")
        requested = followup.payload.get("scale", "")
        if requested and not scale:
            scale = requested
        if requested and scale_answers is None:
            raise RuleViolation(
                "Please answer the questionnaire.", code="scale_required", errors={"scale_answers": ["Required."]}
            )
    elif CheckIn.objects.filter(link_id=grant.link_id).exists():
        raise Conflict("This check-in was already sent. Thank you.", code="already_answered")
    risk_flagged, risk_reason, total = False, "", None
    if scale:
        try:
            risk = assess(scale, scale_answers)
        except ScaleAnswersInvalid as exc:
            raise RuleViolation("The questionnaire answers are not complete.", code="scale_invalid", errors=exc.errors)
        risk_flagged, risk_reason, total = risk.high_risk, risk.reason, risk.total
    checkin = CheckIn.objects.create(
        patient=patient,
        clinic_id=grant.clinic_id,
        followup=followup,
        link_id=grant.link_id if followup is None else "",
        mood_0_10=mood_0_10,
        sleep_hours=sleep_hours,
        note=note,
        scale=scale,
        scale_answers=scale_answers if scale else None,
        scale_total=total,
        risk_flagged=risk_flagged,
        risk_reason=risk_reason[:200],
    )
    if not risk_flagged:
        return CheckInResult(checkin=checkin, crisis_line=None)
    crisis_page_on_call(checkin=checkin)
    return CheckInResult(checkin=checkin, crisis_line=checkin.clinic.crisis_line)


def crisis_page_on_call(*, checkin: CheckIn) -> list[FollowUp]:
    """Page the on-call list in order: the first now, each next one a deadline later, then every
    prescriber of the clinic. Acknowledging any page stops the rest. Call inside the check-in's transaction.
    """
    deadline = dt.timedelta(minutes=conf("CRISIS_ACK_DEADLINE_MINUTES"))
    now = timezone.now()
    staff_ids = list(
        OnCallEntry.objects.filter(clinic_id=checkin.clinic_id).order_by("position").values_list("staff_id", flat=True)
    )
    common = {
        "clinic_id": checkin.clinic_id,
        "kind": K.CRISIS_PAGE,
        "channel": FollowUp.Channel.IN_APP,
        "patient_id": checkin.patient_id,
    }
    rows = [
        FollowUp(
            **common,
            target=FollowUp.Target.STAFF,
            staff_id=staff_id,
            due_at=now + position * deadline,
            idempotency_key=f"{K.CRISIS_PAGE}:c{checkin.pk}:{position + 1}",
            payload={"checkin_id": checkin.pk, "position": position + 1},
        )
        for position, staff_id in enumerate(staff_ids)
    ]
    rows.append(
        FollowUp(
            **common,
            target=FollowUp.Target.ROLE,
            role=Role.PRESCRIBER,
            due_at=now + len(staff_ids) * deadline,
            idempotency_key=f"{K.CRISIS_PAGE}:c{checkin.pk}:prescribers",
            payload={"checkin_id": checkin.pk, "position": len(staff_ids) + 1},
        )
    )
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    # The first page is due now: wake the dispatcher instead of waiting for beat. If the broker is
    # down, beat's next pass picks it up; the rows are already committed.
    transaction.on_commit(_nudge_dispatcher, robust=True)
    return rows


def _nudge_dispatcher() -> None:
    from integration.tasks import dispatch_followups

    dispatch_followups.delay()


# --- Staff alerts ----------------------------------------------------------------------------------


def _roles_at(staff: StaffMember, clinic_id: int) -> set[str]:
    return set(
        ClinicMembership.objects.filter(staff=staff, clinic_id=clinic_id, active=True).values_list("role", flat=True)
    )


@transaction.atomic
def followup_acknowledge(*, followup_id: int, by: StaffMember) -> FollowUp:
    """Acknowledge a staff alert. Safe to call twice. Acknowledging a crisis page stops its escalation."""
    followup = FollowUp.objects.select_for_update().get(pk=followup_id)
    if followup.channel != FollowUp.Channel.IN_APP:
        raise RuleViolation("Only staff alerts are acknowledged.", code="not_an_alert")
    roles = _roles_at(by, followup.clinic_id)
    allowed = (
        (followup.target == FollowUp.Target.STAFF and followup.staff_id == by.pk)
        or (followup.target == FollowUp.Target.ROLE and followup.role in roles)
        # Whoever of the clinic's clinicians takes a crisis on, it is taken on.
        or (followup.kind == K.CRISIS_PAGE and bool(roles & CLINICAL_ROLES))
    )
    if not allowed:
        raise PermissionDenied("This alert is addressed to someone else.", code="not_your_alert")
    if followup.status == S.ACKNOWLEDGED:
        return followup
    if followup.status in (S.CANCELLED, S.FAILED):
        raise Conflict(f"This alert is {followup.status}.", code="alert_closed")
    now = timezone.now()
    followup.status, followup.acknowledged_at, followup.acknowledged_by = S.ACKNOWLEDGED, now, by
    followup.lease_expires_at = None
    followup.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "lease_expires_at"])
    if followup.kind == K.CRISIS_PAGE:
        FollowUp.objects.filter(
            kind=K.CRISIS_PAGE,
            payload__checkin_id=followup.payload.get("checkin_id"),
            status__in=FollowUp.OPEN_STATUSES,
        ).update(status=S.CANCELLED, cancelled_at=now, last_error=f"acknowledged by staff {by.pk}")
    return followup


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


# --- Inbound SMS (STOP / START) --------------------------------------------------------------------

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
START_WORDS = frozenset({"start", "unstop"})


@transaction.atomic
def patient_sms_inbound(*, from_number: str, body: str) -> str:
    """Apply a carrier keyword from a patient's phone: STOP opts out (and cancels queued SMS), START back in.

    Returns "stopped", "started" or "ignored". Matching is on the last 10 digits of the number.
    """
    digits = re.sub(r"\D", "", from_number)[-10:]
    words = body.strip().split()
    keyword = words[0].lower() if words else ""
    if len(digits) < 10 or keyword not in STOP_WORDS | START_WORDS:
        return "ignored"
    patients = Patient.objects.annotate(
        phone_digits=Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace")
    ).filter(phone_digits__endswith=digits)
    if keyword in STOP_WORDS:
        ids = list(patients.values_list("pk", flat=True))
        Patient.objects.filter(pk__in=ids).update(sms_opt_in=False)
        FollowUp.objects.filter(
            patient_id__in=ids, channel=FollowUp.Channel.SMS, status__in=FollowUp.OPEN_STATUSES
        ).update(status=S.CANCELLED, cancelled_at=timezone.now(), last_error="patient sent STOP")
        return "stopped"
    Patient.objects.filter(pk__in=patients.values("pk")).update(sms_opt_in=True)
    return "started"
