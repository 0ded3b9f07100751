"""What the front desk's day board shows of charting: whether a dosing session's prerequisites are
in place, whether the ride home is confirmed, and the prior authorization's status, never the
clinical detail behind them (which consent, which contraindication, which payer).

One query for the whole board, whatever its size: each session's records (consents, screens,
REMS enrollments, authorizations, the attestation, the prescriber's gate overrides, the template's
prerequisites) come back as JSON arrays on the session's row and are judged here in Python, by the
rules of the pre-dose gate (`monitoring.selectors.gate`), as of the session's start. The board
judges what can be settled before the day: the consent, the contraindication screen, the REMS
enrollment and the authorization. Fasting, weight, pregnancy test and vital signs are the nurse's,
on the day, at the gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, F, OuterRef, TextField
from django.db.models.functions import Cast, JSONObject

from kat_clinic.compiled_query import IdsQuery
from kat_clinic.json_sql import jsonb_rows
from monitoring.models import (
    ChecklistOverride,
    Consent,
    ContraindicationScreen,
    PriorAuthorization,
    PriorAuthorizationUse,
    RemsPatientEnrollment,
    SessionAttestation,
)
from monitoring.selectors.gate import Prereq
from programs.choices import Medication, SessionKind
from programs.models import TemplatePrerequisite
from sessions.models import Session


class Authorization:
    ACTIVE = "active"
    MISSING = "missing"
    NOT_REQUIRED = "not_required"


# What the board judges ahead of the day (see the module's docstring).
BOARD_PREREQUISITES = frozenset(
    {Prereq.CONSENT, Prereq.CONTRAINDICATION_SCREEN, Prereq.REMS_ENROLLMENT, Prereq.PRIOR_AUTHORIZATION}
)


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _load(session_ids: list[int]) -> list[dict]:
    rows = _BOARD_QUERY.rows(session_ids)
    for row in rows:
        row.update(orjson.loads(row.pop("records")))
    return rows


def _loader():
    """The board's query without its sessions. Compiled once per connection (`IdsQuery`):
    resolving and compiling its dozen subqueries took more of a board request's time than running
    them."""
    patient = OuterRef("patient_id")
    return Session.objects.values(
        "pk",
        "patient_id",
        "starts_at",
        "clinic__timezone",
        "planned_session_id",
        "planned_session__step__medication",
        "planned_session__step__route",
    ).annotate(
        # The session's records of every kind, as one JSON object of arrays read as text: one
        # value to decode per session, at once (an ARRAY(...) of JSON objects per kind was decoded
        # by Django element by element).
        records=Cast(
            JSONObject(
                template_prereqs=jsonb_rows(
                    TemplatePrerequisite.objects.filter(
                        template_id=OuterRef("planned_session__enrollment__template_id")
                    ),
                    kind="kind",
                    max_age_days="max_age_days",
                ),
                consents=jsonb_rows(
                    Consent.objects.filter(patient_id=patient),
                    signed_at="signed_at",
                    revoked_at="revoked_at",
                    expires_on="expires_on",
                    medications="medications",
                    routes="routes",
                ),
                screens=jsonb_rows(
                    ContraindicationScreen.objects.filter(patient_id=patient, reviewed_at__isnull=False),
                    screened_at="screened_at",
                    valid_until="valid_until",
                    result="result",
                ),
                rems=jsonb_rows(
                    RemsPatientEnrollment.objects.filter(patient_id=patient),
                    enrolled_on="enrolled_on",
                    ended_on="ended_on",
                ),
                authorizations=jsonb_rows(
                    PriorAuthorization.objects.filter(patient_id=patient),
                    valid_from="valid_from",
                    valid_until="valid_until",
                    left=F("authorised_sessions") - F("used_sessions"),
                ),
            ),
            output_field=TextField(),
        ),
        authorization_used=Exists(PriorAuthorizationUse.objects.filter(session_id=OuterRef("pk"))),
        ride_confirmed=Exists(
            SessionAttestation.objects.filter(session_id=OuterRef("pk"))
            .exclude(escort_name="")
            .exclude(escort_phone="")
        ),
        overridden=ArraySubquery(
            ChecklistOverride.objects.filter(session_id=OuterRef("pk"), stage=ChecklistOverride.Stage.GATE).values(
                "item"
            )
        ),
    )


_BOARD_QUERY = IdsQuery(_loader)


def _prerequisites(row: dict) -> dict[str, int | None]:
    """kind -> max age in days: the template's, else the ad-hoc defaults of the gate."""
    if row["planned_session_id"] is not None:
        return {p["kind"]: p["max_age_days"] for p in row["template_prereqs"]}
    kinds = {Prereq.CONSENT: None, Prereq.CONTRAINDICATION_SCREEN: None}
    if row["planned_session__step__medication"] == Medication.ESKETAMINE:
        kinds[Prereq.REMS_ENROLLMENT] = None
    if row["authorizations"]:
        kinds[Prereq.PRIOR_AUTHORIZATION] = None
    return kinds


