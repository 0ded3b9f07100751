"""Write paths for templates: draft, update, publish, clone, retire, delete.

A template is written whole: its steps (with their staff needs), rules, prerequisites and scale
schedule arrive together as a *spec* (plain dicts, see `programs.validation`), are validated, then
written in one transaction. Rules point at steps by `step_position`, since a new step has no id yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.models import Clinic, Organization, StaffMember
from programs.models import (
    ProgramTemplate,
    ScaleScheduleItem,
    StaffNeed,
    TemplatePrerequisite,
    TemplateRule,
    TemplateStep,
)
from programs.validation import validate_for_publish, validate_for_save

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
def template_update(*, template: ProgramTemplate, **changes: Any) -> ProgramTemplate:
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
        state=ProgramTemplate.State.RETIRED, retired_at=now, retired_by=by
    )
    locked.state = ProgramTemplate.State.PUBLISHED
    locked.published_at = now
    locked.published_by = by
    locked.save(update_fields=["state", "published_at", "published_by"])
    return locked


@transaction.atomic
def template_retire(*, template: ProgramTemplate, by: StaffMember | None) -> ProgramTemplate:
    """published -> retired: no new enrollments; existing ones keep their version. 409 otherwise."""
    updated = ProgramTemplate.objects.filter(pk=template.pk, state=ProgramTemplate.State.PUBLISHED).update(
        state=ProgramTemplate.State.RETIRED, retired_at=timezone.now(), retired_by=by
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
