"""Read paths for programs: querysets with their joins applied, and an enrollment's progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet

from kat_clinic.models import User
from programs.models import (
    Enrollment,
    PlannedSession,
    ProgramTemplate,
    StaffNeed,
    TemplateRule,
    TemplateStep,
)


def template_list() -> QuerySet[ProgramTemplate]:
    """Templates with every part prefetched: a fixed number of queries whatever the page holds."""
    return ProgramTemplate.objects.select_related("clinic").prefetch_related(
        Prefetch(
            "steps",
            queryset=TemplateStep.objects.order_by("position").prefetch_related(
                Prefetch("staff_needs", queryset=StaffNeed.objects.order_by("start_offset_minutes", "role"))
            ),
        ),
        Prefetch("rules", queryset=TemplateRule.objects.select_related("step").order_by("id")),
        "prerequisites",
        "scale_schedule",
    )


def templates_visible_to(*, user: User, clinic_ids: Iterable[int]) -> QuerySet[ProgramTemplate]:
    """Organisation-wide templates of the user's organisation, and those of the clinics given."""
    staff = getattr(user, "staff", None)
    if staff is None:
        return ProgramTemplate.objects.none()
    clinic_ids = list(clinic_ids)
    if not clinic_ids:
        return ProgramTemplate.objects.none()
    return template_list().filter(
        Q(organization_id=staff.organization_id) & (Q(clinic__isnull=True) | Q(clinic_id__in=clinic_ids))
    )


def enrollment_list() -> QuerySet[Enrollment]:
    return Enrollment.objects.select_related("template", "clinic", "patient").order_by("-enrolled_at", "-id")


def planned_session_list(*, enrollment: Enrollment) -> QuerySet[PlannedSession]:
    return PlannedSession.objects.filter(enrollment=enrollment).select_related("step").order_by("sequence")


def planned_sessions_to_book(*, enrollment: Enrollment) -> QuerySet[PlannedSession]:
    """What scheduling still has to place, in plan order, with each step's staff needs and rules joined."""
    return (
        PlannedSession.objects.filter(enrollment=enrollment, status=PlannedSession.Status.TO_BOOK)
        .select_related("step", "linked_dosing")
        .prefetch_related("step__staff_needs", "step__rules")
        .order_by("sequence")
    )


def enrollment_progress(*, enrollment: Enrollment) -> dict:
    """Where the patient is in their plan.

    Per step: completed / booked / to book / cancelled counts. The next session due is the first
    planned session (in plan order) still to be booked. The booster becomes due once every session
    of the booster rule's step is completed: between `min_interval` and `max_interval` after the
    last completion, given as dates in the clinic's time zone. Prerequisite records arrive with
    charting; until then the template's list is returned as what each dosing requires.
    """
    template = enrollment.template
    planned = list(planned_session_list(enrollment=enrollment))
    steps = list(template.steps.order_by("position"))
    per_step = {
        s.pk: {
            "step": s.pk,
            "position": s.position,
            "label": s.label,
            "kind": s.kind,
            "planned": 0,
            "completed": 0,
            "booked": 0,
            "to_book": 0,
            "cancelled": 0,
        }
        for s in steps
    }
    for session in planned:
        row = per_step[session.step_id]
        row["planned"] += 1
        row[session.status] += 1
    next_due = next((p for p in planned if p.status == PlannedSession.Status.TO_BOOK), None)

    booster_from = booster_until = None
    booster = template.rules.filter(kind=TemplateRule.Kind.BOOSTER_DUE).first()
    if booster is not None:
        of_step = [p for p in planned if booster.step_id in (None, p.step_id) and p.kind == "dosing"]
        if of_step and all(p.status == PlannedSession.Status.COMPLETED for p in of_step):
            last = max(p.status_changed_at for p in of_step if p.status_changed_at)
            tz = enrollment.clinic.tz
            booster_from = _local_date(last + booster.min_interval, tz)
            booster_until = _local_date(last + (booster.max_interval or booster.min_interval), tz)

    return {
        "enrollment": enrollment.pk,
        "status": enrollment.status,
        "steps": list(per_step.values()),
        "totals": {status: sum(1 for p in planned if p.status == status) for status in PlannedSession.Status.values},
        "next_session": next_due,
        "booster_due_from": booster_from,
        "booster_due_until": booster_until,
        "prerequisites": list(template.prerequisites.order_by("kind")),
    }


def _local_date(at: dt.datetime, tz) -> dt.date:
    return at.astimezone(tz).date()
