"""A clinic admin builds and publishes a program template in the Django admin, in headless Chromium.

The clinic admin is staff without superuser rights, holding the programs app's permissions. Every
page the test visits is checked with axe-core (no serious or critical violations). Screenshots of
the finished template are saved in docs/ for the README.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from programs.models import ProgramTemplate, StaffNeed, TemplatePrerequisite, TemplateRule
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def clinic_admin(organization):
    user = UserFactory(username="clinic-admin", is_staff=True, is_superuser=False)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="programs"))
    StaffFactory(user=user, organization=organization, first_name="Dana", last_name="Admin")
    return user


def _no_serious_violations(page, axe_violations) -> None:
    found = axe_violations(page)
    for v in found:
        print(v)
    assert found == [], page.url


def test_a_clinic_admin_builds_and_publishes_a_template_in_the_browser(
    page, admin_login, axe_violations, clinic_admin, organization
):
    # given: signed in as the clinic admin, on a new template's page
    admin_login(clinic_admin, PASSWORD)
    _no_serious_violations(page, axe_violations)
    page.goto("/admin/programs/programtemplate/add/")
    _no_serious_violations(page, axe_violations)

    # when: the template and its one dosing step are entered and saved once
    page.fill("#id_name", "Ketamine IM, six weeks")
    page.select_option("#id_pathway", index=1)
    page.select_option("#id_organization", label=str(organization))
    page.click("#steps-group .add-row a")
    step = "#steps-group tr.dynamic-steps"
    page.fill(f"{step} [name$='-position']", "1")
    page.select_option(f"{step} [name$='-phase']", "induction")
    page.select_option(f"{step} [name$='-kind']", "dosing")
    page.fill(f"{step} [name$='-label']", "Dosing session")
    page.fill(f"{step} [name$='-count']", "6")
    page.fill(f"{step} [name$='-session_minutes']", "60")
    page.fill(f"{step} [name$='-block_minutes']", "120")
    page.select_option(f"{step} [name$='-medication']", "ketamine")
    page.select_option(f"{step} [name$='-route']", "im")
    page.fill(f"{step} [name$='-dose_mg_per_kg']", "0.5")
    page.click("input[name=_save]")

    # then: straight on to the draft's page (no reopening), the step's staff needs one click away
    template = ProgramTemplate.objects.get(name="Ketamine IM, six weeks")
    page.wait_for_url(f"**/admin/programs/programtemplate/{template.pk}/change/")
    _no_serious_violations(page, axe_violations)
    assert page.locator("#id_steps-0-kind option:checked").inner_text() == "Dosing"

    # when: the nurse's need is added on the step's page, which leads back to the template
    page.click("a.staff-needs-link")
    page.wait_for_url("**/admin/programs/templatestep/*/change/")
    _no_serious_violations(page, axe_violations)
    page.click("#staff_needs-group .add-row a")
    need = "#staff_needs-group tr.dynamic-staff_needs"
    page.select_option(f"{need} [name$='-role']", "nurse")
    page.select_option(f"{need} [name$='-mode']", "shared")
    page.fill(f"{need} [name$='-start_offset_minutes']", "0")
    page.fill(f"{need} [name$='-end_offset_minutes']", "120")
    page.click("input[name=_save]")
    page.wait_for_url(f"**/admin/programs/programtemplate/{template.pk}/change/")
    assert StaffNeed.objects.filter(step__template=template).count() == 1

    # when: publishing before the prerequisites are listed
    page.click("button:has-text('Publish')")
    page.wait_for_url(f"**/admin/programs/programtemplate/{template.pk}/change/")

    # then: refused, in the words of the choices, and still a draft
    error = page.locator(".messagelist .error").inner_text()
    assert "“Consent on file”" in error
    assert "“Contraindication screen passed”" in error
    assert "“Weight recorded recently”" in error
    assert "contraindication_screen" not in error
    template.refresh_from_db()
    assert template.state == ProgramTemplate.State.DRAFT

    # when: the prerequisites and a minimum gap typed as "3 days" are added, then Publish
    for kind in ("consent", "contraindication_screen", "weight_recent"):
        page.click("#prerequisites-group .add-row a")
        page.locator("#prerequisites-group tr.dynamic-prerequisites [name$='-kind']").last.select_option(kind)
    page.click("#rules-group .add-row a")
    rule = "#rules-group tr.dynamic-rules"
    page.select_option(f"{rule} [name$='-kind']", "dosing_min_gap")
    page.select_option(f"{rule} [name$='-step']", label="1. Dosing session x6")
    page.fill(f"{rule} [name$='-min_interval']", "3 days")
    page.click("input[name=_continue]")
    page.wait_for_url(f"**/admin/programs/programtemplate/{template.pk}/change/")
    assert page.locator("#rules-group [name$='-min_interval']").first.input_value() == "3 days"
    page.click("button:has-text('Publish')")
    page.wait_for_url(f"**/admin/programs/programtemplate/{template.pk}/change/")

    # then: published, read-only, the interval in words, no raw UUID on the page
    template.refresh_from_db()
    assert template.state == ProgramTemplate.State.PUBLISHED
    assert page.locator(".messagelist .success").inner_text() == "Ketamine IM, six weeks v1 (Published): published."
    assert TemplateRule.objects.get(template=template).min_interval.days == 3
    assert set(TemplatePrerequisite.objects.filter(template=template).values_list("kind", flat=True)) == {
        "consent",
        "contraindication_screen",
        "weight_recent",
    }
    assert "3 days" in page.locator("#rules-group").inner_text()
    assert str(template.family) not in page.content()
    assert page.locator("button:has-text('Clone into a new draft')").count() == 1
    assert page.locator("button:has-text('Retire')").count() == 1
    _no_serious_violations(page, axe_violations)
    page.screenshot(path=str(DOCS / "admin-template.png"), full_page=True)