def _consent_ok(row: dict, *, at: dt.datetime, now: dt.datetime, day: dt.date, since: dt.datetime | None) -> bool:
    medication, route = row["planned_session__step__medication"], row["planned_session__step__route"]
    for c in row["consents"]:
        signed, revoked, expires = _time(c["signed_at"]), _time(c["revoked_at"]), _date(c["expires_on"])
        if signed > now or (revoked is not None and revoked <= at) or (expires is not None and expires < day):
            continue
        if since is not None and signed < since:
            continue
        if medication and c["medications"] and medication not in c["medications"]:
            continue
        if route and c["routes"] and route not in c["routes"]:
            continue
        return True
    return False


def _screen_ok(row: dict, *, day: dt.date, since: dt.datetime | None) -> bool:
    valid = [s for s in row["screens"] if _date(s["valid_until"]) >= day]
    if not valid:
        return False
    latest = max(valid, key=lambda s: _time(s["screened_at"]))
    if since is not None and _time(latest["screened_at"]) < since:
        return False
    return latest["result"] == ContraindicationScreen.Result.PASSED


def _rems_ok(row: dict, *, day: dt.date) -> bool:
    return any(
        _date(r["enrolled_on"]) <= day and (r["ended_on"] is None or _date(r["ended_on"]) >= day) for r in row["rems"]
    )


def _authorization_active(row: dict, *, day: dt.date) -> bool:
    return row["authorization_used"] or any(
        _date(a["valid_from"]) <= day <= _date(a["valid_until"]) and a["left"] > 0 for a in row["authorizations"]
    )


def board_flags(*, sessions: Iterable[Session], now: dt.datetime) -> dict[int, dict]:
    """Per session id: `prerequisite_missing`, `ride_not_confirmed` and `authorization` (active,
    missing or not_required). Sessions other than dosing need neither: False, False, not_required."""
    sessions = list(sessions)
    out = {
        s.pk: {"prerequisite_missing": False, "ride_not_confirmed": False, "authorization": Authorization.NOT_REQUIRED}
        for s in sessions
        if s.kind != SessionKind.DOSING
    }
    dosing = [s.pk for s in sessions if s.kind == SessionKind.DOSING]
    if not dosing:
        return out
    for row in _load(dosing):
        starts_at = row["starts_at"]
        at = max(now, starts_at)
        day = starts_at.astimezone(ZoneInfo(row["clinic__timezone"])).date()
        required = _prerequisites(row)
        missing = False
        for kind, max_age in required.items():
            if kind not in BOARD_PREREQUISITES or kind in row["overridden"]:
                continue
            since = starts_at - dt.timedelta(days=max_age) if max_age else None
            if kind == Prereq.CONSENT:
                ok = _consent_ok(row, at=at, now=now, day=day, since=since)
            elif kind == Prereq.CONTRAINDICATION_SCREEN:
                ok = _screen_ok(row, day=day, since=since)
            elif kind == Prereq.REMS_ENROLLMENT:
                ok = _rems_ok(row, day=day)
            else:
                ok = _authorization_active(row, day=day)
            missing = missing or not ok
        if Prereq.PRIOR_AUTHORIZATION in required:
            authorization = Authorization.ACTIVE if _authorization_active(row, day=day) else Authorization.MISSING
        else:
            authorization = Authorization.NOT_REQUIRED
        out[row["pk"]] = {
            "prerequisite_missing": missing,
            # Ad-hoc dosing always needs the ride home (the gate's defaults); a plan, when its template says.
            "ride_not_confirmed": not row["ride_confirmed"]
            and (Prereq.RIDE_CONFIRMED in required or row["planned_session_id"] is None)
            and Prereq.RIDE_CONFIRMED not in row["overridden"],
            "authorization": authorization,
        }
    return out
