"""Write paths for programs: templates (draft, publish, clone, retire), enrollments, planned sessions.

A template is written whole: its steps (with their staff needs), rules, prerequisites and scale
schedule arrive together as a *spec* (plain dicts, see `validation`), are validated, then written in
one transaction. Rules point at steps by `step_position`, since a new step has no id yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from kat_clinic.api.errors import Conflict, RuleViolation
from kat_clinic.models import Clinic, Organization, Patient, StaffMember
from programs.choices import SessionKind
from programs.models import (
    Enrollment,
    PlannedSession,
    ProgramTemplate,
    ScaleScheduleItem,
    StaffNeed,
    TemplatePrerequisite,
    TemplateRule,
    TemplateStep,
)
from programs.validation import dosing_step_before, validate_for_publish, validate_for_save

STEP_FIELDS = (
    "position",
    "phase",
    "kind",
    "label",
    "count",
    "session_minutes",
    "block_minutes",
    "room_kind",
    "room_capability",
    "telehealth_allowed",
    "medication",
    "route",
    "dose_mg_per_kg",
    "dose_mg",
    "first_dose_mg",
    "infusion_minutes",
)
NEED_FIELDS = ("role", "mode", "start_offset_minutes", "end_offset_minutes")
RULE_FIELDS = ("kind", "min_interval", "max_interval", "max_count", "period")
PREREQUISITE_FIELDS = ("kind", "max_age_days")
SCALE_FIELDS = ("scale", "timing", "interval_days")
STEP_DEFAULTS: dict[str, Any] = {
    "count": 1,
    "room_kind": "",
    "room_capability": "",
    "telehealth_allowed": False,
    "medication": "",
    "route": "",
    "dose_mg_per_kg": None,
    "dose_mg": None,
    "first_dose_mg": None,
    "infusion_minutes": None,
}
CHILD_KEYS = ("steps", "rules", "prerequisites", "scale_schedule")


# --- templates -----------------------------------------------------------------------------------


def template_spec(*, template: ProgramTemplate) -> dict:
    """The template as a spec (the shape `template_create` takes), read from the database."""
    steps = list(template.steps.prefetch_related("staff_needs").order_by("position"))
    position_of = {s.pk: s.position for s in steps}
    return {
        "name": template.name,
        "description": template.description,
        "pathway": template.pathway,
        "steps": [
            {
                **{f: getattr(s, f) for f in STEP_FIELDS},
                "staff_needs": [{f: getattr(n, f) for f in NEED_FIELDS} for n in s.staff_needs.all()],
            }
            for s in steps
        ],
        "rules": [
            {**{f: getattr(r, f) for f in RULE_FIELDS}, "step_position": position_of.get(r.step_id)}
            for r in template.rules.order_by("id")
        ],
        "prerequisites": [{f: getattr(p, f) for f in PREREQUISITE_FIELDS} for p in template.prerequisites.all()],
        "scale_schedule": [{f: getattr(i, f) for f in SCALE_FIELDS} for i in template.scale_schedule.all()],
    }


def _normalised(spec: dict) -> dict:
    """Fill the optional fields of a spec, so validation and writes see every key."""
    out = dict(spec)
    out["steps"] = [
        {**STEP_DEFAULTS, **step, "staff_needs": [dict(n) for n in step.get("staff_needs") or []]}
        for step in spec.get("steps") or []
    ]
    out["rules"] = [
        {"step_position": None, "min_interval": None, "max_interval": None, "max_count": None, "period": None, **r}
        for r in spec.get("rules") or []
    ]
    out["prerequisites"] = [{"max_age_days": None, **p} for p in spec.get("prerequisites") or []]
    out["scale_schedule"] = [{"interval_days": None, **i} for i in spec.get("scale_schedule") or []]
    return out


def _refuse_if_invalid(errors: dict[str, list[str]], *, detail: str, code: str) -> None:
    if errors:
        raise RuleViolation(detail, code=code, errors=errors)


def _write_children(*, template: ProgramTemplate, spec: dict) -> None:
    steps = TemplateStep.objects.bulk_create(
        [TemplateStep(template=template, **{f: s[f] for f in STEP_FIELDS}) for s in spec["steps"]]
    )
    StaffNeed.objects.bulk_create(
        [
            StaffNeed(step=step, **{f: n[f] for f in NEED_FIELDS})
            for step, s in zip(steps, spec["steps"], strict=True)
            for n in s["staff_needs"]
        ]
    )
    step_at = {s.position: s for s in steps}
    TemplateRule.objects.bulk_create(
        [
            TemplateRule(template=template, step=step_at.get(r["step_position"]), **{f: r[f] for f in RULE_FIELDS})
            for r in spec["rules"]
        ]
    )
    TemplatePrerequisite.objects.bulk_create(
        [
            TemplatePrerequisite(template=template, **{f: p[f] for f in PREREQUISITE_FIELDS})
            for p in spec["prerequisites"]
        ]
    )
    ScaleScheduleItem.objects.bulk_create(
        [ScaleScheduleItem(template=template, **{f: i[f] for f in SCALE_FIELDS}) for i in spec["scale_schedule"]]
    )


def _check_clinic(*, organization: Organization, clinic: Clinic | None) -> None:
    if clinic is not None and clinic.organization_id != organization.pk:
        raise RuleViolation(
            "The clinic belongs to another organisation.",
            code="invalid_template",
            errors={"clinic": ["Choose a clinic of this organisation, or none for all of them."]},
        )


@transaction.atomic
def template_create(
    *,
    organization: Organization,
    name: str,
    pathway: str,
    by: StaffMember | None,
    clinic: Clinic | None = None,
    description: str = "",
    steps: Sequence[dict] = (),
    rules: Sequence[dict] = (),
    prerequisites: Sequence[dict] = (),
    scale_schedule: Sequence[dict] = (),
    catalog_key: str = "",
) -> ProgramTemplate:
    """Create a draft template with all its parts. Refused whole (422, field errors) if a part is invalid."""
    _check_clinic(organization=organization, clinic=clinic)
    spec = _normalised(
        {
            "name": name,
            "description": description,
            "pathway": pathway,
            "steps": steps,
            "rules": rules,
            "prerequisites": prerequisites,
            "scale_schedule": scale_schedule,
        }
    )
    _refuse_if_invalid(validate_for_save(spec), detail="The template has invalid parts.", code="invalid_template")
    template = ProgramTemplate.objects.create(
        organization=organization,
        clinic=clinic,
        name=name.strip(),
        description=description,
        pathway=pathway,
        created_by=by,
        catalog_key=catalog_key,
    )
    _write_children(template=template, spec=spec)
    return template


def _lock_draft(template: ProgramTemplate, *, action: str) -> ProgramTemplate:
    locked = ProgramTemplate.objects.select_for_update().get(pk=template.pk)
    if locked.state != ProgramTemplate.State.DRAFT:
        raise Conflict(
            f"Version {locked.version} is {locked.state}: it cannot be {action}. Clone it into a new draft to edit.",
            code="template_frozen",
            state=locked.state,
        )
    return locked


@transaction.atomic
def template_update(*, template: ProgramTemplate, by: StaffMember | None, **changes: Any) -> ProgramTemplate:
    """Change a draft. Fields given replace the stored ones; a child list given replaces the stored list.

    Refused with 409 when the template is no longer a draft, with 422 when a part is invalid; in
    both cases nothing is written.
    """
    locked = _lock_draft(template, action="changed")
    current = template_spec(template=locked)
    spec = _normalised({**current, **{k: v for k, v in changes.items() if k in {*current, *CHILD_KEYS}}})
    clinic = changes.get("clinic", locked.clinic)
    _check_clinic(organization=locked.organization, clinic=clinic)
    _refuse_if_invalid(validate_for_save(spec), detail="The template has invalid parts.", code="invalid_template")
    locked.name = spec["name"].strip()
    locked.description = spec["description"]
    locked.pathway = spec["pathway"]
    locked.clinic = clinic
    locked.save(update_fields=["name", "description", "pathway", "clinic"])
    if any(key in changes for key in CHILD_KEYS):
        # Replacing the children whole keeps positions and step references consistent.
        locked.steps.all().delete()
        locked.rules.all().delete()
        locked.prerequisites.all().delete()
        locked.scale_schedule.all().delete()
        _write_children(template=locked, spec=spec)
    return locked


@transaction.atomic
def template_publish(*, template: ProgramTemplate, by: StaffMember | None) -> ProgramTemplate:
    """Publish a complete draft; the family's previously published version is retired in the same step.

    409 if the template is not a draft; 422 with field errors if it is incomplete (nothing changes).
    From here on the database refuses any change to the template and its parts.
    """
    locked = _lock_draft(template, action="published")
    _refuse_if_invalid(
        validate_for_publish(template_spec(template=locked)),
        detail="The template is not complete enough to publish.",
        code="template_incomplete",
    )
    now = timezone.now()
    # Retire first: the partial unique constraint allows one published version per family.
    ProgramTemplate.objects.filter(family=locked.family, state=ProgramTemplate.State.PUBLISHED).update(
        state=ProgramTemplate.State.RETIRED, retired_at=now
    )
    locked.state = ProgramTemplate.State.PUBLISHED
    locked.published_at = now
    locked.save(update_fields=["state", "published_at"])
    return locked


@transaction.atomic
def template_retire(*, template: ProgramTemplate, by: StaffMember | None) -> ProgramTemplate:
    """published -> retired: no new enrollments; existing ones keep their version. 409 otherwise."""
    updated = ProgramTemplate.objects.filter(pk=template.pk, state=ProgramTemplate.State.PUBLISHED).update(
        state=ProgramTemplate.State.RETIRED, retired_at=timezone.now()
    )
    if not updated:
        current = ProgramTemplate.objects.get(pk=template.pk)
        raise Conflict(
            f"Only a published template can be retired; this one is {current.state}.",
            code="illegal_transition",
            state=current.state,
        )
    return ProgramTemplate.objects.get(pk=template.pk)


@transaction.atomic
def template_clone(*, template: ProgramTemplate, by: StaffMember | None) -> ProgramTemplate:
    """A new draft version of the same family, with a copy of every step, need, rule, prerequisite and scale."""
    # Lock the family so two clones don't both take the same next version number.
    family = list(ProgramTemplate.objects.select_for_update().filter(family=template.family).order_by("pk"))
    source = next(t for t in family if t.pk == template.pk)
    next_version = (ProgramTemplate.objects.filter(family=source.family).aggregate(v=Max("version"))["v"] or 0) + 1
    spec = _normalised(template_spec(template=source))
    clone = ProgramTemplate.objects.create(
        organization=source.organization,
        clinic=source.clinic,
        family=source.family,
        name=source.name,
        description=source.description,
        pathway=source.pathway,
        version=next_version,
        created_by=by,
        catalog_key=source.catalog_key,
    )
    _write_children(template=clone, spec=spec)
    return clone


@transaction.atomic
def template_delete(*, template: ProgramTemplate) -> None:
    """Delete a draft. A published or retired version is kept forever (409)."""
    locked = _lock_draft(template, action="deleted")
    locked.delete()


# --- enrollments ---------------------------------------------------------------------------------


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
    updated = Enrollment.objects.filter(pk=enrollment.pk, status__in=from_statuses).update(
        status=to_status, status_reason=reason, status_changed_at=timezone.now(), status_changed_by=by
    )
    if not updated:
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
    updated = PlannedSession.objects.filter(pk=planned_session.pk, status__in=list(from_statuses)).update(
        status=to_status, status_changed_at=timezone.now()
    )
    if updated:
        planned_session.status = to_status
    return bool(updated)


@transaction.atomic
def planned_session_mark_booked(*, planned_session: PlannedSession) -> bool:
    """to_book -> booked. False (and no change) if it was not to be booked. Safe to call twice."""
    return _planned_session_move(
        planned_session=planned_session,
        from_statuses=[PlannedSession.Status.TO_BOOK],
        to_status=PlannedSession.Status.BOOKED,
    )


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
