"""The day board's body without DRF's per-row machinery: the same bytes as `DayBoardSerializer`.

A busy board has hundreds of sessions, each with a patient, staff, links and flags: through nested
DRF serializers most of the request's time went to walking fields. Here every value is written as
its `DayBoardSerializer` field writes it (the driver's integers, text, booleans and None as they
are; date-times in UTC ISO 8601 with "Z", written by PostgreSQL where the board was read with
`board_text_years()`, else through the lean path's converter, which hands anything unusual to
`AwareDateTimeField` itself); when the current time zone is not UTC the serializer is used as is.
tests/sessions/test_day_board_body.py compares both on boards with flags, links and staff.

Read with `written` (where the zone is UTC), each session comes mostly as JSON text written by
PostgreSQL (`sessions.selectors.WrittenSession`): its fields to its telehealth flag and its staff,
joined here with its links and flags into the session's text, which the renderer sends as it is
(`WrittenJson`): no dict per session, patient, staff member and flag set to build and then write.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from rest_framework import serializers

from kat_clinic.api.lean import _datetime_converter, current_zone_is_utc
from kat_clinic.api.lean_rows import IMPLAUSIBLE_TIME
from kat_clinic.api.renderers import WrittenJson
from kat_clinic.api.times import AwareDateTimeField, PlausibleDateField
from sessions.api.serializers import DayBoardSerializer, DayBoardSessionSerializer
from sessions.selectors import WrittenSession

_DATETIME = _datetime_converter(AwareDateTimeField())
# The years of a UTC time the converter writes as ISO 8601 with "Z", which `moment` writes inline.
_FIRST_YEAR, _LAST_YEAR = _DATETIME.fast_years
_DATE = PlausibleDateField()
_BOOL = serializers.BooleanField(allow_null=True)
_AUTHORIZATION = DayBoardSessionSerializer().fields["authorization"]
# Each status as its field writes it, looked up (any other value goes to the field itself).
_AUTHORIZATION_WRITTEN = {choice: _AUTHORIZATION.to_representation(choice) for choice in _AUTHORIZATION.choices}


# The same, as JSON text.
_AUTHORIZATION_TEXT = {choice: orjson.dumps(written).decode() for choice, written in _AUTHORIZATION_WRITTEN.items()}
_BOOL_TEXT = {True: "true", False: "false"}


def _bool(value):
    return value if value is None or type(value) is bool else _BOOL.to_representation(value)


def _bool_text(value) -> str:
    if value is None:
        return "null"
    return _BOOL_TEXT[value] if type(value) is bool else orjson.dumps(_bool(value)).decode()


def _authorization(value):
    if value is None:
        return None
    written = _AUTHORIZATION_WRITTEN.get(value) if type(value) is str else None
    return _AUTHORIZATION.to_representation(value) if written is None else written


def _authorization_text(value) -> str:
    # (Looked up as text: a call per value to write it was 3-6 % of the board's instructions.)
    written = _AUTHORIZATION_TEXT.get(value) if type(value) is str else None
    return orjson.dumps(_authorization(value)).decode() if written is None else written


def _written(session: WrittenSession) -> WrittenJson:
    """A session's JSON text, in the serializer's field order: its head (closed by PostgreSQL, opened
    again here), staff, links and flags."""
    for x in session.linked:
        if not x["starts_at"]:  # outside the written years (`board_text_years`)
            _DATETIME(IMPLAUSIBLE_TIME, True)  # a year the field refuses: it raises as the field does
    flags = session.flags
    return WrittenJson(
        f'{session.head[:-1]},"staff":{session.staff},'
        f'"linked":{orjson.dumps(session.linked).decode() if session.linked else "[]"},'
        f'"flags":{{"late":{_BOOL_TEXT[session.late]},"late_cancel":{_BOOL_TEXT[session.late_cancel]},'
        f'"prerequisite_missing":{_bool_text(flags.get("prerequisite_missing"))},'
        f'"ride_not_confirmed":{_bool_text(flags.get("ride_not_confirmed"))}}},'
        f'"authorization":{_authorization_text(flags.get("authorization"))}}}'
    )


def board_text_years() -> tuple[int, int] | None:
    """What `sessions.selectors.day_board` is given as `text_years` for the board this request
    writes: the years whose UTC times PostgreSQL writes as this module would, where the current
    zone is UTC; None (datetimes, for the serializer) in another zone."""
    return (_FIRST_YEAR, _LAST_YEAR) if current_zone_is_utc() else None


def day_board_data(board: dict) -> dict:
    """`DayBoardSerializer(board).data`, written directly: `board` (from `selectors.day_board`,
    read once) is turned into it, each value its field would convert converted where it is (or,
    read `written`, each session joined into its JSON text), and returned."""
    if board.get("written"):
        sessions = [_written(session) for session in board["sessions"]]
    elif not current_zone_is_utc():
        return DayBoardSerializer(board).data
    else:
        sessions = board["sessions"]
        _convert_in_place(sessions)
    return {
        "clinic": board["clinic"],
        "date": None if board["date"] is None else _DATE.to_representation(board["date"]),
        "timezone": board["timezone"],
        "sessions": sessions,
        "by_room": board["by_room"],
        "by_staff": board["by_staff"],
    }


def _convert_in_place(sessions: list[dict]) -> None:
    def moment(value):
        if type(value) is str:  # written by PostgreSQL (`board_text_years`)
            if not value:
                _DATETIME(IMPLAUSIBLE_TIME, True)  # a year the field refuses: it raises as the field does
            return value
        if type(value) is datetime and value.tzinfo is UTC and _FIRST_YEAR <= value.year <= _LAST_YEAR:
            return value.isoformat()[:-6] + "Z"  # (a UTC time's ends in +00:00)
        return None if value is None else _DATETIME(value, True)

    # Ids, names, kinds, statuses, lanes, staff lists and the board's own flags (`late`,
    # `late_cancel`) are the driver's ints, text and booleans (or None) from `sessions.selectors.
    # day_board`'s rows, in the fields' order, which their fields write as they are; times, the
    # flags other apps answer and the authorization are converted.
    for s in sessions:
        for key in _TIMES:
            s[key] = moment(s[key])
        for x in s["linked"]:
            x["starts_at"] = moment(x["starts_at"])
        flags = s["flags"]
        flags["prerequisite_missing"] = _bool(flags["prerequisite_missing"])
        flags["ride_not_confirmed"] = _bool(flags["ride_not_confirmed"])
        s["authorization"] = _authorization(s["authorization"])


_TIMES = ("starts_at", "ends_at", "block_starts_at", "block_ends_at")
