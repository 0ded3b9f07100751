"""Django serves the web app at / and at every client-side path, and leaves its own paths alone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

INDEX = '<!doctype html><html><body><div id="root"></div><script src="/static/web/a.js"></script></body></html>'


@pytest.fixture
def built_app(settings, tmp_path):
    (tmp_path / "index.html").write_text(INDEX)
    settings.WEB_DIST_DIR = tmp_path
    return tmp_path


@pytest.mark.parametrize("path", ["/", "/desk/board", "/desk/patients/12/enroll", "/checkin/4/abc:def/"])
def test_client_side_paths_answer_with_the_app_page(client, built_app, path):
    # when a browser opens one of the app's own paths
    response = client.get(path)

    # then it gets the built index.html, never cached (a new build must be picked up)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode() == INDEX
    assert "no-cache" in response["Cache-Control"]


def test_api_paths_keep_their_json_404(client, built_app):
    # when an unknown API path is asked for
    response = client.get("/api/no-such-thing/")

    # then the API's 404 answers, not the app page
    assert response.status_code == 404
    assert b'id="root"' not in response.content


def test_health_and_admin_keep_their_routes(client, built_app):
    assert client.get("/livez").status_code == 200
    admin = client.get("/admin/")
    assert admin.status_code == 302
    assert admin["Location"].startswith("/admin/login/")


def test_the_app_page_refuses_writes(client, built_app):
    # a form posted to a client-side path is not the app's business
    assert client.post("/desk/board").status_code == 405


def test_an_unbuilt_app_says_how_to_build_it(client, settings, tmp_path):
    # given no build output
    settings.WEB_DIST_DIR = tmp_path / "missing"

    # when the app is opened
    response = client.get("/")

    # then the answer says what to run
    assert response.status_code == 503
    assert "make web" in response.content.decode()
