"""Does a check-in signal risk? Two sources, one answer:

- the rating scale it carries, scored by the product's one scorer (`monitoring.scales.score`):
  PHQ-9 item 9 above 0, a positive C-SSRS;
- the clinic's review rule (`AlertPolicy`): a mood at or below its threshold, or one of its words
  in the free text. A rule a clinic can read and change, not a model.
"""

from __future__ import annotations

import re
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


@dataclass(frozen=True)
class ReviewFlags:
    """What the clinic's review rule found in one check-in; empty when nothing."""

    low_mood: bool
    words: tuple[str, ...]

    def __bool__(self) -> bool:
        return self.low_mood or bool(self.words)


# Typographic apostrophes and dashes count as their plain forms: "can’t go on" is "can't go on".
_PLAIN = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"})


def _normalise(text: str) -> str:
    return " ".join(text.translate(_PLAIN).casefold().split())


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    # Whole words only ("skill" does not hold "kill"), any run of spaces between them.
    words = [re.escape(word) for word in _normalise(phrase).split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def risk_words_in(note: str, words: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The clinic's words and phrases found in `note`, in the list's order, each once."""
    text = _normalise(note)
    if not text:
        return ()
    found = [word for word in words if word.strip() and _phrase_pattern(word).search(text)]
    return tuple(dict.fromkeys(found))


def review_flags(*, mood_0_10: int, note: str, low_mood_at_most: int | None, words: list[str]) -> ReviewFlags:
    """The clinic's review rule applied to one check-in (a threshold of None switches the mood rule off)."""
    low_mood = low_mood_at_most is not None and mood_0_10 <= low_mood_at_most
    return ReviewFlags(low_mood=low_mood, words=risk_words_in(note, words))
