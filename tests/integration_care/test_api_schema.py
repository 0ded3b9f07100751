"""Responses of the integration API match what the OpenAPI schema promises (found by fuzzing)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from followups.models import FollowUp
from programs.catalog import install_shipped_templates
from programs.models import ProgramTemplate
from programs.services import enrollment_create
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def _json_schema(node):
    """OpenAPI 3.0 to JSON Schema: `nullable: true` becomes a type that admits null."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def _validate(schema: dict, path: str, method: str, status: str, body) -> None:
    response_schema = schema["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    document = _json_schema({**response_schema, "components": schema["components"]})
    jsonschema.validate(body, document, cls=jsonschema.Draft4Validator)


def test_a_patient_message_has_a_blank_role_and_the_schema_allows_it(api, nurse, clinic, schema):
    # given: a reminder to a patient is addressed to no role
    reminder = FollowUpFactory(clinic=clinic, kind=FollowUp.Kind.SESSION_REMINDER)

    # when
    response = api(nurse).get(f"/api/v1/followups/{reminder.pk}/")

    # then
    assert response.status_code == 200
    assert response.json()["role"] == ""
    _validate(schema, "/api/v1/followups/{id}/", "get", "200", response.json())


def test_replacing_the_on_call_list_answers_the_plain_list_the_schema_documents(
    api, admin_staff, nurse, prescriber, clinic, schema
):
    # when
    response = api(admin_staff).post(
        "/api/v1/on-call/replace/", {"clinic": clinic.pk, "staff": [prescriber.pk, nurse.pk]}, format="json"
    )

    # then
    assert response.status_code == 200
    assert [row["staff"] for row in response.json()] == [prescriber.pk, nurse.pk]
    _validate(schema, "/api/v1/on-call/replace/", "post", "200", response.json())


def test_a_plans_history_is_the_plain_list_the_schema_documents(api, therapist, patient, schema):
    # given
    install_shipped_templates(organization=patient.organization)
    template = ProgramTemplate.objects.get(organization=patient.organization, catalog_key="ketamine_assisted_therapy")
    enrollment = enrollment_create(patient=patient, template=template, by=None)
    client = api(therapist)
    plan = client.post("/api/v1/integration-plans/", {"enrollment": enrollment.pk, "themes": ["grief"]}).json()

    # when
    response = client.get(f"/api/v1/integration-plans/{plan['id']}/history/")

    # then
    assert response.status_code == 200
    assert [row["version"] for row in response.json()] == [1]
    _validate(schema, "/api/v1/integration-plans/{id}/history/", "get", "200", response.json())
