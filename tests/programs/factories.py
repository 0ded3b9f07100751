"""Factories for program templates. A template is created as a draft; `publish` it through the service."""

from __future__ import annotations

import factory

from programs.choices import Pathway, SessionKind
from programs.models import ProgramTemplate, TemplateStep
from tests.factories import OrganizationFactory


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramTemplate

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    pathway = Pathway.INFUSION_ONLY


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TemplateStep

    template = factory.SubFactory(TemplateFactory)
    position = factory.Sequence(lambda n: n + 1)
    phase = TemplateStep.Phase.INDUCTION
    kind = SessionKind.DOSING
    label = "Dosing"
    count = 1
    session_minutes = 40
    block_minutes = 100


def small_kat_spec() -> dict:
    """A valid, publishable spec: one preparation, two dosing sessions, an integration after each."""
    import datetime as dt
    from decimal import Decimal

    return {
        "name": "KAT short course",
        "pathway": Pathway.KAT,
        "steps": [
            {
                "position": 1,
                "phase": "preparation",
                "kind": "preparation",
                "label": "Preparation",
                "count": 1,
                "session_minutes": 60,
                "block_minutes": 60,
                "staff_needs": [
                    {"role": "therapist", "mode": "exclusive", "start_offset_minutes": 0, "end_offset_minutes": 60}
                ],
            },
            {
                "position": 2,
                "phase": "induction",
                "kind": "dosing",
                "label": "Dosing",
                "count": 2,
                "session_minutes": 150,
                "block_minutes": 180,
                "medication": "ketamine",
                "route": "im",
                "dose_mg_per_kg": Decimal("0.750"),
                "staff_needs": [
                    {"role": "therapist", "mode": "exclusive", "start_offset_minutes": 0, "end_offset_minutes": 180},
                    {"role": "nurse", "mode": "shared", "start_offset_minutes": 0, "end_offset_minutes": 100},
                ],
            },
            {
                "position": 3,
                "phase": "integration",
                "kind": "integration",
                "label": "Integration",
                "count": 2,
                "session_minutes": 60,
                "block_minutes": 60,
                "telehealth_allowed": True,
                "staff_needs": [
                    {"role": "therapist", "mode": "exclusive", "start_offset_minutes": 0, "end_offset_minutes": 60}
                ],
            },
        ],
        "rules": [
            {"kind": "prep_before_first_dosing", "step_position": 1},
            {
                "kind": "integration_window",
                "step_position": 3,
                "min_interval": dt.timedelta(hours=24),
                "max_interval": dt.timedelta(hours=72),
            },
            {"kind": "dosing_weekly_cap", "step_position": 2, "max_count": 2, "period": dt.timedelta(days=7)},
        ],
        "prerequisites": [
            {"kind": "consent"},
            {"kind": "contraindication_screen"},
            {"kind": "weight_recent", "max_age_days": 30},
        ],
        "scale_schedule": [{"scale": "phq9", "timing": "baseline"}],
    }
