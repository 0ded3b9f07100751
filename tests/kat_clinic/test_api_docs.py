"""The API documentation, checked over the live OpenAPI document, so every new operation must comply.

Every operation: a summary, a description written for integrators (ending with who may call it),
one declared area tag, JSON-only request bodies, and request / response examples (at least 90 % of
operations; every example validates against its schema, unknown fields included). Time zones are a
string with a pattern, not an enum. Fields whose model column may be NULL are marked nullable.
"""

from __future__ import annotations

import copy
import json
import re
import zoneinfo

import pytest
from django.conf import settings
from django.db import models
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker
from rest_framework import serializers

from kat_clinic.api.fields import TIME_ZONE_PATTERN
from kat_clinic.api.schema import ACCESS_MARKER
from kat_clinic.models import Clinic, Room
from kat_clinic.roles import Role

METHODS = ("get", "post", "put", "patch", "delete")
EXAMPLE_SHARE = 0.90
# Words of the people who maintain the code, not of those who call the API.
INTERNAL_PHRASES = (
    "clinic_lookup",
    "get_base_queryset",
    "get_queryset",
    "queryset",
    "viewset",
    "serializer",
    "subclass",
    "implement ",
    "operations[",
    "swagger_fake_view",
    "select_related",
    "audit_resource",
    "audit_patient_attr",
    "selectors.",
    "services.",
    "Base for ",
    "TODO",
)


def build_document():
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema)), generator


DOCUMENT, GENERATOR = build_document()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in METHODS
]
IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]


def own_description(operation: dict) -> str:
    return operation.get("description", "").split(ACCESS_MARKER)[0].strip()


def media_with_examples(operation: dict):
    """(where, media type, media object) of the request body and every response."""
    for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
        yield "request", media_type, media
    for status, response in operation.get("responses", {}).items():
        for media_type, media in response.get("content", {}).items():
            yield status, media_type, media


def has_examples(operation: dict) -> bool:
    """Every request body and every success response with a body shows at least one example."""
    request = list(operation.get("requestBody", {}).get("content", {}).values())
    success = [
        media
        for status, response in operation["responses"].items()
        if status.startswith("2")
        for media in response.get("content", {}).values()
    ]
    shown = request + success
    return bool(shown) and all(media.get("examples") for media in shown)


# --- summaries, descriptions, tags ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_has_a_summary_and_a_description_for_integrators(method, path, operation):
    summary = operation.get("summary", "")
    description = own_description(operation)

    assert 10 <= len(summary) <= 120, f"{method} {path}: summary {summary!r}"
    assert not summary.endswith("."), f"{method} {path}: a summary is a title, without a full stop"
    assert len(description) >= 60, f"{method} {path}: description {description!r}"
    assert operation["description"].rstrip().splitlines()[-1].startswith(ACCESS_MARKER)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_no_summary_or_description_is_developer_documentation(method, path, operation):
    text = operation.get("summary", "") + "\n" + operation.get("description", "")

    found = [phrase for phrase in INTERNAL_PHRASES if phrase.lower() in text.lower()]

    assert found == [], f"{method} {path} reads like code documentation: {found}"


def test_the_access_line_names_the_roles_of_the_permission_matrix():
    # given
    login = DOCUMENT["paths"]["/api/v1/auth/login/"]["post"]
    audit = DOCUMENT["paths"]["/api/v1/audit-events/"]["get"]
    weights = DOCUMENT["paths"]["/api/v1/patients/{id}/weights/"]["post"]

    # then
    assert login["description"].endswith(
        f"{ACCESS_MARKER} public: no token (what proves the caller is described above)."
    )
    assert audit["description"].endswith(
        f"{ACCESS_MARKER} a token of a user holding one of the roles `admin` at the clinic concerned "
        "(operation `audit.read`)."
    )
    assert "`nurse`, `prescriber` at the clinic concerned (operation `patient.weight.write`)" in weights["description"]


def test_every_operation_carries_exactly_one_declared_area_tag():
    declared = {tag["name"]: tag.get("description", "") for tag in settings.SPECTACULAR_SETTINGS["TAGS"]}

    untagged = [f"{m} {p}: {op.get('tags')}" for m, p, op in OPERATIONS if len(op.get("tags", [])) != 1]
    undeclared = sorted({op["tags"][0] for _, _, op in OPERATIONS if op.get("tags") and op["tags"][0] not in declared})
    unused = sorted(set(declared) - {op["tags"][0] for _, _, op in OPERATIONS if op.get("tags")})

    assert untagged == []
    assert undeclared == [], "add these tags, with a description, to SPECTACULAR_SETTINGS['TAGS']"
    assert unused == []
    assert all(len(description) >= 20 for description in declared.values())
    assert [tag["name"] for tag in DOCUMENT["tags"]] == list(declared)


# --- examples -----------------------------------------------------------------------------------


