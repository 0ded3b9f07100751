"""Planners: the follow-ups the product makes, written as outbox rows in the caller's transaction.

Scheduling, programs and charting call these from their services, inside their own
`transaction.atomic()`, so a follow-up exists if and only if its cause committed. Every row's
idempotency key is derived from (kind, subject id, due slot): planning twice writes nothing new,
and moving a session cancels the rows of the old slot and writes rows for the new one.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from followups.conf import conf
from followups.models import FollowUp
from kat_clinic.models import Patient
from kat_clinic.roles import Role
from programs.choices import Medication, Pathway, SessionKind
from programs.models import Enrollment, ScaleScheduleItem, TemplateRule
from sessions.models import Session

Kind = FollowUp.Kind
Status = FollowUp.Status

# Kinds planned for a booked session, kept in step with its time by followups_retime_for_session.
SESSION_BOOKING_KINDS = (Kind.SESSION_REMINDER, Kind.NO_SHOW_REVIEW, Kind.SCALE_REQUEST, Kind.SCALE_REMINDER)


def _slot(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")


def _key(kind: str, subject: str, due: dt.datetime, extra: str = "") -> str:
    return f"{kind}:{subject}:{_slot(due)}{':' + extra if extra else ''}"


def patient_channel(patient: Patient) -> str | None:
    """The channel a patient may be reached on: SMS if opted in, else email; None if neither."""
    if patient.sms_opt_in and patient.phone:
        return FollowUp.Channel.SMS
    if patient.email_opt_in and patient.email:
        return FollowUp.Channel.EMAIL
    return None


def _for_patient(
    *,
    kind: str,
    session: Session | None,
    patient: Patient,
    clinic_id: int,
    due: dt.datetime,
    key: str,
    payload: dict,
    not_before: dt.datetime | None = None,
) -> FollowUp | None:
    channel = patient_channel(patient)
    if channel is None:
        return None
    return FollowUp(
        clinic_id=clinic_id,
        kind=kind,
        target=FollowUp.Target.PATIENT,
        channel=channel,
        patient=patient,
        session=session,
        due_at=max(due, not_before) if not_before else due,
        idempotency_key=key,
        payload=payload,
    )


def _for_role(
    *,
    kind: str,
    role: str,
    session: Session | None,
    patient_id: int | None,
    clinic_id: int,
    due: dt.datetime,
    key: str,
    payload: dict,
) -> FollowUp:
    return FollowUp(
        clinic_id=clinic_id,
        kind=kind,
        target=FollowUp.Target.ROLE,
        role=role,
        channel=FollowUp.Channel.IN_APP,
        patient_id=patient_id,
        session=session,
        due_at=due,
        idempotency_key=key,
        payload=payload,
    )


def _write(rows: list[FollowUp | None]) -> None:
    """Insert rows that do not exist yet; revive a cancelled row planned again for the same slot.

    ON CONFLICT DO NOTHING keeps two transactions planning the same key from failing each other.
    """
    rows = [row for row in rows if row is not None]
    if not rows:
        return
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    # One read finds the cancelled rows planned again (usually none); only those are written back.
    due_by_key = {row.idempotency_key: row.due_at for row in rows}
    revived = list(FollowUp.objects.filter(idempotency_key__in=due_by_key, status=Status.CANCELLED))
    for row in revived:
        row.status, row.due_at = Status.PENDING, due_by_key[row.idempotency_key]
        row.cancelled_at, row.last_error, row.lease_expires_at = None, "", None
    if revived:
        FollowUp.objects.bulk_update(revived, ["status", "due_at", "cancelled_at", "last_error", "lease_expires_at"])


def _cancel(queryset, *, reason: str) -> int:
    return queryset.filter(status__in=FollowUp.OPEN_STATUSES).update(
        status=Status.CANCELLED, cancelled_at=timezone.now(), lease_expires_at=None, last_error=reason
    )


def _enrollment_for(session: Session):
    """The enrollment a session belongs to: its planned session's if linked, else the patient's open one."""
    planned = getattr(session, "planned_session", None)
    if planned is not None:
        return planned.enrollment
    return (
        Enrollment.objects.filter(patient_id=session.patient_id, status__in=Enrollment.OPEN_STATUSES)
        .select_related("template")
        .order_by("-enrolled_at")
        .first()
    )


def _dosing_medication(session: Session, enrollment) -> str:
    planned = getattr(session, "planned_session", None)
    if planned is not None and planned.step.medication:
        return planned.step.medication
    if enrollment is None:
        return ""
    step = enrollment.template.steps.filter(kind=SessionKind.DOSING).exclude(medication="").first()
    return step.medication if step else ""


def _integration_window(session: Session, enrollment) -> dt.timedelta | None:
    """How long after this dosing its integration session may start; None if the pathway has none."""
    if enrollment is not None and enrollment.pathway != Pathway.KAT:
        return None
    planned = getattr(session, "planned_session", None)
    if planned is not None:
        integration = planned.integrations.exclude(window_max=None).first()
        if integration is not None:
            return integration.window_max
    if enrollment is not None:
        rule = (
            TemplateRule.objects.filter(template_id=enrollment.template_id, kind=TemplateRule.Kind.INTEGRATION_WINDOW)
            .exclude(max_interval=None)
            .first()
        )
        if rule is not None:
            return rule.max_interval
    return dt.timedelta(hours=conf("FOLLOWUP_INTEGRATION_WINDOW_HOURS"))


def _booking_rows(session: Session, scales_by_template: dict[int, list[str]] | None = None) -> list[FollowUp | None]:
    clinic, now = session.clinic, timezone.now()
    subject = f"s{session.pk}"
    rows: list[FollowUp | None] = []
    if session.status != Session.Status.SCHEDULED:
        return rows
    if session.starts_at > now:
        due = session.starts_at - dt.timedelta(hours=clinic.reminder_offset_hours)
        rows.append(
            _for_patient(
                kind=Kind.SESSION_REMINDER,
                session=session,
                patient=session.patient,
                clinic_id=clinic.pk,
                due=due,
                key=_key(Kind.SESSION_REMINDER, subject, due),
                payload={"session_id": session.pk},
                # Booked later than the offset: remind now rather than never.
                not_before=now,
            )
        )
    no_show_at = session.ends_at + dt.timedelta(minutes=conf("FOLLOWUP_NO_SHOW_GRACE_MINUTES"))
    rows.append(
        _for_role(
            kind=Kind.NO_SHOW_REVIEW,
            role=Role.SCHEDULER,
            session=session,
            patient_id=session.patient_id,
            clinic_id=clinic.pk,
            due=no_show_at,
            key=_key(Kind.NO_SHOW_REVIEW, subject, no_show_at),
            payload={"session_id": session.pk},
        )
    )
    if session.kind == SessionKind.DOSING:
        rows += _scales_before_dosing(session, scales_by_template)
    return rows


def _scales_before_dosing(
    session: Session, scales_by_template: dict[int, list[str]] | None = None
) -> list[FollowUp | None]:
    """The scales the template gives before each dosing: a request, then a reminder if unanswered.

    `scales_by_template` lets a caller planning many sessions of one plan read the schedule once.
    """
    enrollment = _enrollment_for(session)
    if enrollment is None:
        return []
    cache = scales_by_template if scales_by_template is not None else {}
    if enrollment.template_id not in cache:
        cache[enrollment.template_id] = list(
            ScaleScheduleItem.objects.filter(
                template_id=enrollment.template_id, timing=ScaleScheduleItem.Timing.BEFORE_EACH_DOSING
            ).values_list("scale", flat=True)
        )
    scales = cache[enrollment.template_id]
    rows: list[FollowUp | None] = []
    now = timezone.now()
    for scale in scales:
        request_due = session.starts_at - dt.timedelta(hours=conf("FOLLOWUP_SCALE_SEND_BEFORE_HOURS"))
        reminder_due = request_due + dt.timedelta(hours=conf("FOLLOWUP_SCALE_REMINDER_AFTER_HOURS"))
        request_key = _key(Kind.SCALE_REQUEST, f"s{session.pk}", request_due, scale)
        payload = {"scale": scale, "enrollment_id": enrollment.pk, "session_id": session.pk}
        rows.append(
            _for_patient(
                kind=Kind.SCALE_REQUEST,
                session=session,
                patient=session.patient,
                clinic_id=session.clinic_id,
                due=request_due,
                key=request_key,
                payload=payload,
                not_before=now,
            )
        )
        if reminder_due < session.starts_at:
            rows.append(
                _for_patient(
                    kind=Kind.SCALE_REMINDER,
                    session=session,
                    patient=session.patient,
                    clinic_id=session.clinic_id,
                    due=reminder_due,
                    key=_key(Kind.SCALE_REMINDER, f"s{session.pk}", reminder_due, scale),
                    payload={**payload, "request_key": request_key},
                    not_before=now,
                )
            )
    return rows


def _sync_booking(session: Session) -> None:
    rows = [row for row in _booking_rows(session) if row is not None]
    keys = {row.idempotency_key for row in rows}
    stale = FollowUp.objects.filter(session=session, kind__in=SESSION_BOOKING_KINDS).exclude(idempotency_key__in=keys)
    _cancel(stale, reason="session moved")
    _write(rows)


@transaction.atomic
def followups_plan_for_session(*, session: Session) -> None:
    """Reminder (with preparation), scale requests before a dosing, and the no-show review. Idempotent."""
    _sync_booking(session)


@transaction.atomic
def followups_plan_for_sessions(*, sessions: list[Session]) -> None:
    """The same as planning each new booking in turn, written at once: a whole program booked in one
    call costs a few queries instead of a few per session. For new bookings (nothing to withdraw)."""
    scales_by_template: dict[int, list[str]] = {}
    _write([row for session in sessions for row in _booking_rows(session, scales_by_template)])


@transaction.atomic
def followups_retime_for_session(*, session: Session) -> None:
    """After a move: rows of the old time are cancelled, rows for the new time written. Idempotent."""
    _sync_booking(session)


@transaction.atomic
def followups_cancel_for_session(*, session: Session) -> int:
    """Cancel every open follow-up of a cancelled session. Returns how many were cancelled."""
    return _cancel(FollowUp.objects.filter(session=session), reason="session cancelled")


@transaction.atomic
def followups_after_dosing_completed(*, session: Session) -> None:
    """Check-in link the next day; integration booking alerts; REMS form alerts; booster. Idempotent."""
    clinic, subject, ended = session.clinic, f"s{session.pk}", session.ends_at
    _cancel(
        FollowUp.objects.filter(session=session, kind__in=(Kind.SESSION_REMINDER, Kind.NO_SHOW_REVIEW)),
        reason="session completed",
    )
    enrollment = _enrollment_for(session)
    rows: list[FollowUp | None] = []

    next_day = timezone.localtime(ended, clinic.tz).date() + dt.timedelta(days=1)
    checkin_at = dt.datetime.combine(next_day, dt.time(conf("FOLLOWUP_CHECKIN_LOCAL_HOUR")), tzinfo=clinic.tz)
    rows.append(
        _for_patient(
            kind=Kind.CHECKIN_LINK,
            session=session,
            patient=session.patient,
            clinic_id=clinic.pk,
            due=checkin_at,
            key=_key(Kind.CHECKIN_LINK, subject, checkin_at),
            payload={"session_id": session.pk},
        )
    )

    window = _integration_window(session, enrollment)
    if window is not None:
        window_hours = int(window.total_seconds() // 3600)
        unbooked_at = ended + dt.timedelta(hours=conf("FOLLOWUP_INTEGRATION_UNBOOKED_AFTER_HOURS"))
        window_ends = ended + window
        closing_at = window_ends - dt.timedelta(hours=conf("FOLLOWUP_INTEGRATION_ESCALATE_BEFORE_HOURS"))
        if closing_at <= unbooked_at:  # a short window: escalate halfway between the first alert and its end
            closing_at = unbooked_at + (window_ends - unbooked_at) / 2
        payload = {"session_id": session.pk, "window_hours": window_hours}
        rows.append(
            _for_role(
                kind=Kind.INTEGRATION_UNBOOKED,
                role=Role.SCHEDULER,
                session=session,
                patient_id=session.patient_id,
                clinic_id=clinic.pk,
                due=unbooked_at,
                key=_key(Kind.INTEGRATION_UNBOOKED, subject, unbooked_at),
                payload=payload,
            )
        )
        for role in (Role.SCHEDULER, Role.ADMIN):
            rows.append(
                _for_role(
                    kind=Kind.INTEGRATION_WINDOW_CLOSING,
                    role=role,
                    session=session,
                    patient_id=session.patient_id,
                    clinic_id=clinic.pk,
                    due=closing_at,
                    key=_key(Kind.INTEGRATION_WINDOW_CLOSING, subject, closing_at, role),
                    payload=payload,
                )
            )

    if _dosing_medication(session, enrollment) == Medication.ESKETAMINE:
        form_due = ended + dt.timedelta(days=conf("FOLLOWUP_REMS_FORM_DAYS"))
        alert_at = form_due - dt.timedelta(days=conf("FOLLOWUP_REMS_ALERT_BEFORE_DAYS"))
        payload = {"session_id": session.pk, "form_due_at": form_due.astimezone(dt.UTC).isoformat()}
        rows.append(
            _for_role(
                kind=Kind.REMS_FORM_DUE,
                role=Role.PRESCRIBER,
                session=session,
                patient_id=session.patient_id,
                clinic_id=clinic.pk,
                due=ended,
                key=_key(Kind.REMS_FORM_DUE, subject, ended),
                payload=payload,
            )
        )
        rows.append(
            _for_role(
                kind=Kind.REMS_FORM_LATE,
                role=Role.PRESCRIBER,
                session=session,
                patient_id=session.patient_id,
                clinic_id=clinic.pk,
                due=alert_at,
                key=_key(Kind.REMS_FORM_LATE, subject, alert_at),
                payload=payload,
            )
        )

    rows += _booster_rows(session, enrollment)
    _write(rows)


@transaction.atomic
def followups_rems_form_submitted(*, session: Session) -> int:
    """The REMS monitoring form of this session is in: its alerts are no longer needed."""
    return _cancel(
        FollowUp.objects.filter(session=session, kind__in=(Kind.REMS_FORM_DUE, Kind.REMS_FORM_LATE)),
        reason="REMS form submitted",
    )


def _booster_rows(session: Session, enrollment) -> list[FollowUp | None]:
    """A booster is due N weeks after the induction's last dosing; alert the schedulers then."""
    if enrollment is None:
        return []
    rule = (
        TemplateRule.objects.filter(template_id=enrollment.template_id, kind=TemplateRule.Kind.BOOSTER_DUE)
        .select_related("step")
        .first()
    )
    if rule is None or rule.step is None:
        return []
    completed = Session.objects.filter(
        patient_id=session.patient_id,
        kind=SessionKind.DOSING,
        status=Session.Status.COMPLETED,
        starts_at__gte=enrollment.enrolled_at,
        starts_at__lte=session.starts_at,
    ).count()
    if completed < rule.step.count:
        return []
    due = session.ends_at + (rule.min_interval or dt.timedelta(weeks=conf("FOLLOWUP_BOOSTER_WEEKS")))
    return [
        _for_role(
            kind=Kind.BOOSTER_DUE,
            role=Role.SCHEDULER,
            session=None,
            patient_id=session.patient_id,
            clinic_id=session.clinic_id,
            due=due,
            key=_key(Kind.BOOSTER_DUE, f"e{enrollment.pk}", due),
            payload={"enrollment_id": enrollment.pk, "induction_last_session_id": session.pk},
        )
    ]


