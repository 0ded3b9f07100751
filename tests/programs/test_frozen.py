"""A published version never changes: the database refuses it, whichever way the write comes."""

from __future__ import annotations

import pytest
from django.db import InternalError, connection, transaction

from programs.models import (
    ProgramTemplate,
    ScaleScheduleItem,
    StaffNeed,
    TemplatePrerequisite,
    TemplateRule,
    TemplateStep,
)
from programs.services import template_clone, template_create, template_publish, template_retire, template_spec
from tests.programs.factories import small_kat_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(organization):
    template = template_create(organization=organization, by=None, **small_kat_spec())
    return template_publish(template=template, by=None)


def _refused_by_database(sql: str, params: list) -> InternalError:
    with pytest.raises(InternalError) as excinfo, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    assert excinfo.value.__cause__.pgcode == "P0001"
    return excinfo.value


def test_raw_sql_cannot_rename_a_published_template(published):
    # when
    error = _refused_by_database("UPDATE programs_programtemplate SET name = 'Edited' WHERE id = %s", [published.pk])

    # then
    assert "the only change allowed is published to retired" in str(error)
    published.refresh_from_db()
    assert published.name == "KAT short course"


def test_raw_sql_cannot_unpublish_a_template(published):
    # when
    _refused_by_database("UPDATE programs_programtemplate SET state = 'draft' WHERE id = %s", [published.pk])

    # then
    published.refresh_from_db()
    assert published.state == "published"


def test_raw_sql_cannot_delete_a_published_template_or_its_steps(published):
    # given
    step = published.steps.get(position=2)

    # when
    _refused_by_database("DELETE FROM programs_templatestep WHERE id = %s", [step.pk])
    _refused_by_database("DELETE FROM programs_programtemplate WHERE id = %s", [published.pk])

    # then
    assert published.steps.count() == 3
    assert ProgramTemplate.objects.filter(pk=published.pk).exists()


def test_raw_sql_cannot_touch_staff_needs_rules_prerequisites_or_scales_of_a_published_template(published):
    # given
    need = StaffNeed.objects.filter(step__template=published).first()
    rule = published.rules.get(kind="integration_window")

    # when
    _refused_by_database("UPDATE programs_staffneed SET end_offset_minutes = 10 WHERE id = %s", [need.pk])
    _refused_by_database("UPDATE programs_templaterule SET max_interval = interval '9 days' WHERE id = %s", [rule.pk])
    _refused_by_database(
        "INSERT INTO programs_templateprerequisite (template_id, kind) VALUES (%s, 'ride_confirmed')", [published.pk]
    )
    _refused_by_database("DELETE FROM programs_scalescheduleitem WHERE template_id = %s", [published.pk])

    # then
    assert template_spec(template=ProgramTemplate.objects.get(pk=published.pk)) == template_spec(template=published)
    need.refresh_from_db()
    assert need.end_offset_minutes != 10
    assert published.scale_schedule.count() == 1
    assert not published.prerequisites.filter(kind="ride_confirmed").exists()


def test_an_admin_style_orm_save_of_a_published_template_is_refused(published):
    # given: what the Django admin does on "Save": load, set fields, save()
    template = ProgramTemplate.objects.get(pk=published.pk)
    template.name = "Edited in the admin"

    # when
    with pytest.raises(InternalError), transaction.atomic():
        template.save()

    # then
    published.refresh_from_db()
    assert published.name == "KAT short course"


def test_orm_writes_to_parts_of_a_published_template_are_refused(published):
    # given
    step = published.steps.get(position=2)

    # when / then
    with pytest.raises(InternalError), transaction.atomic():
        step.block_minutes = 240
        step.save()
    with pytest.raises(InternalError), transaction.atomic():
        TemplateStep.objects.create(
            template=published,
            position=9,
            phase="maintenance",
            kind="check_in",
            label="Extra",
            session_minutes=15,
            block_minutes=15,
        )
    with pytest.raises(InternalError), transaction.atomic():
        TemplateRule.objects.filter(template=published).delete()
    with pytest.raises(InternalError), transaction.atomic():
        TemplatePrerequisite.objects.filter(template=published).update(max_age_days=1)
    with pytest.raises(InternalError), transaction.atomic():
        ScaleScheduleItem.objects.create(template=published, scale="gad7", timing="baseline")
    with pytest.raises(InternalError), transaction.atomic():
        StaffNeed.objects.filter(step=step).update(mode="present")

    # then
    step.refresh_from_db()
    assert step.block_minutes == 180
    assert published.steps.count() == 3
    assert published.rules.count() == 3
    assert set(StaffNeed.objects.filter(step=step).values_list("mode", flat=True)) == {"exclusive", "shared"}


def test_a_published_template_can_be_retired_and_then_never_changes(published):
    # when
    retired = template_retire(template=published, by=None)

    # then
    assert retired.state == "retired"
    assert retired.retired_at is not None
    _refused_by_database("UPDATE programs_programtemplate SET state = 'published' WHERE id = %s", [published.pk])
    _refused_by_database("UPDATE programs_templatestep SET label = 'x' WHERE template_id = %s", [published.pk])


def test_a_template_cannot_be_born_published(organization):
    # when
    with pytest.raises(InternalError), transaction.atomic():
        ProgramTemplate.objects.create(
            organization=organization, name="Sneaky", pathway="kat", state="published", published_at="2026-01-01T00:00Z"
        )

    # then
    assert not ProgramTemplate.objects.filter(name="Sneaky").exists()


def test_cloning_copies_every_part_into_a_new_draft_version(published):
    # when
    clone = template_clone(template=published, by=None)

    # then
    assert (clone.family, clone.version, clone.state) == (published.family, 2, "draft")
    assert template_spec(template=clone) == template_spec(template=published)
    assert clone.steps.count() == 3
    assert StaffNeed.objects.filter(step__template=clone).count() == 4
    assert clone.rules.get(kind="integration_window").step.template_id == clone.pk


def test_publishing_a_clone_retires_the_previous_version(published):
    # given
    clone = template_clone(template=published, by=None)

    # when
    template_publish(template=clone, by=None)

    # then
    published.refresh_from_db()
    clone.refresh_from_db()
    assert (published.state, clone.state) == ("retired", "published")
