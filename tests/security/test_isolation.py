"""Clinic isolation for every endpoint with an id: another clinic's object answers 404 to every role.

The ids come from the same seeded world as the fuzz test (`world.other_ids`: one object of each
resource in a clinic the caller does not work at).
"""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import resolve
from rest_framework.test import APIClient

from kat_clinic.access.matrix import PERMISSION_MATRIX
from kat_clinic.roles import Role
from tests.security.test_api_fuzz import OPERATIONS, is_public, path_parameters, view_of
from tests.security.world import seed_world

pytestmark = pytest.mark.django_db

DETAIL_READS = [
    op for op in OPERATIONS if op.method.upper() == "GET" and "{" in op.path and not is_public(op.method, op.path)
]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_every_detail_route_is_checked():
    assert len(DETAIL_READS) >= 10


@pytest.mark.parametrize("operation", DETAIL_READS, ids=[op.path for op in DETAIL_READS])
def test_another_clinics_object_is_not_found_for_every_role(operation, world):
    # given: the path points at objects of the other clinic
    try:
        params = path_parameters(operation.path, world.other_ids)
    except KeyError as missing:
        pytest.fail(f"the world seeds no {missing} in the other clinic: add it to the app's api_world")
    url = re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), operation.path)
    cls, action = view_of("GET", operation.path)
    allowed_roles = PERMISSION_MATRIX[cls.operations[action]]

    for role in Role:
        client = APIClient()
        client.force_authenticate(user=world.staff[role].user)

        # when
        response = client.get(url)

        # then: a role that may use the operation finds nothing; one that may not is refused first
        expected = 404 if role in allowed_roles else 403
        assert response.status_code == expected, (role, url, response.status_code)
        assert resolve(url).func.cls is cls