@transaction.atomic
def followups_for_enrollment(*, enrollment) -> None:
    """Scales the template gives at baseline and every N days, for the first weeks. Idempotent."""
    patient, now = enrollment.patient, timezone.now()
    horizon = enrollment.enrolled_at + dt.timedelta(weeks=12)
    rows: list[FollowUp | None] = []
    for item in ScaleScheduleItem.objects.filter(template_id=enrollment.template_id):
        dues: list[dt.datetime] = []
        if item.timing == ScaleScheduleItem.Timing.BASELINE:
            dues = [enrollment.enrolled_at]
        elif item.timing == ScaleScheduleItem.Timing.EVERY_N_DAYS:
            step = dt.timedelta(days=item.interval_days)
            due = enrollment.enrolled_at + step
            while due <= horizon:
                dues.append(due)
                due += step
        for due in dues:
            request_key = _key(Kind.SCALE_REQUEST, f"e{enrollment.pk}", due, item.scale)
            payload = {"scale": item.scale, "enrollment_id": enrollment.pk}
            rows.append(
                _for_patient(
                    kind=Kind.SCALE_REQUEST,
                    session=None,
                    patient=patient,
                    clinic_id=enrollment.clinic_id,
                    due=due,
                    key=request_key,
                    payload=payload,
                    not_before=now,
                )
            )
            reminder_due = due + dt.timedelta(hours=conf("FOLLOWUP_SCALE_REMINDER_AFTER_HOURS"))
            rows.append(
                _for_patient(
                    kind=Kind.SCALE_REMINDER,
                    session=None,
                    patient=patient,
                    clinic_id=enrollment.clinic_id,
                    due=reminder_due,
                    key=_key(Kind.SCALE_REMINDER, f"e{enrollment.pk}", reminder_due, item.scale),
                    payload={**payload, "request_key": request_key},
                    not_before=now,
                )
            )
    _write(rows)


@transaction.atomic
def followups_cancel_for_enrollment(*, enrollment) -> int:
    """An enrollment that ends (completed, withdrawn) stops its scale requests and booster alerts."""
    return _cancel(
        FollowUp.objects.filter(Q(payload__enrollment_id=enrollment.pk)), reason=f"enrollment {enrollment.status}"
    )
