"""The program templates the product ships, published for every new organisation.

Every number is a clinical default that a clinic may change by cloning the template into a
new version. Installing is idempotent: a family already installed (any version, any state) is left
alone, so a clinic's edits are never overwritten.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from kat_clinic.models import Organization, Room
from kat_clinic.roles import Role
from programs.choices import Medication, Pathway, Route, Scale, SessionKind, StaffMode
from programs.models import ProgramTemplate, ScaleScheduleItem, TemplatePrerequisite, TemplateRule, TemplateStep

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
WEEK = dt.timedelta(days=7)

Phase = TemplateStep.Phase
Prereq = TemplatePrerequisite.Kind
Rule = TemplateRule.Kind
Timing = ScaleScheduleItem.Timing


def _need(role: str, mode: str, start: int, end: int) -> dict:
    return {"role": role, "mode": mode, "start_offset_minutes": start, "end_offset_minutes": end}


def _scales(*items: tuple[str, str]) -> list[dict]:
    return [{"scale": scale, "timing": timing} for scale, timing in items]


# IV racemic ketamine, "NIMH protocol": 0.5 mg/kg over 40 min, then 60 min recovery in the chair.
_IV_INFUSION = {
    "kind": SessionKind.DOSING,
    "session_minutes": 40,
    "block_minutes": 100,
    "room_kind": Room.Kind.INFUSION_CHAIR,
    "room_capability": Room.Capability.IV,
    "medication": Medication.KETAMINE,
    "route": Route.IV,
    "dose_mg_per_kg": Decimal("0.500"),
    "infusion_minutes": 40,
    "staff_needs": [
        _need(Role.NURSE, StaffMode.SHARED, 0, 100),
        _need(Role.PRESCRIBER, StaffMode.PRESENT, 0, 100),
    ],
}
_IV_PREREQUISITES = [
    {"kind": Prereq.CONSENT},
    {"kind": Prereq.CONTRAINDICATION_SCREEN},
    {"kind": Prereq.RIDE_CONFIRMED},
    {"kind": Prereq.FASTING_CONFIRMED},
    {"kind": Prereq.WEIGHT_RECENT, "max_age_days": 30},
]
_BOOSTER_DUE = {"kind": Rule.BOOSTER_DUE, "step_position": 1, "min_interval": 4 * WEEK, "max_interval": 6 * WEEK}

SHIPPED_TEMPLATES: list[dict] = [
    {
        "catalog_key": "iv_ketamine_induction",
        "name": "IV ketamine induction",
        "description": (
            "Six IV infusions of racemic ketamine over 2-3 weeks (e.g. Mon/Wed/Fri twice), at least a day "
            "apart and at most three in any 7 days; a booster is due 4-6 weeks after the last infusion."
        ),
        "pathway": Pathway.INFUSION_ONLY,
        "steps": [{**_IV_INFUSION, "position": 1, "phase": Phase.INDUCTION, "label": "IV infusion", "count": 6}],
        "rules": [
            {"kind": Rule.DOSING_MIN_GAP, "step_position": 1, "min_interval": DAY},
            {"kind": Rule.DOSING_WEEKLY_CAP, "step_position": 1, "max_count": 3, "period": WEEK},
            _BOOSTER_DUE,
        ],
        "prerequisites": _IV_PREREQUISITES,
        "scale_schedule": _scales(
            (Scale.PHQ9, Timing.BASELINE),
            (Scale.PHQ9, Timing.BEFORE_EACH_DOSING),
            (Scale.PHQ9, Timing.END_OF_PROGRAM),
            (Scale.GAD7, Timing.BASELINE),
            (Scale.GAD7, Timing.END_OF_PROGRAM),
            (Scale.CSSRS, Timing.BASELINE),
            (Scale.CSSRS, Timing.BEFORE_EACH_DOSING),
        ),
    },
    {
        "catalog_key": "iv_ketamine_booster",
        "name": "IV ketamine booster",
        "description": (
            "One maintenance infusion after an induction. Enrolling again plans the next booster, "
            "due 4-6 weeks after this one."
        ),
        "pathway": Pathway.INFUSION_ONLY,
        "steps": [{**_IV_INFUSION, "position": 1, "phase": Phase.MAINTENANCE, "label": "IV booster infusion"}],
        "rules": [_BOOSTER_DUE],
        "prerequisites": _IV_PREREQUISITES,
        "scale_schedule": _scales(
            (Scale.PHQ9, Timing.BEFORE_EACH_DOSING),
            (Scale.CSSRS, Timing.BEFORE_EACH_DOSING),
        ),
    },
    {
        "catalog_key": "esketamine_induction_rems",
        "name": "Esketamine induction (REMS)",
        "description": (
            "Intranasal esketamine twice a week for 4 weeks: 56 mg first, then 84 mg (or 56 mg as the "
            "prescriber decides). REMS: certified site, prescriber on site, at least 2 hours of monitoring, "
            "patient enrolled in the REMS before the first dose."
        ),
        "pathway": Pathway.INFUSION_ONLY,
        "steps": [
            {
                "position": 1,
                "phase": Phase.INDUCTION,
                "kind": SessionKind.DOSING,
                "label": "Esketamine dose and monitoring",
                "count": 8,
                "session_minutes": 120,
                "block_minutes": 120,
                "room_kind": Room.Kind.TREATMENT_ROOM,
                "room_capability": Room.Capability.MONITORED,
                "medication": Medication.ESKETAMINE,
                "route": Route.INTRANASAL,
                "first_dose_mg": Decimal("56.00"),
                "dose_mg": Decimal("84.00"),
                "staff_needs": [
                    _need(Role.NURSE, StaffMode.SHARED, 0, 120),
                    _need(Role.PRESCRIBER, StaffMode.PRESENT, 0, 120),
                ],
            }
        ],
        "rules": [
            {"kind": Rule.DOSING_MIN_GAP, "step_position": 1, "min_interval": 2 * DAY},
            {"kind": Rule.DOSING_WEEKLY_CAP, "step_position": 1, "max_count": 2, "period": WEEK},
        ],
        "prerequisites": [
            {"kind": Prereq.CONSENT},
            {"kind": Prereq.CONTRAINDICATION_SCREEN},
            {"kind": Prereq.REMS_ENROLLMENT},
            {"kind": Prereq.RIDE_CONFIRMED},
            {"kind": Prereq.FASTING_CONFIRMED},
        ],
        "scale_schedule": _scales(
            (Scale.PHQ9, Timing.BASELINE),
            (Scale.PHQ9, Timing.BEFORE_EACH_DOSING),
            (Scale.PHQ9, Timing.END_OF_PROGRAM),
            (Scale.CSSRS, Timing.BASELINE),
        ),
    },
    {
        "catalog_key": "ketamine_assisted_therapy",
        "name": "Ketamine-assisted therapy",
        "description": (
            "Two preparation sessions at least a day apart, the first dosing at least a day after the last "
            "preparation, six dosing sessions with a therapist present for the whole block (at most two in "
            "any 7 days), and an integration session 24-72 hours after each dosing."
        ),
        "pathway": Pathway.KAT,
        "steps": [
            {
                "position": 1,
                "phase": Phase.PREPARATION,
                "kind": SessionKind.PREPARATION,
                "label": "Preparation session",
                "count": 2,
                "session_minutes": 60,
                "block_minutes": 60,
                "room_kind": Room.Kind.CONSULT_ROOM,
                "room_capability": Room.Capability.THERAPY,
                "staff_needs": [_need(Role.THERAPIST, StaffMode.EXCLUSIVE, 0, 60)],
            },
            {
                "position": 2,
                "phase": Phase.INDUCTION,
                "kind": SessionKind.DOSING,
                "label": "Dosing session",
                "count": 6,
                "session_minutes": 150,
                "block_minutes": 180,
                "room_kind": Room.Kind.TREATMENT_ROOM,
                "room_capability": Room.Capability.MONITORED,
                "medication": Medication.KETAMINE,
                "route": Route.IM,
                "dose_mg_per_kg": Decimal("0.750"),
                "staff_needs": [
                    _need(Role.THERAPIST, StaffMode.EXCLUSIVE, 0, 180),
                    _need(Role.NURSE, StaffMode.SHARED, 0, 100),
                    _need(Role.PRESCRIBER, StaffMode.PRESENT, 0, 180),
                ],
            },
            {
                "position": 3,
                "phase": Phase.INTEGRATION,
                "kind": SessionKind.INTEGRATION,
                "label": "Integration session",
                "count": 6,
                "session_minutes": 60,
                "block_minutes": 60,
                "room_kind": Room.Kind.CONSULT_ROOM,
                "room_capability": Room.Capability.THERAPY,
                "telehealth_allowed": True,
                "staff_needs": [_need(Role.THERAPIST, StaffMode.EXCLUSIVE, 0, 60)],
            },
        ],
        "rules": [
            # One preparation a day, and the first dosing at least a day after the last preparation.
            {"kind": Rule.PREP_MIN_GAP, "step_position": 1, "min_interval": DAY},
            {"kind": Rule.PREP_BEFORE_FIRST_DOSING, "step_position": 1, "min_interval": DAY},
            {"kind": Rule.INTEGRATION_WINDOW, "step_position": 3, "min_interval": 24 * HOUR, "max_interval": 72 * HOUR},
            {"kind": Rule.DOSING_WEEKLY_CAP, "step_position": 2, "max_count": 2, "period": WEEK},
        ],
        "prerequisites": [
            {"kind": Prereq.CONSENT},
            {"kind": Prereq.CONTRAINDICATION_SCREEN},
            {"kind": Prereq.RIDE_CONFIRMED},
            {"kind": Prereq.FASTING_CONFIRMED},
            {"kind": Prereq.WEIGHT_RECENT, "max_age_days": 30},
        ],
        "scale_schedule": _scales(
            (Scale.PHQ9, Timing.BASELINE),
            (Scale.PHQ9, Timing.BEFORE_EACH_DOSING),
            (Scale.PHQ9, Timing.END_OF_PROGRAM),
            (Scale.GAD7, Timing.BASELINE),
            (Scale.GAD7, Timing.END_OF_PROGRAM),
            (Scale.CSSRS, Timing.BASELINE),
        ),
    },
]


@transaction.atomic
def install_shipped_templates(*, organization: Organization) -> list[ProgramTemplate]:
    """Create and publish the shipped templates the organisation does not have yet. Safe to run again.

    Returns the templates created by this call (empty when everything was already installed).
    """
    from programs.services import template_create, template_publish

    # Lock the organisation so two concurrent seeds don't both install the same family.
    Organization.objects.select_for_update().get(pk=organization.pk)
    installed = set(
        ProgramTemplate.objects.filter(organization=organization)
        .exclude(catalog_key="")
        .values_list("catalog_key", flat=True)
    )
    created = []
    for entry in SHIPPED_TEMPLATES:
        if entry["catalog_key"] in installed:
            continue
        template = template_create(organization=organization, by=None, **entry)
        created.append(template_publish(template=template, by=None))
    return created
