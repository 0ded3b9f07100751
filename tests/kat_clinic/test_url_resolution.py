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


# --- only the patterns a path can match are tried --------------------------------------------------

SAMPLE_VALUES = ("7", "json", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "abc", "2027-06-07")


def _sample_paths() -> list[str]:
    """A path for every named route (its arguments filled with the first sample each accepts), and
    paths the web app, the admin, the API's 404 and the health checks answer."""
    from django.urls import NoReverseMatch, get_resolver

    paths = {
        "/livez",
        "/healthz",
        "/",
        "/desk/board",
        "/sessions/7/chart",  # the web app's route, not the API's
        "/admin/",
        "/admin/kat_clinic/patient/3/change/",
        "/api/v1/no-such-thing/",
        "/api/v1/patients/7/nope/",
        "/api/checkins/5/some-token/",
        "/api/v1/patients/7.json",
    }
    for name, possibilities in get_resolver().reverse_dict.lists():
        if not isinstance(name, str):
            continue
        for _bits, _pattern, _defaults, _converters in possibilities:
            params = _bits[0][1]
            for value in SAMPLE_VALUES:
                kwargs = {param: ("json" if param == "format" else value) for param in params}
                try:
                    paths.add(reverse(name, kwargs=kwargs))
                    break
                except NoReverseMatch:
                    continue
    return sorted(paths)


def _answer(path: str):
    try:
        match = resolve(path)
    except Resolver404:
        return "404"
    return (
        match.func,
        match.args,
        match.kwargs,
        match.url_name,
        match.route,
        match.app_names,
        match.namespaces,
        match.captured_kwargs,
        match.extra_kwargs,
    )


def test_given_every_route_then_resolving_only_the_candidates_answers_as_django(resolver, monkeypatch):
    # given
    from kat_clinic.url_resolution import PrefixIndexed

    paths = _sample_paths()
    assert len(paths) > 150  # every router's routes, not a handful

    # when
    indexed = {path: _answer(path) for path in paths}
    resolver._matches.clear()
    monkeypatch.setattr(PrefixIndexed, "resolve", URLResolver.resolve)
    plain = {path: _answer(path) for path in paths}

    # then
    assert indexed == plain
    assert indexed["/api/v1/patients/7/"][2:4] == ({"pk": "7"}, "patient-detail")


@pytest.mark.parametrize(
    ("route", "beginning"),
    [
        (r"^patients/(?P<pk>[^/.]+)/$", "patients/"),
        (r"^patients\.(?P<format>[a-z0-9]+)/?$", "patients"),
        (r"^sessions/?$", "sessions"),  # the slash may be absent
        (r"^sessions/{1,2}x$", "sessions"),
        (r"^(?!api/|admin/)(?P<path>.*)$", ""),
        (r"^api/|^admin/", ""),  # an alternative: either beginning
        (r"patients/$", ""),  # not anchored: anywhere in the path
    ],
)
def test_a_regex_routes_literal_beginning_is_what_every_match_begins_with(route, beginning):
    from django.urls.resolvers import RegexPattern

    from kat_clinic.url_resolution import literal_beginning

    assert literal_beginning(RegexPattern(route)) == beginning


def test_a_path_routes_literal_beginning_ends_at_its_first_converter():
    from django.urls.resolvers import RoutePattern

    from kat_clinic.url_resolution import literal_beginning

    assert literal_beginning(RoutePattern("checkins/<int:patient_id>/<str:token>/")) == "checkins/"
    assert literal_beginning(RoutePattern("sms/inbound/")) == "sms/inbound/"
