"""OpenAPI hooks for the interop endpoints."""

from __future__ import annotations

import re

# drf-spectacular reads a route's `$` as a regex anchor and drops it; FHIR operations begin with one.
_FHIR_OPERATION = re.compile(r"^(?P<base>.*/fhir/(?:Patient|Group)/\{\w+\}/)(?P<name>everything|export)$")


def restore_fhir_operation_names(result, generator, request, public):
    paths = result.get("paths", {})
    for path in list(paths):
        match = _FHIR_OPERATION.match(path)
        if match:
            paths[f"{match['base']}${match['name']}"] = paths.pop(path)
    return result
