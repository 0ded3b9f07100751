"""Every API endpoint is covered by the permission matrix, and the matrix is what the code enforces.

The URL resolver and the OpenAPI schema are both walked, so a new endpoint without a matrix row
fails here.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from kat_clinic.access.matrix import PERMISSION_MATRIX
from kat_clinic.access.permissions import MatrixPermission
from kat_clinic.roles import Role

# Reviewed: endpoints open without a role (they carry no PHI).
PUBLIC_ENDPOINTS = {"LoginView", "SchemaView", "DocsView"}  # the schema and docs: drf-spectacular's views
CLINICAL_PREFIXES = (
    "note.",
    "dose.",
    "vitals.",
    "scale.",
    "chart.",
    "record.",
    "gate.",
    "discharge.",
    "rems.",
    "controlled.",
)


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def api_endpoints():
    """(route, view class, {http method: operation or None}) for every API route."""
    found = []
    for route, callback in walk(get_resolver().url_patterns):
        if not route.startswith("api/") or not hasattr(callback, "cls"):
            continue
        cls = callback.cls
        actions = getattr(callback, "actions", None)
        if actions:  # a viewset route
            methods = {m: cls.operations.get(a) for m, a in actions.items() if m not in ("options", "head")}
        else:
            handlers = [m for m in cls.http_method_names if hasattr(cls, m) and m not in ("options", "head")]
            methods = {m: getattr(cls, "operations", {}).get(m) for m in handlers}
        found.append((route, cls, methods))
    return found


ENDPOINTS = api_endpoints()


def test_the_resolver_finds_the_api():
    routes = {route for route, _, _ in ENDPOINTS}
    assert "api/v1/patients/" in {re.sub(r"\^|\$", "", r) for r in routes}


@pytest.mark.parametrize(("route", "cls", "methods"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_every_endpoint_has_a_matrix_row_for_each_method(route, cls, methods):
    if cls.__name__ in PUBLIC_ENDPOINTS:
        return
    assert any(issubclass(p, MatrixPermission) for p in cls.permission_classes), (
        f"{cls.__name__} does not enforce the permission matrix"
    )
    for method, operation in methods.items():
        assert operation is not None, f"{cls.__name__} {method.upper()} {route} names no operation"
        assert operation in PERMISSION_MATRIX, f"{operation!r} ({cls.__name__}) has no row in the matrix"


def test_every_openapi_operation_maps_to_a_matrix_row():
    generator = SchemaGenerator()
    generator.parse(None, public=True)  # builds generator.endpoints
    missing = []
    assert generator.endpoints, "the schema lists no operation"
    for path, _regex, method, callback in generator.endpoints:
        cls = callback.cls
        if cls.__name__ in PUBLIC_ENDPOINTS:
            continue
        actions = getattr(callback, "actions", None) or {}
        key = actions.get(method.lower(), method.lower())
        operation = getattr(cls, "operations", {}).get(key)
        if operation not in PERMISSION_MATRIX:
            missing.append(f"{method} {path}")
    assert missing == []


def test_the_front_desk_holds_no_clinical_operation():
    clinical = {op for op in PERMISSION_MATRIX if op.startswith(CLINICAL_PREFIXES)}
    granted = {op for op in clinical if Role.SCHEDULER in PERMISSION_MATRIX[op]}
    assert granted == set()


COLLECTION_GETS = [
    (route, cls, methods["get"])
    for route, cls, methods in ENDPOINTS
    if "get" in methods
    and methods["get"]
    and "<" not in route
    and "(?P<" not in route
    and cls.__name__ not in PUBLIC_ENDPOINTS
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("route", "cls", "operation"), COLLECTION_GETS, ids=[e[0] for e in COLLECTION_GETS])
def test_collection_reads_follow_the_matrix_for_each_role(role, route, cls, operation, api, clinic, make_staff):
    # given
    staff = make_staff(clinic, role)
    url = "/" + re.sub(r"\^|\$|\\", "", route)

    # when
    response = api(staff).get(url)

    # then
    if role in PERMISSION_MATRIX[operation]:
        assert response.status_code != 403, (url, role)
    else:
        assert response.status_code == 403, (url, role)
