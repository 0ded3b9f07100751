from __future__ import annotations

import pytest
from django.test import Client

from programs.models import ProgramTemplate
from programs.services import template_create
from tests.factories import UserFactory
from tests.programs.factories import small_kat_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(settings) -> Client:
    # The manifest storage needs collectstatic; pages render the same with the plain storage.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    user = UserFactory(username="site-admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_a_published_template_opens_read_only_with_its_plan(admin_client, kat_template):
    # when
    response = admin_client.get(f"/admin/programs/programtemplate/{kat_template.pk}/change/")

    # then
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    html = response.content.decode()
    assert "Integration session 1/6" in html
    assert "Therapist — Exclusive" in html
    assert 'name="_save"' not in html


def test_posting_a_change_to_a_published_template_in_the_admin_is_refused(admin_client, kat_template):
    # when
    response = admin_client.post(
        f"/admin/programs/programtemplate/{kat_template.pk}/change/",
        {"name": "Edited", "pathway": "kat", "organization": kat_template.organization_id},
    )

    # then
    assert response.status_code == 403
    kat_template.refresh_from_db()
    assert kat_template.name == "Ketamine-assisted therapy"


def test_a_draft_opens_editable_and_the_publish_action_publishes_it(admin_client, organization):
    # given
    draft = template_create(organization=organization, by=None, **small_kat_spec())

    # when
    page = admin_client.get(f"/admin/programs/programtemplate/{draft.pk}/change/")
    action = admin_client.post(
        "/admin/programs/programtemplate/", {"action": "publish", "_selected_action": [draft.pk]}, follow=True
    )

    # then
    assert page.status_code == 200
    assert page.context["has_change_permission"] is True
    assert action.status_code == 200
    assert ProgramTemplate.objects.get(pk=draft.pk).state == "published"


def test_the_publish_action_reports_why_an_incomplete_draft_stays_a_draft(admin_client, organization):
    # given
    spec = small_kat_spec()
    spec["prerequisites"] = [{"kind": "contraindication_screen"}, {"kind": "weight_recent"}]
    draft = template_create(organization=organization, by=None, **spec)

    # when
    response = admin_client.post(
        "/admin/programs/programtemplate/", {"action": "publish", "_selected_action": [draft.pk]}, follow=True
    )

    # then: in the words of the prerequisite choices, not their codes
    html = response.content.decode()
    assert "Dosing sessions need the \u201cConsent on file\u201d prerequisite." in html
    assert "&#x27;consent&#x27;" not in html
    assert ProgramTemplate.objects.get(pk=draft.pk).state == "draft"


def test_the_template_list_and_enrollment_pages_render(admin_client, kat_template):
    # when / then
    assert admin_client.get("/admin/programs/programtemplate/").status_code == 200
    assert admin_client.get("/admin/programs/enrollment/").status_code == 200
    step = kat_template.steps.first()
    assert admin_client.get(f"/admin/programs/templatestep/{step.pk}/change/").status_code == 200
