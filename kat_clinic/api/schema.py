"""OpenAPI post-processing: document the error responses every operation can give, in one place."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a machine code, a sentence, field-level messages, and extra keys "
    "some errors carry (`conflicts` for a clash, `unmet` for a gate, `constraint` for a database rule).",
    "properties": {
        "type": {"type": "string", "example": "rule_violation"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "required": ["type", "detail", "errors"],
    "additionalProperties": True,
}

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


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            statuses = dict(ALWAYS)
            if method != "get":
                statuses.update(ON_WRITE)
            if method in ("put", "patch", "delete"):
                statuses.update(ON_UPDATE)
            if path == "/api/auth/login/":
                statuses["429"] = "Too many failed logins; try again later."
            responses = operation.setdefault("responses", {})
            for code, description in statuses.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
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
