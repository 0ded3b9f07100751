"""Does a check-in signal risk? Scored by the product's one scorer, `monitoring.scales.score`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitoring.scales import ScaleAnswerError, score


class ScaleAnswersInvalid(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Risk:
    total: int | None
    high_risk: bool
    reason: str


def assess(scale: str, answers: Any) -> Risk:
    """The total and whether the answers are high risk (PHQ-9 item 9 above 0, a positive C-SSRS)."""
    try:
        result = score(scale, answers)
    except ScaleAnswerError as exc:
        raise ScaleAnswersInvalid(exc.errors) from exc
    return Risk(total=result.total, high_risk=result.high_risk, reason=result.alert_reason)
