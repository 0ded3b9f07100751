"""Write paths of the follow-up engine that are not planning: crisis pages, staff acknowledgement,
inbound SMS keywords, and the answers to integration care's check-in announcements."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.db.models import F, Func, Value
from django.utils import timezone

from followups.models import FollowUp
from integration.conf import conf as integration_conf
from integration.models import CheckIn, OnCallEntry
from kat_clinic.errors import Conflict, NotAllowed, RuleViolation
from kat_clinic.models import ClinicMembership, Patient, StaffMember
from kat_clinic.roles import CLINICAL_ROLES, Role

Kind = FollowUp.Kind
Status = FollowUp.Status


# --- Check-in links and the crisis path ----------------------------------------------------------


def checkin_link_request(*, followup_id: int, patient_id: int | None = None, lock: bool = False) -> str | None:
    """The rating scale a link's follow-up asks for ("" for none), or None when there is no such
    follow-up (about `patient_id`, when given). `lock` holds the row until the transaction ends,
    so two answers through one link are serialised."""
    rows = FollowUp.objects.filter(pk=followup_id)
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    if lock:
        rows = rows.select_for_update()
    followup = rows.first()
    return None if followup is None else (followup.payload.get("scale") or "")


def crisis_page_on_call(*, checkin: CheckIn) -> list[FollowUp]:
    """Page the on-call list in order: the first now, each next one a deadline later, then every
    prescriber of the clinic. Acknowledging any page stops the rest. Call inside the check-in's transaction.
    """
    deadline = dt.timedelta(minutes=integration_conf("CRISIS_ACK_DEADLINE_MINUTES"))
    now = timezone.now()
    staff_ids = list(
        OnCallEntry.objects.filter(clinic_id=checkin.clinic_id).order_by("position").values_list("staff_id", flat=True)
    )
    common = {
        "clinic_id": checkin.clinic_id,
        "kind": Kind.CRISIS_PAGE,
        "channel": FollowUp.Channel.IN_APP,
        "patient_id": checkin.patient_id,
    }
    rows = [
        FollowUp(
            **common,
            target=FollowUp.Target.STAFF,
            staff_id=staff_id,
            due_at=now + position * deadline,
            idempotency_key=f"{Kind.CRISIS_PAGE}:c{checkin.pk}:{position + 1}",
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
            idempotency_key=f"{Kind.CRISIS_PAGE}:c{checkin.pk}:prescribers",
            payload={"checkin_id": checkin.pk, "position": len(staff_ids) + 1},
        )
    )
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    # The first page is due now: wake the dispatcher instead of waiting for beat. If the broker is
    # down, beat's next pass picks it up; the rows are already committed.
    transaction.on_commit(_nudge_dispatcher, robust=True)
    return rows


def _nudge_dispatcher() -> None:
    from followups.tasks import dispatch_followups

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
        or (followup.kind == Kind.CRISIS_PAGE and bool(roles & CLINICAL_ROLES))
    )
    if not allowed:
        raise NotAllowed("This alert is addressed to someone else.", code="not_your_alert")
    if followup.status == Status.ACKNOWLEDGED:
        return followup
    if followup.status in (Status.CANCELLED, Status.FAILED):
        raise Conflict(f"This alert is {followup.status}.", code="alert_closed")
    now = timezone.now()
    followup.status, followup.acknowledged_at, followup.acknowledged_by = Status.ACKNOWLEDGED, now, by
    followup.lease_expires_at = None
    followup.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "lease_expires_at"])
    if followup.kind == Kind.CRISIS_PAGE:
        FollowUp.objects.filter(
            kind=Kind.CRISIS_PAGE,
            payload__checkin_id=followup.payload.get("checkin_id"),
            status__in=FollowUp.OPEN_STATUSES,
        ).update(status=Status.CANCELLED, cancelled_at=now, last_error=f"acknowledged by staff {by.pk}")
    return followup


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
        ).update(status=Status.CANCELLED, cancelled_at=timezone.now(), last_error="patient sent STOP")
        return "stopped"
    Patient.objects.filter(pk__in=patients.values("pk")).update(sms_opt_in=True)
    return "started"
