"""The OpenAPI document's project rules: only /api/v1/ is described; every error response points at
one Problem component; descriptions are written for integrators and say who may call each operation."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.drainage import get_view_method_names
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view

from kat_clinic.api.exceptions import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_PREFIX

API_PREFIX = "/api/v1/"

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "Every error, as RFC 9457 problem details (`application/problem+json`). `type` is "
    "`urn:kat-clinic:problem:<slug>` (the slug names the refusal, e.g. `overlap`, `gate_unmet`, `invalid`); "
    "`errors` holds messages per field, keyed by dotted field path; some problems carry extra members: "
    "`conflicts` for a clash, `violations` for program rules, `unmet` for a gate, `constraint` and `sqlstate` "
    "for a database rule, `reason` for a locked record.",
    "properties": {
        "type": {"type": "string", "format": "uri", "example": PROBLEM_TYPE_PREFIX + "rule_violation"},
        "title": {"type": "string", "example": "Refused by a rule of the clinic"},
        "status": {"type": "integer", "example": 422},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request's path.", "example": "/api/v1/sessions/"},
        "errors": {
            "type": "object",
            "additionalProperties": True,
            "description": "Messages per field, keyed by dotted field path (`steps.1.block_minutes`).",
        },
    },
    "required": ["type", "title", "status", "detail", "instance", "errors"],
    "additionalProperties": True,
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait."}}

ALWAYS = {
    "400": "Invalid input; `errors` holds field-level messages.",
    "401": "Not authenticated, or the token expired.",
    "403": "Your role does not allow this operation.",
    "404": "Not found (objects of clinics you do not work at are not found either).",
}
ON_WRITE = {
    "409": "Conflicts with the current state: a double booking (`conflicts`), a duplicate, a locked record.",
    "422": "Well-formed but refused by a rule of the clinic; `type` names the rule.",
}
ON_UPDATE = {
    "412": "The record changed since you read it (stale If-Match).",
    "428": "If-Match is required for this change.",
}


def only_versioned_api(endpoints):
    """Preprocessing: the permanent aliases at old paths answer, but the schema describes /api/v1/ only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]


