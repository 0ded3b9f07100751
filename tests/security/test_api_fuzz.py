"""Schemathesis against our own OpenAPI schema, authenticated as each role, in-process (WSGI).

One test per (operation, role). Path ids point at seeded objects, so requests reach real data.
Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance. A role the matrix allows gets a 2xx for at least half of its requests;
a role it refuses gets 403 every time. Every request to a PHI path writes exactly one audit row.
"""

from __future__ import annotations

import json
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kat_clinic.access.matrix import PERMISSION_MATRIX
from kat_clinic.audit.middleware import is_phi_path
from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role
from tests.security.world import seed_world

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES_ALLOWED = 6
EXAMPLES_REFUSED = 2
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PUBLIC_PATHS = {"/api/auth/login/", "/api/schema/", "/api/docs/"}

# Body fields that name another object: filled with a seeded id of the caller's clinic.
FIELD_RESOURCES: dict[str, str] = {
    "patient": "patients",
    "home_clinic": "clinics",
    "clinic": "clinics",
    "room": "rooms",
    "staff": "staff",
}
# Operations whose successful use needs a body a generator cannot guess (business rules on top of
# the schema): they must stay free of server errors and conform, but are exempt from the 2xx ratio.
RATIO_EXEMPT: dict[tuple[str, str], str] = {
    ("POST", "/api/break-glass/"): "needs a patient outside the caller's clinics",
    ("POST", "/api/auth/logout/"): "revokes the token the next examples would use",
}


def load_schema():
    generator = SchemaGenerator()
    document = json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))
    return schemathesis.openapi.from_dict(document)


SCHEMA = load_schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
OPERATIONS = [op for op in OPERATIONS if op.path not in PUBLIC_PATHS]


def operation_of(method: str, path: str) -> str:
    """The matrix operation behind an OpenAPI operation, via Django's resolver."""
    from django.urls import resolve

    concrete = re.sub(r"\{[^}]+\}", "1", path)
    match = resolve(concrete)
    callback = match.func
    actions = getattr(callback, "actions", None) or {}
    key = actions.get(method.lower(), method.lower())
    return callback.cls.operations[key]


def path_parameters(path: str, ids: dict[str, int]) -> dict[str, int]:
    params = {}
    segments = path.strip("/").split("/")
    for i, segment in enumerate(segments):
        match = re.fullmatch(r"\{(\w+)\}", segment)
        if match:
            resource = segments[i - 1]
            params[match.group(1)] = ids[resource]
    return params


@pytest.fixture
def world():
    return seed_world()


@pytest.fixture
def wsgi_app():
    # Requests run in this thread, inside the test's transaction; Django must not close the
    # connection between requests (the test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{op.method.upper()} {op.path}" for op in OPERATIONS])
def test_operation_conforms_for_role(operation, role, world, wsgi_app):
    # given
    method = operation.method.upper()
    allowed = role in PERMISSION_MATRIX[operation_of(method, operation.path)]
    headers = {"Authorization": f"Token {world.tokens[role]}"}
    strategy = operation.as_strategy(path_parameters=path_parameters(operation.path, world.ids))
    statuses: list[int] = []
    last_error = {}

    @settings(
        max_examples=EXAMPLES_ALLOWED if allowed else EXAMPLES_REFUSED,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        for values in (case.body, case.query):
            if isinstance(values, dict):
                for field_name, resource in FIELD_RESOURCES.items():
                    if field_name in values:
                        values[field_name] = world.ids[resource]
        if isinstance(case.query, dict) and "page" in case.query:
            case.query["page"] = 1  # a random page number is (correctly) a 404
        audit_rows = AuditEvent.objects.count()

        # when
        response = case.call_and_validate(app=wsgi_app, headers=headers, checks=CHECKS)

        # then
        statuses.append(response.status_code)
        if response.status_code >= 400:
            last_error.update(body=case.body, path=case.formatted_path, query=case.query, response=response.text[:300])
        if is_phi_path(case.formatted_path):
            assert AuditEvent.objects.count() == audit_rows + 1

    run()

    if not allowed:
        assert set(statuses) == {403}, statuses
    elif (method, operation.path) not in RATIO_EXEMPT:
        successes = sum(200 <= s < 300 for s in statuses)
        assert successes * 2 >= len(statuses), (statuses, last_error)
