"""A clinic's charting rules, read: its policy row, vital thresholds and dose caps over the defaults."""

from __future__ import annotations

from kat_clinic.models import Clinic
from monitoring.models import (
    DEFAULT_DOSE_CAPS,
    DEFAULT_THRESHOLDS,
    ChartingPolicy,
    DoseCap,
    VitalSign,
    VitalThresholdRule,
)


def policy_for(clinic: Clinic | int) -> ChartingPolicy:
    """The clinic's policy row, or an unsaved one holding the defaults."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    return ChartingPolicy.objects.filter(clinic_id=clinic_id).first() or ChartingPolicy(clinic_id=clinic_id)


def thresholds_for(*, clinic: Clinic | int) -> dict[str, dict | None]:
    """{rule kind: limits} for a clinic: its own rows over DOMAIN.md defaults; None when switched off."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    limits: dict[str, dict | None] = {kind: dict(values) for kind, values in DEFAULT_THRESHOLDS.items()}
    for rule in VitalThresholdRule.objects.filter(clinic_id=clinic_id):
        if not rule.active:
            limits[rule.kind] = None
            continue
        merged = dict(limits[rule.kind] or DEFAULT_THRESHOLDS[rule.kind])
        for name in ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent", "minutes"):
            value = getattr(rule, name)
            if value is not None:
                merged[name] = value
        limits[rule.kind] = merged
    return limits


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