def problem(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    """An error response of an operation, with examples of its problem+json body (`add_error_responses`
    turns it into a Problem): `responses={409: problem("Already enrolled.", OpenApiExample(...))}`."""
    return OpenApiResponse(response=OpenApiTypes.OBJECT, description=description, examples=list(examples))


ANY_OBJECT = ({"type": "object", "additionalProperties": {}}, {"type": "object"})


def _problem_schema(response: dict) -> dict:
    """The Problem component, combined with what a view declared its error adds (e.g. `conflicts`)."""
    declared = [media.get("schema") for media in response.get("content", {}).values() if media.get("schema")]
    if declared and declared[0] != PROBLEM_REF and declared[0] not in ANY_OBJECT:
        return {"allOf": [PROBLEM_REF, declared[0]]}
    return PROBLEM_REF


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            statuses = dict(ALWAYS)
            if method != "get":
                statuses.update(ON_WRITE)
            if method in ("put", "patch", "delete"):
                statuses.update(ON_UPDATE)
            statuses["429"] = "Too many requests; `Retry-After` says in how many seconds to try again."
            if path == API_PREFIX + "auth/login/":
                statuses["429"] = "Too many failed logins or login attempts; try again after `Retry-After` seconds."
            responses = operation.setdefault("responses", {})
            for code, description in statuses.items():
                responses.setdefault(code, {"description": description})
            responses["429"].setdefault("headers", {}).update(RETRY_AFTER)
            for code, response in responses.items():
                if code[0] in "45":
                    media = {"schema": _problem_schema(response)}
                    # Examples a view declared for the error (OpenApiExample) move along with it.
                    declared = {
                        k: v for m in response.get("content", {}).values() for k, v in m.get("examples", {}).items()
                    }
                    if declared:
                        media["examples"] = declared
                    response["content"] = {PROBLEM_CONTENT_TYPE: media}
    return result


LOCAL_TIME = {
    "type": "string",
    "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
    "description": "Wall-clock time in the clinic's time zone (no offset), e.g. 09:00.",
}


def describe_local_times(result, generator, request, public):
    """Our times of day are local wall-clock times; JSON Schema's "time" format demands an offset."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("format") == "time":
                node.pop("format")
                for key, value in LOCAL_TIME.items():
                    node.setdefault(key, value)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result


# --- Operations: descriptions for integrators, and who may call them ------------------------------

ACCESS_MARKER = "**Access:**"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, with two project rules.

    A description comes from `extend_schema(description=...)` only: view and action docstrings are
    written for the people who maintain the code (base classes explain how to subclass them), so
    they are never shown to integrators. Every operation's description ends with who may call it,
    read from the permission matrix, so the documented access can never drift from the enforced one.
    """

    def get_description(self) -> str:
        return ""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        access = self.access_sentence()
        description = operation.get("description", "").strip()
        operation["description"] = f"{description}\n\n{ACCESS_MARKER} {access}" if description else ""
        if not operation["description"]:
            operation.pop("description")
        return operation

    def access_sentence(self) -> str:
        from kat_clinic.access.matrix import PERMISSION_MATRIX

        if getattr(self.view, "public", False):
            return "public: no token (what proves the caller is described above)."
        operations = getattr(self.view, "operations", None) or {}
        action = getattr(self.view, "action", None)
        name = operations.get(action) if action else None
        name = name or operations.get(self.method.lower())
        roles = sorted(PERMISSION_MATRIX.get(name, ())) if name else []
        if not roles:
            return "nobody (the operation is not in the permission matrix)."
        listed = ", ".join(f"`{role}`" for role in roles)
        return f"a token of a user holding one of the roles {listed} at the clinic concerned (operation `{name}`)."


def document(view, *, tag: str, **operations: dict) -> None:
    """Document a view from its app's `api/openapi.py`: its area tag, and per action (or HTTP method
    of a plain APIView) the keyword arguments of `extend_schema` (summary, description, examples...).

    The views stay thin and the documentation of an app reads in one place; drf-spectacular's own
    `extend_schema_view` does the work, and warns (failing `spectacular --fail-on-warn`) on a name
    that is not an action of the view.
    """
    extend_schema(tags=[tag])(view)
    # A second HTTP method mapped onto an action (`@weights.mapping.post def record_weight`) is not
    # an action of its own to extend_schema_view; being the view's own function, it is decorated as is.
    # The tag goes on each operation too: a tag a view declared on its own method would win over the class's.
    operations = {name: {"tags": [tag], **kwargs} for name, kwargs in operations.items()}
    mapped = {name for name in operations if name not in get_view_method_names(view) and name in vars(view)}
    for name in mapped:
        extend_schema(**operations[name])(vars(view)[name])
    rest = {name: extend_schema(**kwargs) for name, kwargs in operations.items() if name not in mapped}
    if rest:
        extend_schema_view(**rest)(view)


NULL_ENUM = "NullEnum"


def nullable_references(result, generator, request, public):
    """A nullable nested object as OpenAPI 3.0.3 reads it: `oneOf: [<ref>, NullEnum]`.

    drf-spectacular writes `{"allOf": [<ref>], "nullable": true}`, but in 3.0.3 `nullable` only
    widens a `type` in the same schema object, so strict validators (and the generators that follow
    them) refuse the null a nullable nested serializer sends. `NullEnum` (`enum: [null]`) is the
    null drf-spectacular already uses for nullable choice fields.
    """

    def rewrite(node):
        if isinstance(node, dict):
            parts = node.get("allOf")
            if node.get("nullable") is True and isinstance(parts, list) and len(parts) == 1 and "$ref" in parts[0]:
                node.pop("nullable")
                node.pop("allOf")
                node["oneOf"] = [parts[0], {"$ref": f"#/components/schemas/{NULL_ENUM}"}]
                used.add(True)
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)

    used: set[bool] = set()
    rewrite(result.get("paths", {}))
    rewrite(result.get("components", {}).get("schemas", {}))
    if used:
        result["components"]["schemas"].setdefault(NULL_ENUM, {"enum": [None]})
    return result