def test_at_least_90_percent_of_operations_show_request_and_response_examples(capsys):
    with_summary = sum(bool(op.get("summary")) for _, _, op in OPERATIONS)
    without = [f"{m} {p}" for m, p, op in OPERATIONS if not has_examples(op)]

    share = 1 - len(without) / len(OPERATIONS)
    with capsys.disabled():
        print(
            f"\nAPI docs: {len(OPERATIONS)} operations, {with_summary} with a summary, "
            f"{len(OPERATIONS) - len(without)} with examples ({share:.1%}); without: {without}"
        )

    assert share >= EXAMPLE_SHARE, without


def _strict(node, loose: frozenset[str]):
    """A copy of a schema in which an object with declared properties accepts no other property."""
    if isinstance(node, list):
        return [_strict(item, loose) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _strict(value, loose) for key, value in node.items()}
    if "properties" in result and "additionalProperties" not in result:
        result["additionalProperties"] = False
    return result


def _combined_parts(node, found: set[str]) -> set[str]:
    """Names of components that are one of several parts of an allOf (each part sees only its own
    properties, so none of them may refuse the others')."""
    if isinstance(node, dict):
        parts = node.get("allOf", [])
        if len(parts) > 1:
            found |= {part["$ref"].rsplit("/", 1)[-1] for part in parts if "$ref" in part}
        for value in node.values():
            _combined_parts(value, found)
    elif isinstance(node, list):
        for value in node:
            _combined_parts(value, found)
    return found


def _validator_schemas():
    """The components, strict (unknown properties refused) except the parts of a combination."""
    combined = _combined_parts(DOCUMENT, set())
    return {
        name: copy.deepcopy(schema) if name in combined else _strict(schema, frozenset())
        for name, schema in DOCUMENT["components"]["schemas"].items()
    }


STRICT_COMPONENTS = _validator_schemas()
EXAMPLES = [
    (f"{method} {path} {where} {media_type} {name}", where, media["schema"], example["value"])
    for method, path, operation in OPERATIONS
    for where, media_type, media in media_with_examples(operation)
    for name, example in (media.get("examples") or {}).items()
    if "schema" in media
]


@pytest.mark.parametrize(("where", "schema", "value"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_every_example_validates_against_its_schema(where, schema, value):
    validator_class = OAS30WriteValidator if where == "request" else OAS30ReadValidator
    validator = validator_class(
        {**_strict(schema, frozenset()), "components": {"schemas": STRICT_COMPONENTS}},
        format_checker=oas30_format_checker,
    )

    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]

    assert errors == []


def test_the_example_validation_catches_an_unknown_field_and_a_wrong_type():
    schema = {"$ref": "#/components/schemas/Room"}
    validator = OAS30ReadValidator(
        {**schema, "components": {"schemas": STRICT_COMPONENTS}}, format_checker=oas30_format_checker
    )
    good = DOCUMENT["paths"]["/api/v1/rooms/{id}/"]["get"]["responses"]["200"]["content"]["application/json"]
    room = good["examples"]["example"]["value"]

    assert list(validator.iter_errors(room)) == []
    assert [e.message for e in validator.iter_errors({**room, "colour": "blue"})] == [
        "Additional properties are not allowed ('colour' was unexpected)"
    ]
    assert [e.message for e in validator.iter_errors({**room, "id": "7"})] == ["'7' is not of type 'integer'"]


# --- media types, time zones, nullable ---------------------------------------------------------


# The SMS provider's inbound webhook is not ours to shape: providers post form-encoded bodies.
PROVIDER_FORMS = {("POST", "/api/v1/sms/inbound/", "application/x-www-form-urlencoded")}


def test_request_bodies_are_json_only():
    advertised = {
        (m, p, media_type)
        for m, p, op in OPERATIONS
        for media_type in op.get("requestBody", {}).get("content", {})
        if media_type != "application/json"
    }

    assert advertised == PROVIDER_FORMS


@pytest.mark.django_db
def test_a_form_body_is_refused_with_415_and_nothing_is_written(api, clinic, make_staff):
    # given
    admin = make_staff(clinic, Role.ADMIN)
    before = Room.objects.count()

    # when
    response = api(admin).post(
        "/api/v1/rooms/", {"clinic": clinic.pk, "name": "Room 9", "kind": "treatment_room"}, format="multipart"
    )

    # then
    assert (response.status_code, response["Content-Type"]) == (415, "application/problem+json")
    assert response.json()["type"] == "urn:kat-clinic:problem:unsupported_media_type"
    assert Room.objects.count() == before


def test_time_zones_are_a_string_with_a_documented_pattern_not_an_enum():
    components = DOCUMENT["components"]["schemas"]
    zone_fields = {
        (name, "timezone"): schema["properties"]["timezone"]
        for name, schema in components.items()
        if "timezone" in schema.get("properties", {})
    }
    big_enums = sorted(name for name, schema in components.items() if len(schema.get("enum", [])) > 100)

    assert {("Clinic", "timezone"), ("PatchedClinicRequest", "timezone"), ("MeClinic", "timezone")} <= set(zone_fields)
    for schema in zone_fields.values():
        assert schema["type"] == "string"
        assert schema["pattern"] == TIME_ZONE_PATTERN
        assert "enum" not in schema and "IANA" in schema["description"]
    assert big_enums == []


def test_every_iana_time_zone_name_matches_the_documented_pattern():
    pattern = re.compile(TIME_ZONE_PATTERN)

    assert [name for name in zoneinfo.available_timezones() if not pattern.match(name)] == []
    assert pattern.match("America/New_York") and not pattern.match("../etc/passwd")


@pytest.mark.django_db
def test_a_clinic_refuses_an_unknown_time_zone_and_keeps_its_own(api, clinic, make_staff):
    # given
    admin = make_staff(clinic, Role.ADMIN)

    # when
    response = api(admin).patch(f"/api/v1/clinics/{clinic.pk}/", {"timezone": "Mars/Olympus_Mons"})

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "timezone": ["Mars/Olympus_Mons is not an IANA time zone name (e.g. America/New_York)."]
    }
    clinic.refresh_from_db()
    assert clinic.timezone == "America/New_York"


