"""Does a check-in signal risk? Scale scoring comes from the charting app when it is installed.

`monitoring.scales.score` is the single scorer of the product. Until it is merged, a minimal local
check covers the two rules the crisis path needs (PHQ-9 item 9 above 0; a high-risk C-SSRS
screener: intent, a plan, or recent behaviour), with the same input shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
    try:
        from monitoring.scales import ScaleAnswerError, score
    except ImportError:
        return _local_assess(scale, answers)
    try:
        result = score(scale, answers)
    except ScaleAnswerError as exc:
        raise ScaleAnswersInvalid(exc.errors) from exc
    return Risk(total=result.total, high_risk=result.high_risk, reason=result.alert_reason)


_ITEMS = {"phq9": (9, 3), "gad7": (7, 3), "pcl5": (20, 4)}
_CSSRS = ("q1", "q2", "q3", "q4", "q5", "q6")


def _local_assess(scale: str, answers: Any) -> Risk:
    if scale == "cssrs":
        if not isinstance(answers, dict) or any(not isinstance(answers.get(q), bool) for q in _CSSRS):
            raise ScaleAnswersInvalid({"scale_answers": ["Answer q1..q6 with true or false."]})
        recent = answers["q6"] and answers.get("q6_recent") is True
        high = answers["q4"] or answers["q5"] or recent
        return Risk(total=None, high_risk=high, reason="C-SSRS screener positive (high risk)." if high else "")
    if scale not in _ITEMS:
        raise ScaleAnswersInvalid({"scale": [f"Unknown scale {scale!r}."]})
    count, item_max = _ITEMS[scale]
    if (
        not isinstance(answers, list)
        or len(answers) != count
        or any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= item_max for v in answers)
    ):
        raise ScaleAnswersInvalid({"scale_answers": [f"Expected {count} integers from 0 to {item_max}."]})
    high = scale == "phq9" and answers[8] > 0
    reason = f"PHQ-9 item 9 answered {answers[8]} (thoughts of self-harm)." if high else ""
    return Risk(total=sum(answers), high_risk=high, reason=reason)
