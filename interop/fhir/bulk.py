"""FHIR Bulk Data export of one clinic (Group/{clinic}/$export): a row, a Celery task, NDJSON files.

The BulkExport row is written in the request's transaction and handed to Celery after commit. If the
message is lost, polling the status URL re-enqueues a pending export older than a minute, so the
client that asked is never left waiting forever.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from interop.fhir.everything import patient_record, record_resources, referenced_ids, supporting_resources
from interop.fhir.validation import validated_resource
from interop.models import BulkExport, BulkExportFile
from kat_clinic.models import Clinic, Patient, User

EXPORTABLE_TYPES = (
    "Patient",
    "Appointment",
    "Encounter",
    "Observation",
    "QuestionnaireResponse",
    "MedicationAdministration",
    "Condition",
    "AllergyIntolerance",
    "Consent",
    "CarePlan",
    "Practitioner",
    "Organization",
    "Location",
)
REQUEUE_AFTER = dt.timedelta(minutes=1)


class UnknownResourceType(ValueError):
    pass


def parse_types(value: str | None) -> list[str]:
    """The `_type` parameter: comma-separated resource types, all of them when absent."""
    if not value:
        return []
    types = [t.strip() for t in value.split(",") if t.strip()]
    unknown = sorted(set(types) - set(EXPORTABLE_TYPES))
    if unknown:
        raise UnknownResourceType(", ".join(unknown))
    return sorted(set(types))


@transaction.atomic
def bulk_export_start(*, clinic: Clinic, by: User, request_url: str, resource_types: list[str]) -> BulkExport:
    from interop.tasks import bulk_export_build

    export = BulkExport.objects.create(
        clinic=clinic, requested_by=by, request_url=request_url[:500], resource_types=resource_types
    )
    bulk_export_build.delay_on_commit(export.pk)
    return export


def bulk_export_requeue_if_stale(*, export: BulkExport) -> bool:
    from interop.tasks import bulk_export_build

    if export.status == BulkExport.Status.PENDING and timezone.now() - export.requested_at > REQUEUE_AFTER:
        bulk_export_build.delay_on_commit(export.pk)
        return True
    return False


def bulk_export_build_files(*, export_id: int) -> bool:
    """Build the files of a pending export; False if another run already took it. Safe to run twice."""
    claimed = BulkExport.objects.filter(pk=export_id, status=BulkExport.Status.PENDING).update(
        status=BulkExport.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return False
    export = BulkExport.objects.select_related("clinic").get(pk=export_id)
    try:
        with transaction.atomic():
            by_type, patient_ids = _resources_by_type(export)
            for resource_type, lines in sorted(by_type.items()):
                BulkExportFile.objects.create(
                    export=export, resource_type=resource_type, count=len(lines), content="".join(lines)
                )
            BulkExport.objects.filter(pk=export_id).update(
                status=BulkExport.Status.COMPLETED, completed_at=timezone.now(), patient_ids=patient_ids
            )
    except Exception as exc:  # the client polls the status URL: tell it, keep nothing half-built
        BulkExport.objects.filter(pk=export_id).update(status=BulkExport.Status.FAILED, error=str(exc)[:2000])
        raise
    return True


def _resources_by_type(export: BulkExport) -> tuple[dict[str, list[str]], list[int]]:
    import json

    wanted = set(export.resource_types or EXPORTABLE_TYPES)
    by_type: dict[str, list[str]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    references: dict[str, set[int]] = {"Practitioner": set(), "Organization": set(), "Location": set()}
    patients = Patient.objects.filter(home_clinic=export.clinic).select_related("home_clinic").order_by("pk")
    patient_ids = []
    for patient in patients.iterator(chunk_size=200):
        patient_ids.append(patient.pk)
        resources = record_resources(patient_record(patient=patient, clinic_ids=[export.clinic_id]))
        for kind, ids in referenced_ids(resources).items():
            references[kind] |= ids
        for resource in resources:
            _add(by_type, seen, wanted, resource, json)
    for resource in supporting_resources(references):
        _add(by_type, seen, wanted, resource, json)
    return by_type, patient_ids


def _add(by_type, seen, wanted, resource, json) -> None:
    key = (resource["resourceType"], resource["id"])
    if key[0] not in wanted or key in seen:
        return
    seen.add(key)
    by_type[key[0]].append(json.dumps(validated_resource(resource), separators=(",", ":")) + "\n")
