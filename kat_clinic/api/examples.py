"""Examples in the OpenAPI document: one real example per schema component, attached everywhere it is used.

Each app's `api/openapi.py` registers, per component (the name drf-spectacular gives a serializer:
`Patient`, `SessionCancel`, ...), one example value as the API really sends or accepts it:

    examples.register(Patient={...}, SessionCancelRequest={...})

The `attach_examples` postprocessing hook then gives every operation without an example of its
own (`extend_schema(examples=[OpenApiExample(...)])` wins) a request and a response example:

- a response of component `X` shows X's example; a list shows it inside the pagination envelope;
- a request body of `XRequest` shows the registered `XRequest`, or else X's example reduced to the
  fields the request accepts (read-only fields dropped, nested parts likewise), and a PATCH body
  (`PatchedXRequest`) the registered patch example, or else that same reduction;
- an error response shows a problem+json example for its status.

tests/kat_clinic/test_api_docs.py validates every example against its schema (unknown fields are
errors there), so an example cannot drift from the serializer it documents.
"""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.utils import OpenApiExample

from kat_clinic.api.exceptions import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_PREFIX

_COMPONENTS: dict[str, Any] = {}
MISSING = object()
EXAMPLE_NAME = "example"


def register(**examples: Any) -> None:
    """Register one example value per schema component; a second, different one is a mistake."""
    for name, value in examples.items():
        if name in _COMPONENTS and _COMPONENTS[name] != value:
            raise ValueError(f"Two different examples registered for the component {name}.")
        _COMPONENTS[name] = value


def registered() -> dict[str, Any]:
    return dict(_COMPONENTS)


def page(*items: Any) -> dict[str, Any]:
    """The pagination envelope around `items`, as a list endpoint answers its only page."""
    return {"count": len(items), "next": None, "previous": None, "results": list(items)}


def _ref_name(schema: dict) -> str | None:
    ref = schema.get("$ref")
    if ref:
        return ref.rsplit("/", 1)[-1]
    for combinator in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(combinator, ()):
            name = _ref_name(part)
            if name and not name.endswith("Enum"):
                return name
    return None


class _Builder:
    def __init__(self, components: dict[str, dict]):
        self.components = components

    def example(self, schema: dict) -> Any:
        name = _ref_name(schema)
        if name is not None:
            return self.component(name)
        if schema.get("type") == "array" and "items" in schema:
            item = self.example(schema["items"])
            return MISSING if item is MISSING else [item]
        return MISSING

    def component(self, name: str) -> Any:
        if name in _COMPONENTS:
            return copy.deepcopy(_COMPONENTS[name])
        schema = self.components.get(name, {})
        if name.startswith("Paginated") and name.endswith("List"):
            item = self.example(schema.get("properties", {}).get("results", {}).get("items", {}))
            return MISSING if item is MISSING else page(item)
        if name.endswith("Request"):
            base = name.removesuffix("Request").removeprefix("Patched")
            if base in _COMPONENTS:
                return self.reduce(copy.deepcopy(_COMPONENTS[base]), schema)
        return MISSING

    def reduce(self, value: Any, schema: dict) -> Any:
        """`value` (a response example) cut down to what `schema` (a request schema) accepts."""
        name = _ref_name(schema)
        if name is not None and name in self.components and not name.endswith("Enum"):
            schema = self.components[name]
        if isinstance(value, dict) and "properties" in schema:
            properties = schema["properties"]
            return {key: self.reduce(item, properties[key]) for key, item in value.items() if key in properties}
        if isinstance(value, list) and schema.get("type") == "array":
            return [self.reduce(item, schema.get("items", {})) for item in value]
        return value


PROBLEM_EXAMPLES = {
    "400": ("invalid", "The data is not valid", "The data is not valid."),
    "401": ("not_authenticated", "Not authenticated", "Authentication credentials were not provided."),
    "403": ("permission_denied", "Permission denied", "Your role does not allow this operation."),
    "404": ("not_found", "Not found", "Not found."),
    "412": ("stale_version", "The record changed since you read it", "The record changed since you read it."),
    "428": ("if_match_required", "If-Match is required", "Send the ETag you read in If-Match."),
    "429": ("locked_out", "Too many failed logins", "Too many failed logins; try again later."),
}


def _problem_example(status: str, path: str, operation: dict, components: dict) -> Any:
    if status not in PROBLEM_EXAMPLES:
        return MISSING
    slug, title, detail = PROBLEM_EXAMPLES[status]
    errors: dict[str, list[str]] = {}
    if status == "400":
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        name = _ref_name(body)
        required = components.get(name, {}).get("required", []) if name else []
        if not required:
            return MISSING  # a 400 of query parameters names them; not worth a made-up example
        errors = {required[0]: ["This field is required."]}
    instance = "/".join("12" if part.startswith("{") else part for part in path.split("/"))
    return {
        "type": PROBLEM_TYPE_PREFIX + slug,
        "title": title,
        "status": int(status),
        "detail": detail,
        "instance": instance,
        "errors": errors,
    }


def _has_example(media: dict) -> bool:
    return bool(media.get("examples")) or "example" in media


def attach_examples(result, generator, request, public):
    components = result.get("components", {}).get("schemas", {})
    builder = _Builder(components)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                if not _has_example(media):
                    value = builder.example(media.get("schema", {}))
                    if value is not MISSING:
                        media["examples"] = {EXAMPLE_NAME: {"value": value}}
            for status, response in operation.get("responses", {}).items():
                for media_type, media in response.get("content", {}).items():
                    if _has_example(media):
                        continue
                    if media_type == PROBLEM_CONTENT_TYPE:
                        value = _problem_example(status, path, operation, components)
                    else:
                        value = builder.example(media.get("schema", {}))
                    if value is not MISSING:
                        media["examples"] = {EXAMPLE_NAME: {"value": value}}
    return result


def response(
    value: Any, name: str = "Example", status: str | None = None, media_type: str = "application/json"
) -> OpenApiExample:
    """An operation's own response example, where the component's shared one would not be true
    (e.g. a publish answers the template `published`), or of a body that is not JSON (CSV, FHIR)."""
    return OpenApiExample(
        name, value=value, response_only=True, status_codes=[status] if status else None, media_type=media_type
    )


def request(value: Any, name: str = "Example") -> OpenApiExample:
    """An operation's own request example."""
    return OpenApiExample(name, value=value, request_only=True)
