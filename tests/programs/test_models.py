from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.utils import timezone

from programs.choices import Pathway
from programs.models import ProgramTemplate, TemplateStep
from tests.programs.factories import StepFactory, TemplateFactory

pytestmark = pytest.mark.django_db


def _publish_raw(template: ProgramTemplate) -> None:
    ProgramTemplate.objects.filter(pk=template.pk).update(state="published", published_at=timezone.now())


def test_a_published_template_step_cannot_be_updated_in_raw_sql(organization):
    # given
    template = TemplateFactory(organization=organization)
    step = StepFactory(template=template, block_minutes=100)
    _publish_raw(template)

    # when
    with pytest.raises(InternalError) as excinfo, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE programs_templatestep SET block_minutes = 30 WHERE id = %s", [step.pk])

    # then
    assert excinfo.value.__cause__.pgcode == "P0001"
    step.refresh_from_db()
    assert step.block_minutes == 100


def test_a_draft_template_step_can_be_edited(organization):
    # given
    step = StepFactory(template=TemplateFactory(organization=organization), block_minutes=100)

    # when
    TemplateStep.objects.filter(pk=step.pk).update(block_minutes=120)

    # then
    step.refresh_from_db()
    assert step.block_minutes == 120


def test_two_published_versions_of_one_family_are_refused(organization):
    # given
    first = TemplateFactory(organization=organization, pathway=Pathway.KAT)
    second = TemplateFactory(organization=organization, family=first.family, version=2)
    _publish_raw(first)

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        _publish_raw(second)
    second.refresh_from_db()
    assert second.state == ProgramTemplate.State.DRAFT
