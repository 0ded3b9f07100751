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
