"""Write paths for enrollments and their planned sessions."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import Clinic, Patient, StaffMember
from kat_clinic.transitions import status_transition
from programs import signals
from programs.choices import SessionKind
from programs.models import Enrollment, PlannedSession, ProgramTemplate, TemplateRule, TemplateStep
from programs.validation import dosing_step_before


def plan_for(*, template: ProgramTemplate) -> list[dict]:
    """The sessions a template calls for, in order: each integration right after the dosing it follows.

    Returns dicts {step, occurrence, linked: (dosing step, occurrence) | None, window: (min, max)}.
    """
    steps = list(template.steps.order_by("position"))
    windows = {
        r.step_id: (r.min_interval, r.max_interval)
        for r in template.rules.filter(kind=TemplateRule.Kind.INTEGRATION_WINDOW)
    }
    specs = [{"kind": s.kind, "position": s.position, "count": s.count, "obj": s} for s in steps]
    followers: dict[int, list[TemplateStep]] = {}
    for spec in specs:
        if spec["kind"] == SessionKind.INTEGRATION:
            dosing = dosing_step_before(specs, spec["position"])
            if dosing is not None:
                followers.setdefault(dosing["obj"].pk, []).append(spec["obj"])
    linked_ids = {s.pk for group in followers.values() for s in group}

    plan: list[dict] = []
    for step in steps:
        if step.pk in linked_ids:
            continue  # placed right after its dosing below
        for occurrence in range(1, step.count + 1):
            plan.append({"step": step, "occurrence": occurrence, "linked": None, "window": (None, None)})
            for follower in followers.get(step.pk, []):
                if occurrence <= follower.count:
                    plan.append(
                        {
                            "step": follower,
                            "occurrence": occurrence,
                            "linked": (step, occurrence),
                            "window": windows.get(follower.pk, (None, None)),
                        }
                    )
    return plan


def _open_enrollment_exists(*, patient: Patient, pathway: str) -> bool:
    return Enrollment.objects.filter(patient=patient, pathway=pathway, status__in=Enrollment.OPEN_STATUSES).exists()


def _already_enrolled(pathway: str) -> Conflict:
    return Conflict(
        "The patient already has an active or paused enrollment in this pathway; complete or withdraw it first.",
        code="already_enrolled",
        errors={"template": ["The patient already has an open enrollment in this pathway."]},
    )


@transaction.atomic
def enrollment_create(
    *, patient: Patient, template: ProgramTemplate, by: StaffMember | None, clinic: Clinic | None = None
) -> Enrollment:
    """Enroll a patient in a published template and plan every session it calls for, in order.

    The enrollment pins this version. 409 if the template is not published or the patient already
    has an open enrollment in the pathway (the database holds that rule too); nothing is written.
    """
    clinic = clinic or patient.home_clinic
    template = ProgramTemplate.objects.get(pk=template.pk)  # the state as of now, not as the caller read it
    if template.state != ProgramTemplate.State.PUBLISHED:
        raise Conflict(
            f"Only a published template can be used; version {template.version} is {template.state}.",
            code="template_not_published",
            errors={"template": ["Choose a published template."]},
        )
    if template.organization_id != patient.organization_id or template.clinic_id not in (None, clinic.pk):
        raise RuleViolation(
            "This program is not offered at the patient's clinic.",
            code="template_not_offered",
            errors={"template": ["This program is not offered at the patient's clinic."]},
        )
    if _open_enrollment_exists(patient=patient, pathway=template.pathway):
        raise _already_enrolled(template.pathway)
    now = timezone.now()
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                patient=patient,
                template=template,
                clinic=clinic,
                pathway=template.pathway,
                enrolled_by=by,
                enrolled_at=now,
                status_changed_at=now,
                status_changed_by=by,
            )
    except IntegrityError as exc:
        # Two enrollments racing past the check above: the partial unique index lets one through.
        if "enrollment_one_open_per_pathway" in str(exc):
            raise _already_enrolled(template.pathway)
        raise

    plan = plan_for(template=template)
    rows = PlannedSession.objects.bulk_create(
        [
            PlannedSession(
                enrollment=enrollment,
                step=item["step"],
                sequence=sequence,
                occurrence=item["occurrence"],
                kind=item["step"].kind,
                window_min=item["window"][0],
                window_max=item["window"][1],
            )
            for sequence, item in enumerate(plan, start=1)
        ]
    )
    by_key = {(row.step_id, row.occurrence): row for row in rows}
    links = []
    for row, item in zip(rows, plan, strict=True):
        if item["linked"] is not None:
            dosing_step, occurrence = item["linked"]
            row.linked_dosing = by_key[(dosing_step.pk, occurrence)]
            links.append(row)
    PlannedSession.objects.bulk_update(links, ["linked_dosing"])
    # Rating scales the template asks for (baseline, every N days) are planned by the receivers, in
    # this transaction.
    signals.enrollment_created.send(sender=Enrollment, enrollment=enrollment)
    return enrollment


# (from statuses, to status, reason required)
ENROLLMENT_TRANSITIONS: dict[str, tuple[frozenset[str], str, bool]] = {
    "pause": (frozenset({Enrollment.Status.ACTIVE}), Enrollment.Status.PAUSED, True),
    "resume": (frozenset({Enrollment.Status.PAUSED}), Enrollment.Status.ACTIVE, False),
    "complete": (frozenset(Enrollment.OPEN_STATUSES), Enrollment.Status.COMPLETED, False),
    "withdraw": (frozenset(Enrollment.OPEN_STATUSES), Enrollment.Status.WITHDRAWN, True),
}


def _enrollment_transition(
    *, enrollment: Enrollment, transition: str, by: StaffMember | None, reason: str
) -> Enrollment:
    from_statuses, to_status, reason_required = ENROLLMENT_TRANSITIONS[transition]
    reason = (reason or "").strip()
    if reason_required and not reason:
        raise RuleViolation(
            f"Say why the enrollment is {to_status}.",
            code="reason_required",
            errors={"reason": ["A reason is required."]},
        )
    changed = status_transition(
        Enrollment,
        pk=enrollment.pk,
        from_statuses=from_statuses,
        to_status=to_status,
        status_reason=reason,
        status_changed_at=timezone.now(),
        status_changed_by=by,
    )
    if not changed:
        current = Enrollment.objects.get(pk=enrollment.pk).status
        raise Conflict(
            f"An enrollment that is {current} cannot {transition}.",
            code="illegal_transition",
            status=current,
        )
    if to_status in (Enrollment.Status.COMPLETED, Enrollment.Status.WITHDRAWN):
        # Sessions not yet booked will never be; booked ones are scheduling's to cancel.
        PlannedSession.objects.filter(enrollment_id=enrollment.pk, status=PlannedSession.Status.TO_BOOK).update(
            status=PlannedSession.Status.CANCELLED, status_changed_at=timezone.now()
        )
        enrollment.status = to_status
        signals.enrollment_closed.send(sender=Enrollment, enrollment=enrollment)
    return Enrollment.objects.select_related("patient", "template", "clinic").get(pk=enrollment.pk)


@transaction.atomic
def enrollment_pause(*, enrollment: Enrollment, by: StaffMember | None, reason: str) -> Enrollment:
    """active -> paused, with a reason. 409 from any other status."""
    return _enrollment_transition(enrollment=enrollment, transition="pause", by=by, reason=reason)


@transaction.atomic
def enrollment_resume(*, enrollment: Enrollment, by: StaffMember | None, reason: str = "") -> Enrollment:
    """paused -> active. 409 from any other status."""
    return _enrollment_transition(enrollment=enrollment, transition="resume", by=by, reason=reason)


@transaction.atomic
def enrollment_complete(*, enrollment: Enrollment, by: StaffMember | None, reason: str = "") -> Enrollment:
    """active or paused -> completed; sessions still to book are cancelled. 409 otherwise."""
    return _enrollment_transition(enrollment=enrollment, transition="complete", by=by, reason=reason)


@transaction.atomic
def enrollment_withdraw(*, enrollment: Enrollment, by: StaffMember | None, reason: str) -> Enrollment:
    """active or paused -> withdrawn, with a reason; sessions still to book are cancelled. 409 otherwise."""
    return _enrollment_transition(enrollment=enrollment, transition="withdraw", by=by, reason=reason)


# --- planned sessions (called by scheduling) -----------------------------------------------------


def _planned_session_move(*, planned_session: PlannedSession, from_statuses: Iterable[str], to_status: str) -> bool:
    # A conditional UPDATE: two callers racing on the same row produce exactly one change.
    changed = status_transition(
        PlannedSession,
        pk=planned_session.pk,
        from_statuses=from_statuses,
        to_status=to_status,
        status_changed_at=timezone.now(),
    )
    if changed:
        planned_session.status = to_status
    return changed


@transaction.atomic
def planned_session_mark_booked(*, planned_session: PlannedSession) -> bool:
    """to_book -> booked. False (and no change) if it was not to be booked. Safe to call twice."""
    return _planned_session_move(
        planned_session=planned_session,
        from_statuses=[PlannedSession.Status.TO_BOOK],
        to_status=PlannedSession.Status.BOOKED,
    )


def planned_sessions_mark_booked(*, planned_sessions: Iterable[PlannedSession]) -> list[PlannedSession]:
    """to_book -> booked for many planned sessions in one conditional UPDATE.

    Returns those that were not to be booked (left unchanged, like the rest if the caller then
    refuses); an empty list when every one moved. The caller's transaction holds the enrollment."""
    planned_sessions = list(planned_sessions)
    ids = [p.pk for p in planned_sessions]
    changed = PlannedSession.objects.filter(pk__in=ids, status=PlannedSession.Status.TO_BOOK).update(
        status=PlannedSession.Status.BOOKED, status_changed_at=timezone.now()
    )
    if changed == len(set(ids)):
        for p in planned_sessions:
            p.status = PlannedSession.Status.BOOKED
        return []
    booked_now = set(
        PlannedSession.objects.filter(pk__in=ids, status=PlannedSession.Status.BOOKED).values_list("pk", flat=True)
    )
    return [p for p in planned_sessions if p.pk not in booked_now]


@transaction.atomic
def planned_session_mark_to_book(*, planned_session: PlannedSession) -> bool:
    """booked -> to_book, when its booking is cancelled. False if it was not booked. Safe to call twice."""
    return _planned_session_move(
        planned_session=planned_session,
        from_statuses=[PlannedSession.Status.BOOKED],
        to_status=PlannedSession.Status.TO_BOOK,
    )


@transaction.atomic
def planned_session_mark_completed(*, planned_session: PlannedSession) -> bool:
    """booked (or to_book, for a session charted without booking) -> completed. Safe to call twice."""
    return _planned_session_move(
        planned_session=planned_session,
        from_statuses=[PlannedSession.Status.BOOKED, PlannedSession.Status.TO_BOOK],
        to_status=PlannedSession.Status.COMPLETED,
    )
