"""The browser harness itself: Chromium signs in to the admin, and axe-core reports what it finds."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_a_superuser_signs_in_to_the_admin_through_its_login_form(page, admin_login):
    # given
    user = UserFactory(username="root", is_staff=True, is_superuser=True)

    # when
    admin_login(user, PASSWORD)

    # then: the admin index, with the site header and the user's name
    assert page.url.endswith("/admin/")
    assert page.locator("#site-name").inner_text() == "KAT Clinic administration"
    assert "root" in page.locator("#user-tools").inner_text().lower()


def test_axe_reports_an_image_without_alternative_text_as_critical(page, axe_violations):
    # given: a page with one image lacking alt text, and a well-labelled one
    page.set_content('<html lang="en"><title>t</title><main><img src="a.png"><img src="b.png" alt="x"></main></html>')

    # when
    violations = axe_violations(page)

    # then
    found = [(v["id"], v["impact"], v["targets"]) for v in violations]
    assert found == [("image-alt", "critical", [['img[src="a.png"]']])]


def test_axe_finds_nothing_serious_on_the_admin_login_page(page, axe_violations):
    # when
    response = page.goto("/admin/login/")

    # then: the real login form, styled (its stylesheet served), with nothing serious for axe
    assert response.status == 200
    assert page.locator("#id_username").count() == 1
    assert page.evaluate("() => getComputedStyle(document.body).fontFamily") != "Times New Roman"
    assert axe_violations(page) == []
