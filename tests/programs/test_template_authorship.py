"""Who published and who retired a template version is kept on it."""

from __future__ import annotations

import pytest

from programs.models import ProgramTemplate
from programs.services import template_clone, template_create, template_publish, template_retire
from tests.programs.factories import small_kat_spec

pytestmark = pytest.mark.django_db


def test_publishing_records_who_published(organization, admin_staff):
    # given
    draft = template_create(organization=organization, by=None, **small_kat_spec())

    # when
    template_publish(template=draft, by=admin_staff)

    # then
    stored = ProgramTemplate.objects.get(pk=draft.pk)
    assert (stored.state, stored.published_by_id, stored.retired_by_id) == ("published", admin_staff.pk, None)


def test_publishing_a_new_version_records_who_retired_the_old_one(organization, admin_staff, prescriber):
    # given: version 1 published by the admin, version 2 cloned from it
    first = template_create(organization=organization, by=None, **small_kat_spec())
    template_publish(template=first, by=admin_staff)
    second = template_clone(template=first, by=prescriber)

    # when
    template_publish(template=second, by=prescriber)

    # then
    old, new = ProgramTemplate.objects.get(pk=first.pk), ProgramTemplate.objects.get(pk=second.pk)
    assert (old.state, old.published_by_id, old.retired_by_id) == ("retired", admin_staff.pk, prescriber.pk)
    assert (new.state, new.published_by_id) == ("published", prescriber.pk)


def test_retiring_records_who_retired(organization, admin_staff, prescriber):
    # given
    draft = template_create(organization=organization, by=None, **small_kat_spec())
    template_publish(template=draft, by=admin_staff)

    # when
    template_retire(template=draft, by=prescriber)

    # then
    stored = ProgramTemplate.objects.get(pk=draft.pk)
    assert (stored.state, stored.retired_by_id) == ("retired", prescriber.pk)
