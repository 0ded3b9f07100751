"""Each path is matched against the URL patterns once; its match is reused, with its own values."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, URLResolver, resolve, reverse

from kat_clinic import urls


@pytest.fixture
def resolver():
    (root,) = urls.urlpatterns
    root._matches.clear()
    yield root
    root._matches.clear()


def test_given_a_path_resolved_once_when_resolved_again_then_no_pattern_is_tried(resolver, monkeypatch):
    # given
    first = resolve("/api/v1/patients/7/")
    tried = []
    original = URLResolver.resolve
    monkeypatch.setattr(URLResolver, "resolve", lambda self, path: tried.append(path) or original(self, path))

    # when
    again = resolve("/api/v1/patients/7/")

    # then only the project's root was asked (it asks the kept match), and the answer is the same
    assert tried == ["/api/v1/patients/7/"]
    assert (again.func, again.kwargs, again.url_name, again.route) == (
        first.func,
        {"pk": "7"},
        "patient-detail",
        first.route,
    )


def test_given_two_ids_then_each_path_answers_its_own_id(resolver):
    assert resolve("/api/v1/patients/7/").kwargs == {"pk": "7"}
    assert resolve("/api/v1/patients/8/").kwargs == {"pk": "8"}
    assert resolve("/api/v1/patients/7/").kwargs == {"pk": "7"}
    assert reverse("patient-detail", kwargs={"pk": 9}) == "/api/v1/patients/9/"


def test_given_a_path_that_matches_nothing_then_it_is_not_kept(resolver):
    with pytest.raises(Resolver404):
        resolver.resolve("static/no-such-file.css")
    assert "static/no-such-file.css" not in resolver._matches


def test_given_the_limit_reached_then_the_kept_paths_start_again(resolver, monkeypatch):
    monkeypatch.setattr(urls.ResolvedOnce, "KEPT", 2)
    resolve("/api/v1/patients/1/")
    resolve("/api/v1/patients/2/")
    resolve("/api/v1/patients/3/")
    assert list(resolver._matches) == ["api/v1/patients/3/"]
