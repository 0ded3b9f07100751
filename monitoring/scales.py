"""Rating scale scoring: a pure function, no database, reusable by any app (check-ins, follow-ups).

`score("phq9", [0, 1, 2, 3, 0, 1, 2, 3, 0])` validates every item (count, range, type) and returns
the total, the severity band, whether it must raise a high-priority alert, and the LOINC codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitoring.models.scales import Scale


class ScaleAnswerError(ValueError):
    """The answers do not fit the scale; `errors` maps an item (or "answers") to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ScoreResult:
    scale: str
    total: int | None
    severity: str
    high_risk: bool
    alert_reason: str
    loinc_panel: str
    loinc_total: str
    item_loinc: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _NumericScale:
    items: int
    item_max: int
    # (lowest total of the band, band name), ascending.
    bands: tuple[tuple[int, str], ...]
    loinc_panel: str
    loinc_total: str
    item_loinc: dict[str, str] = field(default_factory=dict)


NUMERIC_SCALES: dict[str, _NumericScale] = {
    Scale.PHQ9: _NumericScale(
        items=9,
        item_max=3,
        bands=((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately_severe"), (20, "severe")),
        loinc_panel="44249-1",
        loinc_total="44261-6",
        item_loinc={"9": "44260-8"},
    ),
    Scale.GAD7: _NumericScale(
        items=7,
        item_max=3,
        bands=((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe")),
        loinc_panel="69737-5",
        loinc_total="70274-6",
    ),
    # PCL-5: the probable-PTSD cutoff is clinic-configurable (31-33 in the literature).
    Scale.PCL5: _NumericScale(items=20, item_max=4, bands=(), loinc_panel="local:pcl5", loinc_total="local:pcl5-total"),
}

CSSRS_ITEMS = ("q1", "q2", "q3", "q4", "q5", "q6")
CSSRS_LOINC_PANEL = "93373-9"
DEFAULT_PCL5_CUTOFF = 33


def score(scale: str, answers: Any, *, pcl5_cutoff: int = DEFAULT_PCL5_CUTOFF) -> ScoreResult:
    """Validate and score one response. Raises ScaleAnswerError when the answers do not fit the scale.

    Numeric scales take a list of integers, item 1 first. The C-SSRS screener takes
    {"q1".."q6": bool} and "q6_recent": bool (behaviour in the past 3 months) when q6 is yes.
    """
    if scale == Scale.CSSRS:
        return _score_cssrs(answers)
    definition = NUMERIC_SCALES.get(scale)
    if definition is None:
        raise ScaleAnswerError({"scale": [f"Unknown scale {scale!r}."]})
    items = _validate_items(answers, definition)
    total = sum(items)
    if scale == Scale.PCL5:
        severity = "probable_ptsd" if total >= pcl5_cutoff else "below_threshold"
    else:
        severity = [name for lowest, name in definition.bands if total >= lowest][-1]
    high_risk = scale == Scale.PHQ9 and items[8] > 0
    return ScoreResult(
        scale=scale,
        total=total,
        severity=severity,
        high_risk=high_risk,
        alert_reason=f"PHQ-9 item 9 answered {items[8]} (thoughts of self-harm)." if high_risk else "",
        loinc_panel=definition.loinc_panel,
        loinc_total=definition.loinc_total,
        item_loinc=dict(definition.item_loinc),
    )


def _validate_items(answers: Any, definition: _NumericScale) -> list[int]:
    if not isinstance(answers, list):
        raise ScaleAnswerError({"answers": [f"Expected a list of {definition.items} item scores."]})
    errors: dict[str, list[str]] = {}
    if len(answers) != definition.items:
        errors["answers"] = [f"Expected {definition.items} items, got {len(answers)}."]
    for number, value in enumerate(answers, start=1):
        # bool is an int in Python; a checkbox value is not an item score.
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= definition.item_max:
            errors[f"item_{number}"] = [f"Must be an integer from 0 to {definition.item_max}."]
    if errors:
        raise ScaleAnswerError(errors)
    return answers


def _score_cssrs(answers: Any) -> ScoreResult:
    if not isinstance(answers, dict):
        raise ScaleAnswerError({"answers": ["Expected an object with q1..q6 yes/no answers."]})
    errors: dict[str, list[str]] = {}
    for key in CSSRS_ITEMS:
        if not isinstance(answers.get(key), bool):
            errors[key] = ["Answer yes (true) or no (false)."]
    unknown = set(answers) - set(CSSRS_ITEMS) - {"q6_recent"}
    if unknown:
        errors["answers"] = [f"Unknown items: {', '.join(sorted(unknown))}."]
    if answers.get("q6") is True and not isinstance(answers.get("q6_recent"), bool):
        errors["q6_recent"] = ["Say whether the behaviour was in the past 3 months."]
    if errors:
        raise ScaleAnswerError(errors)
    recent_behaviour = answers["q6"] and answers.get("q6_recent") is True
    # Columbia screener triage: intent (q4), a plan (q5) or recent behaviour is high risk.
    if answers["q4"] or answers["q5"] or recent_behaviour:
        severity = "high"
    elif answers["q3"] or answers["q6"]:
        severity = "moderate"
    elif answers["q1"] or answers["q2"]:
        severity = "low"
    else:
        severity = "none"
    high_risk = severity == "high"
    return ScoreResult(
        scale=Scale.CSSRS,
        total=None,
        severity=severity,
        high_risk=high_risk,
        alert_reason="C-SSRS screener positive: ideation with intent or plan, or recent behaviour."
        if high_risk
        else "",
        loinc_panel=CSSRS_LOINC_PANEL,
        loinc_total="",
    )