@pytest.mark.django_db
def test_a_clinic_accepts_a_known_time_zone(api, clinic, make_staff):
    # given
    admin = make_staff(clinic, Role.ADMIN)

    # when
    response = api(admin).patch(f"/api/v1/clinics/{clinic.pk}/", {"timezone": "America/Chicago"})

    # then
    assert (response.status_code, response.json()["timezone"]) == (200, "America/Chicago")
    assert Clinic.objects.get(pk=clinic.pk).timezone == "America/Chicago"


def _model_field_may_be_null(model, source: str) -> bool:
    """Whether a dotted source read from `model` may be NULL: a nullable column or a nullable
    relation on the way (a missing related row reads as null)."""
    for part in source.split("."):
        try:
            field = model._meta.get_field(part)
        except Exception:
            return False  # a property or method: its type hint decides
        if field.one_to_many or field.many_to_many or (field.auto_created and not field.concrete):
            return False  # a list, or a reverse relation
        if field.null:
            return True
        model = field.related_model if field.is_relation else None
        if model is None:
            return False
    return False


def _accepts_null(schema: dict) -> bool:
    """Whether a property's schema lets null through, read strictly as OpenAPI 3.0.3 does."""
    validator = OAS30ReadValidator({**schema, "components": DOCUMENT["components"]})
    return validator.is_valid(None)


def test_fields_that_may_be_null_accept_null_in_the_schema():
    # given every serializer field of the document that may send null: declared `allow_null`, or read
    # from a column (or through a relation) that may be NULL
    components = DOCUMENT["components"]["schemas"]
    may_be_null, refused = [], []
    for (name, kind), component in GENERATOR.registry._components.items():
        serializer = component.object
        if kind != "schemas" or not isinstance(serializer, serializers.Serializer):
            continue
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        properties = components.get(name, {}).get("properties", {})
        for field_name, field in serializer.fields.items():
            if field_name not in properties or field.source == "*":
                continue
            from_column = model is not None and issubclass(model, models.Model)
            if field.allow_null or (from_column and _model_field_may_be_null(model, field.source)):
                may_be_null.append(f"{name}.{field_name}")
                # then its schema accepts null, strictly (a nested object too, not only a scalar)
                if not _accepts_null(properties[field_name]):
                    refused.append(f"{name}.{field_name}")

    assert len(may_be_null) > 100
    assert refused == []


def test_a_nullable_nested_object_is_a_one_of_with_null():
    chart = DOCUMENT["components"]["schemas"]["SessionChart"]["properties"]

    assert chart["rems_form"] == {
        "oneOf": [{"$ref": "#/components/schemas/RemsMonitoringForm"}, {"$ref": "#/components/schemas/NullEnum"}]
    }
    assert _accepts_null(chart["rems_form"]) and not _accepts_null(
        DOCUMENT["components"]["schemas"]["SessionChart"]["properties"]["gate"]
    )


# --- what the document says about the API as a whole ---------------------------------------------


def test_the_document_explains_paths_authentication_errors_pagination_and_time_zones():
    description = DOCUMENT["info"]["description"]

    for phrase in (
        "/api/v1/",
        "Authorization: Token <token>",
        "application/problem+json",
        '"count"',
        "?page_size=",
        "IANA time zone",
        "application/json",
        "openapi-python-client generate",
    ):
        assert phrase in description, phrase


def test_every_error_response_is_a_problem_and_every_list_is_the_page_envelope():
    not_problems = [
        f"{m} {p} {status}"
        for m, p, op in OPERATIONS
        for status, response in op["responses"].items()
        if status[0] in "45" and set(response.get("content", {})) != {"application/problem+json"}
    ]
    lists = [
        op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        for m, p, op in OPERATIONS
        if op["operationId"].endswith("_list")
        and "$ref" in op["responses"]["200"]["content"]["application/json"]["schema"]
    ]
    envelopes = {DOCUMENT["components"]["schemas"][name]["required"] == ["count", "results"] for name in lists}

    assert not_problems == []
    assert lists and all(name.startswith("Paginated") for name in lists) and envelopes == {True}
