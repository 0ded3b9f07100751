"""OpenAPI hooks: only /api/v1/ is described; every error response points at one Problem component."""

from __future__ import annotations

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


def _problem_schema(response: dict) -> dict:
    """The Problem component, combined with what a view declared its error adds (e.g. `conflicts`)."""
    declared = [media.get("schema") for media in response.get("content", {}).values() if media.get("schema")]
    if declared and declared[0] != PROBLEM_REF:
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
                    response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": _problem_schema(response)}}
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
