"""Schemathesis against our own OpenAPI schema, authenticated as each role, in-process (WSGI).

One test per (operation, role). Path ids point at seeded objects (tests/security/world.py and each
app's tests/<app>/api_world.py), so requests reach real data. Checks: not_a_server_error (ST101),
status_code_conformance (ST103), content_type_conformance (ST104-ST106: every response, errors
included, in a documented media type, application/problem+json for 4xx and 5xx),
response_headers_conformance (ST107) and response_schema_conformance (ST108). A role the matrix
allows gets a 2xx for at least half of its requests; a role it refuses gets 403 every time. Every
request to a PHI path writes exactly one audit row.
"""

from __future__ import annotations

import json
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kat_clinic.access.matrix import PERMISSION_MATRIX
from kat_clinic.audit.middleware import is_phi_path
from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role
from tests.security.world import api_worlds, merged, seed_world

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES_ALLOWED = 6
EXAMPLES_REFUSED = 2
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SCHEMA_PATHS = {"/api/v1/schema/", "/api/v1/docs/"}
LOGIN = ("POST", "/api/v1/auth/login/")


def load_schema():
    generator = SchemaGenerator()
    document = json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))
    return schemathesis.openapi.from_dict(document)


SCHEMA = load_schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
OPERATIONS = [op for op in OPERATIONS if op.path not in SCHEMA_PATHS]
FIELD_RESOURCES = merged("field_resources")
FRESH_PATHS = merged("fresh_paths")
BODY_BASES = merged("body_bases")
RATIO_EXEMPT = merged("ratio_exempt")
PUBLIC_PATHS = merged("public_paths")
FREE_FIELDS = frozenset().union(*(w.free_fields for w in api_worlds()))


def view_of(method: str, path: str):
    callback = resolve(re.sub(r"\{[^}]+\}", "1", path)).func
    actions = getattr(callback, "actions", None) or {}
    return callback.cls, actions.get(method.lower(), method.lower())


def is_public(method: str, path: str) -> bool:
    cls, _ = view_of(method, path)
    return bool(getattr(cls, "public", False))


def path_parameters(path: str, ids: dict[str, int]) -> dict[str, int]:
    params = {}
    segments = path.strip("/").split("/")
    for i, segment in enumerate(segments):
        match = re.fullmatch(r"\{(\w+)\}", segment)
        if match:
            params[match.group(1)] = ids[segments[i - 1]]
    return params


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Seeded once for the module, in a transaction rolled back at the end; each test runs in a
    savepoint on top of it (as Django's setUpTestData does), so what a test changes is undone."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def wsgi_app():
    # Requests run in this thread, inside the test's transaction; Django must not close the
    # connection between requests (the test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


DATE_PREFIX = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def plausible_years(values: dict) -> None:
    """Dates and times generated in any year (0001-9999) are moved to 2024 (a leap year, so a
    generated 29 February stays a date): a year outside 1900-2100 is (correctly) a 400."""
    for name, value in values.items():
        if isinstance(value, str) and DATE_PREFIX.match(value):
            values[name] = "2024" + value[4:]


def fuzz(operation, world, wsgi_app, *, role: str | None, examples: int) -> tuple[list[int], dict]:
    """Run `examples` generated requests; return their statuses and the last error seen."""
    key = (operation.method.upper(), operation.path)
    headers = {"Authorization": f"Token {world.tokens[role]}"} if role else {}
    fixed = {} if key in FRESH_PATHS or key in PUBLIC_PATHS else path_parameters(operation.path, world.ids)
    strategy = operation.as_strategy(path_parameters=fixed or None)
    statuses: list[int] = []
    last_error: dict = {}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        if key in FRESH_PATHS:
            case.path_parameters = FRESH_PATHS[key](world, role)
        elif key in PUBLIC_PATHS:
            case.path_parameters = PUBLIC_PATHS[key](world)
        if key in BODY_BASES:
            generated = case.body if isinstance(case.body, dict) else {}
            body = BODY_BASES[key](world, role)
            body.update({k: v for k, v in generated.items() if k in FREE_FIELDS and k in body and isinstance(v, str)})
            case.body = body
        for values in (case.body, case.query):
            if isinstance(values, dict):
                for field_name, resource in FIELD_RESOURCES.items():
                    if field_name in values and not (key in BODY_BASES and values is case.body):
                        values[field_name] = world.ids[resource]
        if isinstance(case.query, dict) and "page" in case.query:
            case.query["page"] = 1  # a random page number is (correctly) a 404
        for values in (case.body, case.query):
            if isinstance(values, dict) and not (key in BODY_BASES and values is case.body):
                plausible_years(values)
        audit_rows = AuditEvent.objects.count()

        response = case.call_and_validate(app=wsgi_app, headers=headers, checks=CHECKS)

        statuses.append(response.status_code)
        if response.status_code >= 400:
            last_error.update(body=case.body, path=case.formatted_path, query=case.query, response=response.text[:400])
        if is_phi_path(case.formatted_path):
            assert AuditEvent.objects.count() == audit_rows + 1, "an API request wrote no audit row"

    run()
    return statuses, last_error


PRIVATE = [op for op in OPERATIONS if not is_public(op.method, op.path)]
PUBLIC = [op for op in OPERATIONS if is_public(op.method, op.path) and (op.method.upper(), op.path) != LOGIN]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("operation", PRIVATE, ids=[f"{op.method.upper()} {op.path}" for op in PRIVATE])
def test_operation_conforms_for_role(operation, role, world, wsgi_app):
    cls, action = view_of(operation.method, operation.path)
    allowed = role in PERMISSION_MATRIX[cls.operations[action]]

    statuses, last_error = fuzz(
        operation, world, wsgi_app, role=role, examples=EXAMPLES_ALLOWED if allowed else EXAMPLES_REFUSED
    )

    if not allowed:
        assert set(statuses) == {403}, (statuses, last_error)
    elif (operation.method.upper(), operation.path) not in RATIO_EXEMPT:
        successes = sum(200 <= s < 300 for s in statuses)
        assert successes * 2 >= len(statuses), (statuses, last_error)


@pytest.mark.parametrize("operation", PUBLIC, ids=[f"{op.method.upper()} {op.path}" for op in PUBLIC])
def test_public_operation_conforms(operation, world, wsgi_app):
    statuses, last_error = fuzz(operation, world, wsgi_app, role=None, examples=EXAMPLES_ALLOWED)

    if (operation.method.upper(), operation.path) not in RATIO_EXEMPT:
        successes = sum(200 <= s < 300 for s in statuses)
        assert successes * 2 >= len(statuses), (statuses, last_error)


def test_login_conforms(world, wsgi_app):
    operation = next(op for op in OPERATIONS if (op.method.upper(), op.path) == LOGIN)
    statuses, _ = fuzz(operation, world, wsgi_app, role=None, examples=EXAMPLES_ALLOWED)
    assert set(statuses) <= {400, 401, 429}  # generated credentials never match a user
