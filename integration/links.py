"""Signed, expiring, single-patient links for patients who have no login.

A link names the follow-up it answers (it answers once: one check-in per follow-up). A link
without a follow-up carries a random id of its own instead, answers once too (a partial unique
constraint on CheckIn.link_id) and expires sooner (CHECKIN_OPEN_LINK_MAX_AGE_HOURS).
"""

from __future__ import annotations

import secrets
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
    link_id: str = ""  # links without a follow-up: their own id, for the one use they allow


def checkin_token(*, patient_id: int, clinic_id: int, followup_id: int | None = None) -> str:
    data: dict = {"p": patient_id, "c": clinic_id, "f": followup_id}
    if followup_id is None:
        data["n"] = secrets.token_urlsafe(12)
    return signing.dumps(data, salt=CHECKIN_SALT, compress=True)


def checkin_url(*, patient_id: int, clinic_id: int, followup_id: int | None = None) -> str:
    token = checkin_token(patient_id=patient_id, clinic_id=clinic_id, followup_id=followup_id)
    # The web app's check-in page; it talks to the API's link endpoint. Links sent before it
    # existed point at the API path, which sends browsers on to this page.
    return f"{settings.PATIENT_LINK_BASE_URL}{checkin_page_path(patient_id=patient_id, token=token)}"


def checkin_page_path(*, patient_id: int, token: str) -> str:
    return f"/checkin/{patient_id}/{token}/"


def checkin_grant(token: str) -> CheckInGrant | None:
    """The grant a token carries; None if it was tampered with or has expired."""
    try:
        data = signing.loads(token, salt=CHECKIN_SALT, max_age=conf("CHECKIN_LINK_MAX_AGE_HOURS") * 3600)
        if data.get("f") is None:
            if not data.get("n"):
                return None  # no follow-up and no id of its own: not a link this service issued
            signing.loads(token, salt=CHECKIN_SALT, max_age=conf("CHECKIN_OPEN_LINK_MAX_AGE_HOURS") * 3600)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    return CheckInGrant(
        patient_id=data["p"], clinic_id=data["c"], followup_id=data.get("f"), link_id=data.get("n") or ""
    )
