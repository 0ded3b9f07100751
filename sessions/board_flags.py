"""The day board's flags that scheduling cannot know (`FLAGS`: whether a dosing session's
prerequisites are missing, whether its ride home is confirmed, its prior authorization's status),
judged by PostgreSQL in the board's own statement of its sessions.

An app above scheduling registers at start-up (in its `AppConfig.ready()`) how it judges them
(`judge_in_board`): a function annotating the board's sessions queryset with the flags it judges,
by their names, where `Param("now")` is the time they are judged at. A flag no app judges is None
on the board ("not known here", never "all clear"). An app answering in Python instead answers
`signals.day_board_flags`, and its answers are merged over these.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import BooleanField, CharField, F, QuerySet, Value

FLAGS = ("prerequisite_missing", "ride_not_confirmed", "authorization")
_UNKNOWN = (
    Value(None, output_field=BooleanField()),
    Value(None, output_field=BooleanField()),
    Value(None, output_field=CharField()),
)
_judges: list[Callable[[QuerySet], QuerySet]] = []


def judge_in_board(annotate: Callable[[QuerySet], QuerySet]) -> None:
    """Register `annotate(sessions) -> sessions`, which annotates the board's sessions with the
    flags it judges (named as in `FLAGS`). Before the board's first read: its statement is built once."""
    if annotate not in _judges:
        _judges.append(annotate)


def with_flags(sessions: QuerySet) -> tuple[QuerySet, tuple]:
    """`sessions` as every registered app annotates them, and the flags' columns in `FLAGS` order
    (each its annotation, or None where no app judges it)."""
    for annotate in _judges:
        sessions = annotate(sessions)
    judged = sessions.query.annotations
    return sessions, tuple(
        F(flag) if flag in judged else unknown for flag, unknown in zip(FLAGS, _UNKNOWN, strict=True)
    )
