"""Signed, expiring, single-patient links for patients who have no login."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from integration.conf import conf

CHECKIN_SALT = "integration.checkin-link"


@dataclass(frozen=True)
class CheckInGrant:
    patient_id: int
    clinic_id: int
    followup_id: int | None


def checkin_token(*, patient_id: int, clinic_id: int, followup_id: int | None = None) -> str:
    return signing.dumps({"p": patient_id, "c": clinic_id, "f": followup_id}, salt=CHECKIN_SALT, compress=True)


def checkin_url(*, patient_id: int, clinic_id: int, followup_id: int | None = None) -> str:
    token = checkin_token(patient_id=patient_id, clinic_id=clinic_id, followup_id=followup_id)
    return f"{settings.PATIENT_LINK_BASE_URL}/api/v1/checkins/{patient_id}/{token}/"


def checkin_grant(token: str) -> CheckInGrant | None:
    """The grant a token carries; None if it was tampered with or has expired."""
    try:
        data = signing.loads(token, salt=CHECKIN_SALT, max_age=conf("CHECKIN_LINK_MAX_AGE_HOURS") * 3600)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    return CheckInGrant(patient_id=data["p"], clinic_id=data["c"], followup_id=data.get("f"))
