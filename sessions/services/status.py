"""The session status machine: check in, start, complete, cancel, no-show.

Each transition is one conditional UPDATE (`kat_clinic.transitions.status_transition`), so two
clerks pressing "check in" at once change the row once; repeating a transition that is done is a
no-op, any other state is 409. The staff assignments' `active` flag is updated in the same
transaction, so the exclusion constraints always see both agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import Clinic, StaffMember
from kat_clinic.transitions import status_transition
from programs.choices import SessionKind
from sessions import signals
from sessions.models import SchedulingPolicy, Session, StaffAssignment
from sessions.services.linked_integration import linked_integrations_settle
from sessions.services.program_links import program_after_complete, program_after_release
from sessions.status_gates import require_dependencies_completed, require_within_window

Status = Session.Status

DEFAULT_LATE_CANCEL_HOURS = 24


def _late_cancel_window(clinic: Clinic) -> dt.timedelta:
    hours = (
        SchedulingPolicy.objects.filter(clinic=clinic).values_list("late_cancel_hours", flat=True).first()
        or DEFAULT_LATE_CANCEL_HOURS
    )
    return dt.timedelta(hours=hours)


def refuse_transition(session_id: int, action: str) -> None:
    """409 naming the state the session is in."""
    current = Session.objects.filter(pk=session_id).values_list("status", flat=True).first()
    raise Conflict(
        f"A session that is {current} cannot be {action}.",
        code="illegal_transition",
        errors={"status": [f"Cannot {action} from {current}."]},
        status=current,
    )


def _transition(*, session_id: int, allowed: Sequence[str], target: str, action: str, **fields) -> tuple[Session, bool]:
    """(session, changed): changed is False when a repeated request finds the work already done."""
    changed = status_transition(Session, pk=session_id, from_statuses=allowed, to_status=target, **fields)
    if not changed:
        current = Session.objects.filter(pk=session_id).values_list("status", flat=True).first()
        if current != target:
            refuse_transition(session_id, action)
    return Session.objects.get(pk=session_id), changed


@transaction.atomic
def session_check_in(*, session_id: int, by: StaffMember | None = None, now: dt.datetime | None = None) -> Session:
    """scheduled -> checked_in, inside the clinic's window around the booked start (422 outside).
    Repeating it is a no-op; any other state is 409."""
    now = now or timezone.now()
    session = Session.objects.select_for_update(of=("self",)).select_related("clinic").get(pk=session_id)
    if session.status == Status.SCHEDULED:
        require_within_window(session=session, action="checked in", now=now)
    session, _ = _transition(
        session_id=session_id,
        allowed=[Status.SCHEDULED],
        target=Status.CHECKED_IN,
        action="checked in",
        checked_in_at=now,
        checked_in_by=by,
    )
    return session


@transaction.atomic
def session_start(*, session_id: int, by: StaffMember | None = None, now: dt.datetime | None = None) -> Session:
    """checked_in -> in_progress, recording who started it, inside the clinic's window (422) and
    once the sessions it depends on are completed (409). Repeating it is a no-op; any other state is 409."""
    now = now or timezone.now()
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("clinic", "planned_session__step")
        .get(pk=session_id)
    )
    if session.status == Status.CHECKED_IN:
        require_within_window(session=session, action="started", now=now)
        require_dependencies_completed(session=session)
    session, _ = _transition(
        session_id=session_id,
        allowed=[Status.CHECKED_IN],
        target=Status.IN_PROGRESS,
        action="started",
        started_at=now,
        started_by=by,
    )
    return session


@transaction.atomic
def session_complete(*, session_id: int, by: StaffMember | None = None) -> Session:
    """in_progress -> completed, recording who completed it, once every receiver of
    `session_completing` allows it (charting's discharge criteria: 422). Repeating it is a no-op."""
    session = Session.objects.select_for_update().get(pk=session_id)
    if session.status == Status.IN_PROGRESS:
        # A receiver refuses by raising; nothing is written then.
        signals.session_completing.send(sender=Session, session=session)
    session, changed = _transition(
        session_id=session_id,
        allowed=[Status.IN_PROGRESS],
        target=Status.COMPLETED,
        action="completed",
        completed_at=timezone.now(),
        completed_by=by,
    )
    if changed:
        program_after_complete(session=session)
        signals.session_completed.send(sender=Session, session=session)
    return session


def _settle_linked(session: Session, choice: str | None, by: StaffMember | None, *, cause: str) -> None:
    if session.kind == SessionKind.DOSING:
        session.linked_integration_outcome = linked_integrations_settle(
            dosing=session, choice=choice, by=by, cause=cause
        )


def deactivate_assignments(session_id: int) -> None:
    StaffAssignment.objects.filter(session_id=session_id, active=True).update(active=False)


@transaction.atomic
def session_cancel(
    *,
    session_id: int,
    by: StaffMember | None,
    reason: str,
    now: dt.datetime | None = None,
    linked_integration: str | None = None,
) -> Session:
    """scheduled / checked_in -> cancelled, freeing room, patient and staff. Late if inside the
    clinic's late-cancel window. Cancelling a cancelled session is a no-op; other states are 409.
    A dosing session's booked integration is cancelled or kept per `linked_integration` (None: the
    default); what was done is on the returned session's `linked_integration_outcome`."""
    now = now or timezone.now()
    session = Session.objects.select_related("clinic").get(pk=session_id)
    reason = reason.strip()
    if not reason:
        raise RuleViolation(
            "Say why the session is cancelled.", code="reason_required", errors={"reason": ["This field is required."]}
        )
    late = session.starts_at - now < _late_cancel_window(session.clinic)
    session, changed = _transition(
        session_id=session_id,
        allowed=[Status.SCHEDULED, Status.CHECKED_IN],
        target=Status.CANCELLED,
        action="cancelled",
        active=False,
        cancelled_at=now,
        cancelled_by=by,
        cancellation_reason=reason,
        late_cancel=late,
    )
    if not changed:
        return session
    deactivate_assignments(session_id)
    program_after_release(session=session)
    signals.session_released.send(sender=Session, session=session)
    _settle_linked(session, linked_integration, by, cause="cancelled")
    return session


@transaction.atomic
def session_mark_no_show(
    *, session_id: int, by: StaffMember | None, now: dt.datetime | None = None, linked_integration: str | None = None
) -> Session:
    """scheduled -> no_show, once the session's start has passed. Repeating it is a no-op. A dosing
    session's booked integration is handled as in `session_cancel`."""
    now = now or timezone.now()
    session = Session.objects.get(pk=session_id)
    if session.status == Status.SCHEDULED and now < session.starts_at:
        raise RuleViolation(
            "A patient cannot be marked absent before the session starts.",
            code="no_show_before_start",
            errors={"status": ["The session has not started yet."]},
        )
    session, changed = _transition(
        session_id=session_id,
        allowed=[Status.SCHEDULED],
        target=Status.NO_SHOW,
        action="marked no-show",
        active=False,
        no_show_at=now,
        no_show_by=by,
    )
    if not changed:
        return session
    deactivate_assignments(session_id)
    program_after_release(session=session)
    signals.session_released.send(sender=Session, session=session)
    _settle_linked(session, linked_integration, by, cause="marked no-show")
    return session
