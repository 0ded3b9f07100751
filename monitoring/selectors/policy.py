"""A clinic's charting rules, read: its policy row, vital thresholds and dose caps over the defaults."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import F, OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import Cast, JSONObject

from kat_clinic.compiled_query import IdsQuery
from kat_clinic.json_sql import jsonb_rows
from kat_clinic.models import Clinic
from monitoring.models import (
    DEFAULT_DOSE_CAPS,
    DEFAULT_THRESHOLDS,
    ChartingPolicy,
    DoseCap,
    VitalSign,
    VitalThresholdRule,
)


class ChartingRules(NamedTuple):
    """A clinic's charting policy (its row, or an unsaved one holding the defaults) and its vital
    thresholds ({rule kind: limits}: its own rows over DOMAIN.md defaults; None when switched off)."""

    policy: ChartingPolicy
    limits: dict[str, dict | None]


_POLICY_COLUMNS = [f.attname for f in ChartingPolicy._meta.concrete_fields]
_RULE_COLUMNS = ("kind", "systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent", "minutes", "active")
_LIMIT_NAMES = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent", "minutes")


def _rules_query():
    """Per clinic: its policy row's columns (NULL without a row) and its threshold rows as JSON."""
    return Clinic.objects.values(
        "pk", *(f"charting_policy__{name}" for name in _POLICY_COLUMNS if name != "clinic_id")
    ).annotate(
        threshold_rules=ArraySubquery(
            VitalThresholdRule.objects.filter(clinic_id=OuterRef("pk"))
            .order_by("kind")
            .values(json=JSONObject(**{name: name for name in _RULE_COLUMNS}))
        )
    )


# One statement for both, compiled once per connection: a vitals write reads them on every reading.
_RULES_QUERY = IdsQuery(_rules_query)


def charting_rules(clinic: Clinic | int) -> ChartingRules:
    """The clinic's policy and thresholds, in one query."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    rows = _RULES_QUERY.rows([clinic_id])
    row = rows[0] if rows else {"charting_policy__id": None, "threshold_rules": []}
    if row["charting_policy__id"] is None:
        return ChartingRules(ChartingPolicy(clinic_id=clinic_id), _limits(row["threshold_rules"]))
    values = {name: row.get(f"charting_policy__{name}") for name in _POLICY_COLUMNS}
    return _rules(clinic_id, values, row["threshold_rules"])


def _rules(clinic_id: int, policy_values: dict, threshold_rules: list[dict]) -> ChartingRules:
    values = {**policy_values, "clinic_id": clinic_id}
    policy = ChartingPolicy.from_db(DEFAULT_DB_ALIAS, _POLICY_COLUMNS, [values[n] for n in _POLICY_COLUMNS])
    return ChartingRules(policy, _limits(threshold_rules))


# The policy's decimal columns: written as text in the JSON of `with_charting_rules` (a JSON
# number would be read as a float), read back as the driver reads them.
_DECIMAL_COLUMNS = tuple(f.attname for f in ChartingPolicy._meta.concrete_fields if isinstance(f, models.DecimalField))
_RULES_OF_SESSION = "charting_rules_json"


def with_charting_rules(sessions: QuerySet) -> QuerySet:
    """Each session with its clinic's charting rules, read in the session's own statement (one
    statement fewer for a chart and for every vitals write) as one JSON text value, which
    `session_charting_rules` reads as `charting_rules` would read them."""
    clinic = OuterRef("clinic_id")
    policy_values = {
        name: Cast(F(name), TextField()) if name in _DECIMAL_COLUMNS else F(name)
        for name in _POLICY_COLUMNS
        if name != "clinic_id"
    }
    rules = JSONObject(
        policy=Subquery(ChartingPolicy.objects.filter(clinic_id=clinic).values(json=JSONObject(**policy_values))),
        thresholds=jsonb_rows(
            VitalThresholdRule.objects.filter(clinic_id=clinic).order_by("kind"),
            **{name: name for name in _RULE_COLUMNS},
        ),
    )
    return sessions.annotate(**{_RULES_OF_SESSION: Cast(rules, TextField())})


def session_charting_rules(session) -> ChartingRules:
    """`charting_rules(session.clinic_id)`, from the session's own row where it was read
    `with_charting_rules` (no query), else read."""
    written = session.__dict__.get(_RULES_OF_SESSION)
    if written is None:
        return charting_rules(session.clinic_id)
    rules = orjson.loads(written)
    policy = rules["policy"]
    if policy is None:
        return ChartingRules(ChartingPolicy(clinic_id=session.clinic_id), _limits(rules["thresholds"]))
    for name in _DECIMAL_COLUMNS:
        if policy[name] is not None:
            policy[name] = Decimal(policy[name])
    return _rules(session.clinic_id, policy, rules["thresholds"])


def _limits(rules: list[dict]) -> dict[str, dict | None]:
    limits: dict[str, dict | None] = {kind: dict(values) for kind, values in DEFAULT_THRESHOLDS.items()}
    for rule in rules:
        kind = rule["kind"]
        if not rule["active"]:
            limits[kind] = None
            continue
        merged = dict(limits[kind] or DEFAULT_THRESHOLDS[kind])
        for name in _LIMIT_NAMES:
            if rule[name] is not None:
                merged[name] = rule[name]
        limits[kind] = merged
    return limits


def policy_for(clinic: Clinic | int) -> ChartingPolicy:
    """The clinic's policy row, or an unsaved one holding the defaults."""
    return charting_rules(clinic).policy


def thresholds_for(*, clinic: Clinic | int) -> dict[str, dict | None]:
    """{rule kind: limits} for a clinic: its own rows over DOMAIN.md defaults; None when switched off."""
    return charting_rules(clinic).limits


def bp_above_hold(reading: VitalSign, limits: dict) -> bool:
    """Pre-dose hold: BP strictly above either limit (DOMAIN: hold at > 140/90)."""
    return reading.systolic_mmhg > limits["systolic_mmhg"] or reading.diastolic_mmhg > limits["diastolic_mmhg"]


def dose_cap_for(*, clinic_id: int, medication: str, route: str) -> dict | None:
    """The clinic's cap on one session's cumulative dose for a medication and route, else the default."""
    cap = DoseCap.objects.filter(clinic_id=clinic_id, medication=medication, route=route).first()
    if cap is not None:
        return {"max_session_mg": cap.max_session_mg, "max_session_mg_per_kg": cap.max_session_mg_per_kg}
    default = DEFAULT_DOSE_CAPS.get((medication, route))
    if default is None:
        return None
    return {
        "max_session_mg": default.get("max_session_mg"),
        "max_session_mg_per_kg": default.get("max_session_mg_per_kg"),
    }
