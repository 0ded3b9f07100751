"""A patient's scale responses read as trends: baseline, latest, response and remission."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from monitoring.models import Scale, ScaleResponse


@dataclass(frozen=True)
class ScaleTrend:
    scale: str
    points: list[dict]
    baseline: int | None
    latest: int | None
    change_percent: Decimal | None
    response: bool
    remission: bool


def scale_trend(*, responses: list[ScaleResponse], scale: str) -> ScaleTrend:
    """Baseline (first), latest, response (PHQ-9 down >= 50 % from baseline), remission (PHQ-9 < 5)."""
    ordered = sorted((r for r in responses if r.scale == scale), key=lambda r: (r.completed_at, r.pk))
    points = [{"id": r.pk, "completed_at": r.completed_at, "total": r.total, "severity": r.severity} for r in ordered]
    if not ordered or ordered[0].total is None:
        return ScaleTrend(scale, points, None, None, None, False, False)
    baseline, latest = ordered[0].total, ordered[-1].total
    change = None
    if baseline:
        change = ((Decimal(baseline - latest) / Decimal(baseline)) * 100).quantize(Decimal("0.1"))
    is_phq9 = scale == Scale.PHQ9
    # A single response is a baseline, not a response to treatment.
    response = is_phq9 and len(ordered) > 1 and baseline > 0 and latest * 2 <= baseline
    remission = is_phq9 and len(ordered) > 1 and latest < 5
    return ScaleTrend(scale, points, baseline, latest, change, response, remission)


def scale_trends(*, responses: list[ScaleResponse]) -> list[ScaleTrend]:
    """One trend per scale among `responses`, in scale order."""
    return [scale_trend(responses=responses, scale=scale) for scale in sorted({r.scale for r in responses})]
