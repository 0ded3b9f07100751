"""Patient/$everything: load a patient's record (a fixed number of queries) and build a Bundle.

Scope: the patient's own records (diagnoses, allergies, consents, scales, weights) come with the
patient, who is visible only to staff of their home clinic; sessions, charting and enrollments are
limited to the clinics where the caller may read FHIR.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from interop.fhir import resources as r
from interop.fhir.validation import validated_bundle
from kat_clinic.models import Clinic, Patient, PatientWeight, Room, StaffMember
from monitoring.models import Allergy, Consent, Diagnosis, DoseAdministration, ScaleResponse, VitalSign
from programs.models import Enrollment, PlannedSession
from sessions.models import Session, StaffAssignment

_REFERENCE = re.compile(r"^(Practitioner|Organization|Location)/(\d+)$")


@dataclass
class PatientRecord:
    patient: Patient
    sessions: list[Session] = field(default_factory=list)
    vitals: list[VitalSign] = field(default_factory=list)
    weights: list[PatientWeight] = field(default_factory=list)
    scales: list[ScaleResponse] = field(default_factory=list)
    doses: list[DoseAdministration] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    enrollments: list[Enrollment] = field(default_factory=list)


def patient_record(*, patient: Patient, clinic_ids: Iterable[int]) -> PatientRecord:
    clinic_ids = list(clinic_ids)
    sessions = (
        Session.objects.filter(patient=patient, clinic_id__in=clinic_ids)
        .select_related("room")
        .prefetch_related(Prefetch("assignments", StaffAssignment.objects.select_related("staff").order_by("pk")))
        .order_by("starts_at", "pk")
    )
    return PatientRecord(
        patient=patient,
        sessions=list(sessions),
        vitals=list(
            VitalSign.objects.filter(patient=patient, session__clinic_id__in=clinic_ids)
            .select_related("session")
            .order_by("measured_at", "pk")
        ),
        weights=list(PatientWeight.objects.filter(patient=patient).order_by("measured_at", "pk")),
        scales=list(
            ScaleResponse.objects.filter(patient=patient).select_related("session").order_by("completed_at", "pk")
        ),
        doses=list(
            DoseAdministration.objects.filter(patient=patient, session__clinic_id__in=clinic_ids)
            .select_related("session")
            .order_by("started_at", "pk")
        ),
        diagnoses=list(Diagnosis.objects.filter(patient=patient).order_by("diagnosed_on", "pk")),
        allergies=list(Allergy.objects.filter(patient=patient).order_by("recorded_at", "pk")),
        consents=list(Consent.objects.filter(patient=patient).select_related("patient").order_by("signed_at", "pk")),
        enrollments=list(
            Enrollment.objects.filter(patient=patient, clinic_id__in=clinic_ids)
            .select_related("template")
            .prefetch_related(
                Prefetch("planned_sessions", PlannedSession.objects.select_related("step").order_by("sequence"))
            )
            .order_by("enrolled_at", "pk")
        ),
    )


def record_resources(record: PatientRecord) -> list[dict]:
    """The patient's resources, Patient first; referenced practitioners, rooms, clinics not included."""
    resources = [r.patient(record.patient)]
    resources += [r.appointment(s) for s in record.sessions]
    resources += [r.encounter(s) for s in record.sessions if s.status in r.HELD_STATUSES]
    for vital in record.vitals:
        resources += r.vital_observations(vital)
    resources += [r.weight_observation(w) for w in record.weights]
    for response in record.scales:
        resources += [r.questionnaire_response(response), r.score_observation(response)]
    resources += [r.medication_administration(d) for d in record.doses]
    resources += [r.condition(d) for d in record.diagnoses]
    resources += [r.allergy_intolerance(a) for a in record.allergies]
    resources += [r.consent(k) for k in record.consents]
    bookings = {s.planned_session_id: s for s in record.sessions if s.planned_session_id and s.active}
    resources += [r.care_plan(e, bookings) for e in record.enrollments]
    return resources


def referenced_ids(resources: Iterable[dict]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {"Practitioner": set(), "Organization": set(), "Location": set()}

    def walk(node):
        if isinstance(node, dict):
            match = _REFERENCE.match(node.get("reference", "")) if isinstance(node.get("reference"), str) else None
            if match:
                found[match.group(1)].add(int(match.group(2)))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(list(resources))
    return found


def supporting_resources(ids: dict[str, set[int]]) -> list[dict]:
    """Practitioners, clinics and rooms the resources point to, so the Bundle resolves on its own."""
    result = [r.practitioner(s) for s in StaffMember.objects.filter(pk__in=ids["Practitioner"]).order_by("pk")]
    result += [r.organization(k) for k in Clinic.objects.filter(pk__in=ids["Organization"]).order_by("pk")]
    result += [r.location(room) for room in Room.objects.filter(pk__in=ids["Location"]).order_by("pk")]
    return result


def everything_bundle(*, patient: Patient, clinic_ids: Iterable[int], base_url: str) -> dict:
    """The validated searchset Bundle of Patient/$everything (a plain JSON-ready dict)."""
    record = patient_record(patient=patient, clinic_ids=clinic_ids)
    matches = record_resources(record)
    included = supporting_resources(referenced_ids(matches))
    entries = [_entry(res, base_url, "match") for res in matches]
    entries += [_entry(res, base_url, "include") for res in included]
    bundle = {
        "resourceType": "Bundle",
        "id": f"everything-{patient.pk}-{int(timezone.now().timestamp())}",
        "meta": {"lastUpdated": timezone.now().isoformat()},
        "type": "searchset",
        "total": len(matches),
        "timestamp": timezone.now().isoformat(),
        "link": [{"relation": "self", "url": f"{base_url}/Patient/{patient.pk}/$everything"}],
        "entry": entries,
    }
    return validated_bundle(bundle)


def _entry(resource: dict, base_url: str, mode: str) -> dict:
    return {
        "fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }
