"""Validation with fhir.resources (its R4B models: the R4 releases need pydantic 1).

The resources we export have the same shape in R4 and R4B, so the R4B models check our R4
output. They check structure, cardinality and types; code values and US Core's must-support
elements are checked by our tests (tests/interop/test_fhir_us_core.py).
"""

from __future__ import annotations

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

FHIR_VERSION = "4.0.1"
FHIR_MEDIA_TYPE = "application/fhir+json"
FHIR_NDJSON_MEDIA_TYPE = "application/fhir+ndjson"


def validated_resource(resource: dict) -> dict:
    """The resource as the R4B model serialises it; raises pydantic.ValidationError if invalid."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return model.model_dump(mode="json", exclude_none=True)


def validated_bundle(bundle: dict) -> dict:
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)
