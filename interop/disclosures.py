"""Every release of data writes a Disclosure row (and, through the request, an audit row).

`disclosure_record_for_request` is for downloads through the API: the audit middleware writes the
request's audit row, this adds what left and to whom, tied by the request id, and names the
disclosure on the request's audit row. `disclosure_record_unattended` is for what leaves without
a request (webhook deliveries): it writes the audit row itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from interop.models import Disclosure
from kat_clinic.models import AuditEvent


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({int(v) for v in values if v is not None})


def disclosure_record_for_request(
    *,
    request,
    channel: str,
    document: str,
    resource_type: str,
    resource_ids: Iterable[int] = (),
    patient_ids: Iterable[int] = (),
    clinic_id: int | None,
    recipient: str | None = None,
) -> Disclosure:
    """Record what this request sends out. The recipient defaults to the authenticated user."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    resource_ids, patient_ids = _ids(resource_ids), _ids(patient_ids)
    audit = getattr(request, "audit", None)
    if audit is not None:
        audit.resource_type = f"disclosure:{document}"
        for pk in resource_ids:
            audit.add_object(resource_id=pk, patient_id=None, clinic_id=None)
        for pk in patient_ids:
            audit.add_object(resource_id=None, patient_id=pk, clinic_id=None)
        if clinic_id is not None:
            audit.add_object(resource_id=None, patient_id=None, clinic_id=clinic_id)
    request_id = getattr(audit, "request_id", None) or getattr(request, "request_id", None) or uuid.uuid4()
    return Disclosure.objects.create(
        clinic_id=clinic_id,
        channel=channel,
        document=document,
        resource_type=resource_type,
        resource_ids=resource_ids,
        patient_ids=patient_ids,
        recipient=recipient or (f"user:{user.get_username()}" if authenticated else "anonymous"),
        recipient_user_id=user.pk if authenticated else None,
        request_id=request_id,
    )


def disclosure_record_unattended(
    *,
    channel: str,
    document: str,
    resource_type: str,
    resource_ids: Iterable[int] = (),
    patient_ids: Iterable[int] = (),
    clinic_id: int | None,
    recipient: str,
    path: str,
    status_code: int,
) -> Disclosure:
    """Record a release no request carries (a webhook delivery): an audit row and a disclosure row."""
    request_id = uuid.uuid4()
    resource_ids, patient_ids = _ids(resource_ids), _ids(patient_ids)
    AuditEvent.objects.create(
        username=recipient[:150],
        clinic_id=clinic_id,
        action="disclose",
        operation=f"{channel}.deliver",
        method="POST",
        path=path[:300],
        resource_type=f"disclosure:{document}",
        resource_ids=resource_ids,
        patient_ids=patient_ids,
        outcome=AuditEvent.Outcome.SUCCESS if status_code < 400 else AuditEvent.Outcome.ERROR,
        status_code=status_code,
        request_id=request_id,
    )
    return Disclosure.objects.create(
        clinic_id=clinic_id,
        channel=channel,
        document=document,
        resource_type=resource_type,
        resource_ids=resource_ids,
        patient_ids=patient_ids,
        recipient=recipient[:300],
        request_id=request_id,
    )
