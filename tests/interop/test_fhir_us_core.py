"""US Core's must-support elements, checked on our own output (US Core cannot be validated offline).

Each profile lists the element paths it marks must-support that our data can fill; every resource
of the profile in the Bundle must carry each of them (a dotted path through lists: any item).
"""

from __future__ import annotations

import pytest

from tests.interop.conftest import resources_of

pytestmark = pytest.mark.django_db

MUST_SUPPORT = {
    "us-core-patient": (
        "Patient",
        None,
        [
            "identifier.system",
            "identifier.value",
            "name.family",
            "name.given",
            "gender",
            "birthDate",
            "telecom.system",
            "telecom.value",
            "communication.language",
        ],
    ),
    "us-core-encounter": (
        "Encounter",
        None,
        [
            "identifier.value",
            "status",
            "class",
            "type",
            "subject",
            "participant.type",
            "participant.period",
            "participant.individual",
            "period",
            "location.location",
            "serviceProvider",
        ],
    ),
    "us-core-vital-signs": (
        "Observation",
        "vital-signs",
        ["status", "category.coding.code", "code.coding.system", "code.coding.code", "subject", "effectiveDateTime"],
    ),
    "us-core-observation-screening-assessment": (
        "Observation",
        "survey",
        [
            "status",
            "category.coding.code",
            "code.coding.code",
            "subject",
            "effectiveDateTime",
            "valueInteger",
            "derivedFrom",
            "performer",
        ],
    ),
    "us-core-questionnaireresponse": (
        "QuestionnaireResponse",
        None,
        ["questionnaire", "status", "subject", "authored", "author", "item.linkId", "item.answer"],
    ),
    "us-core-condition-problems-health-concerns": (
        "Condition",
        None,
        [
            "clinicalStatus.coding.code",
            "verificationStatus.coding.code",
            "category.coding.code",
            "code.coding.system",
            "code.coding.code",
            "subject",
            "onsetDateTime",
            "recordedDate",
        ],
    ),
    "us-core-allergyintolerance": (
        "AllergyIntolerance",
        None,
        [
            "clinicalStatus.coding.code",
            "verificationStatus.coding.code",
            "code",
            "patient",
            "reaction.manifestation",
            "reaction.severity",
        ],
    ),
    "us-core-careplan": (
        "CarePlan",
        None,
        ["text.status", "text.div", "status", "intent", "category.coding.code", "subject"],
    ),
    "us-core-practitioner": ("Practitioner", None, ["name.family"]),
    "us-core-organization": ("Organization", None, ["active", "name"]),
    "us-core-location": ("Location", None, ["name", "managingOrganization"]),
}


def values_at(node, path: str) -> list:
    values = [node]
    for part in path.split("."):
        found = []
        for value in values:
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict) and item.get(part) not in (None, "", [], {}):
                    child = item[part]
                    found.extend(child if isinstance(child, list) else [child])
        values = found
    return values


def category_of(resource: dict) -> str | None:
    categories = resource.get("category") or []
    return categories[0]["coding"][0]["code"] if categories else None


@pytest.mark.parametrize("profile", sorted(MUST_SUPPORT))
def test_every_resource_carries_its_us_core_must_support_elements(api, chart, profile):
    # given
    resource_type, category, paths = MUST_SUPPORT[profile]

    # when
    bundle = api(chart.prescriber).get(f"/api/v1/fhir/Patient/{chart.patient.pk}/$everything").json()

    # then
    resources = [r for r in resources_of(bundle, resource_type) if category is None or category_of(r) == category]
    assert resources, f"the Bundle holds no {profile}"
    missing = [(r["id"], path) for r in resources for path in paths if not values_at(r, path)]
    assert missing == []


def test_vital_sign_values_are_ucum_quantities(api, chart):
    bundle = api(chart.nurse).get(f"/api/v1/fhir/Patient/{chart.patient.pk}/$everything").json()

    vitals = [r for r in resources_of(bundle, "Observation") if category_of(r) == "vital-signs"]
    quantities = [q for v in vitals for q in values_at(v, "valueQuantity") + values_at(v, "component.valueQuantity")]

    assert len(quantities) == 7  # systolic, diastolic, SpO2, HR, RR, temperature, weight
    assert {q["system"] for q in quantities} == {"http://unitsofmeasure.org"}
    assert all(isinstance(q["value"], int | float) and q["code"] for q in quantities)


def test_references_in_the_bundle_resolve_inside_it(api, chart):
    bundle = api(chart.prescriber).get(f"/api/v1/fhir/Patient/{chart.patient.pk}/$everything").json()

    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    references = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str) and not node["reference"].startswith("#"):
                references.add(node["reference"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk([e["resource"] for e in bundle["entry"]])
    assert references - present == set()
