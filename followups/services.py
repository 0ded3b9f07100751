"""Write paths of the follow-up engine that are not planning: staff acknowledgement, inbound SMS
keywords, and the answers to integration care's check-in announcements."""

from __future__ import annotations

import re

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F, Func, Value
from django.utils import timezone

from followups.models import TALLY_KEY, TALLY_TABLE, FollowUp
from kat_clinic.access.scoping import can
from kat_clinic.errors import Conflict, NotAllowed, RuleViolation
from kat_clinic.models import ClinicMembership, Patient, StaffMember
from monitoring.models import Alert
from monitoring.services.alerts import alert_acknowledge

Kind = FollowUp.Kind
Status = FollowUp.Status


# --- The queue's tally -----------------------------------------------------------------------------

_KEY = ", ".join(TALLY_KEY)
_SAME_KEY = " AND ".join(
    f"coalesce(tally.{c}, 0) = coalesce(summed.{c}, 0)" if c == "staff_id" else f"tally.{c} = summed.{c}"
    for c in TALLY_KEY
)
# One statement: the rows of change are deleted and their sums added to the folded rows together,
# so no snapshot sees a change twice or not at all. Rows of change written by a transaction still
# open are not seen, and wait for the next fold; a fold running at the same time finds them gone.
# A folded row is updated in place (a key's change may be negative, which a proposed row of
# INSERT ... ON CONFLICT may not be); a new key's sum, counted rows that committed, is not.
_FOLD = f"""
    WITH moved AS (DELETE FROM {TALLY_TABLE} WHERE NOT folded RETURNING {_KEY}, n),
    summed AS (SELECT {_KEY}, sum(n)::bigint AS n FROM moved GROUP BY {_KEY}),
    updated AS (
        UPDATE {TALLY_TABLE} AS tally SET n = tally.n + summed.n FROM summed WHERE tally.folded AND {_SAME_KEY}
    ),
    added AS (
        INSERT INTO {TALLY_TABLE} AS tally ({_KEY}, n, folded)
        SELECT {_KEY}, n, true FROM summed
        WHERE NOT EXISTS (SELECT FROM {TALLY_TABLE} AS tally WHERE tally.folded AND {_SAME_KEY})
        ON CONFLICT ({_KEY}) WHERE folded DO UPDATE SET n = tally.n + excluded.n
    )
    SELECT count(*) FROM summed
"""


def queue_tallies_fold(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Fold the queue tally's rows of change into one row per key; returns how many keys changed."""
    with connections[using].cursor() as cursor:
        cursor.execute(_FOLD)
        return cursor.fetchone()[0]


# --- Check-in links --------------------------------------------------------------------------------


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


# --- Staff alerts ----------------------------------------------------------------------------------


def _roles_at(staff: StaffMember, clinic_id: int) -> set[str]:
    return set(
        ClinicMembership.objects.filter(staff=staff, clinic_id=clinic_id, active=True).values_list("role", flat=True)
    )


@transaction.atomic
def followup_acknowledge(*, followup_id: int, by: StaffMember) -> FollowUp:
    """Acknowledge a staff alert. Safe to call twice. Acknowledging a clinical alert's item
    acknowledges the alert itself, which stops its escalation."""
    followup = FollowUp.objects.select_for_update().get(pk=followup_id)
    if followup.kind == Kind.CLINICAL_ALERT:
        return _clinical_alert_acknowledge(followup=followup, by=by)
    if followup.channel != FollowUp.Channel.IN_APP:
        raise RuleViolation("Only staff alerts are acknowledged.", code="not_an_alert")
    roles = _roles_at(by, followup.clinic_id)
    allowed = (followup.target == FollowUp.Target.STAFF and followup.staff_id == by.pk) or (
        followup.target == FollowUp.Target.ROLE and followup.role in roles
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
    return followup


def _clinical_alert_acknowledge(*, followup: FollowUp, by: StaffMember) -> FollowUp:
    # Whoever of the clinic's clinicians may acknowledge alerts takes it on, not only the addressee:
    # the same right as acknowledging it on the Alerts screen.
    if not can(by.user, "alert.ack", followup.clinic_id):
        raise NotAllowed("Your role at this clinic does not acknowledge clinical alerts.", code="role_required")
    alert = Alert.objects.select_for_update().get(pk=followup.alert_id)
    if alert.acknowledged_at is None:
        # Announced to `followups.receivers`, which acknowledges the in-app items (this one too)
        # and cancels the steps not yet sent.
        alert_acknowledge(alert=alert, by=by)
    followup.refresh_from_db()
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
