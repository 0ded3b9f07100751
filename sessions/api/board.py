"""The day board's body without DRF's per-row machinery: the same bytes as `DayBoardSerializer`.

A busy board has hundreds of sessions, each with a patient, staff, links and flags: through nested
DRF serializers most of the request's time went to walking fields. Here every value is written as
its `DayBoardSerializer` field writes it (the driver's integers, text, booleans and None as they
are; date-times in UTC ISO 8601 with "Z", written by PostgreSQL where the board was read with
`board_text_years()`, else through the lean path's converter, which hands anything unusual to
`AwareDateTimeField` itself); when the current time zone is not UTC the serializer is used as is.
tests/sessions/test_day_board_body.py compares both on boards with flags, links and staff.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rest_framework import serializers

from kat_clinic.api.lean import _datetime_converter, current_zone_is_utc
from kat_clinic.api.lean_rows import IMPLAUSIBLE_TIME
from kat_clinic.api.times import AwareDateTimeField, PlausibleDateField
from sessions.api.serializers import DayBoardSerializer, DayBoardSessionSerializer

_DATETIME = _datetime_converter(AwareDateTimeField())
# The years of a UTC time the converter writes as ISO 8601 with "Z", which `moment` writes inline.
_FIRST_YEAR, _LAST_YEAR = _DATETIME.fast_years
_DATE = PlausibleDateField()
_BOOL = serializers.BooleanField(allow_null=True)
_AUTHORIZATION = DayBoardSessionSerializer().fields["authorization"]
# Each status as its field writes it, looked up (any other value goes to the field itself).
_AUTHORIZATION_WRITTEN = {choice: _AUTHORIZATION.to_representation(choice) for choice in _AUTHORIZATION.choices}


def _bool(value):
    return value if value is None or type(value) is bool else _BOOL.to_representation(value)


def board_text_years() -> tuple[int, int] | None:
    """What `sessions.selectors.day_board` is given as `text_years` for the board this request
    writes: the years whose UTC times PostgreSQL writes as this module would, where the current
    zone is UTC; None (datetimes, for the serializer) in another zone."""
    return (_FIRST_YEAR, _LAST_YEAR) if current_zone_is_utc() else None


def day_board_data(board: dict) -> dict:
    """`DayBoardSerializer(board).data`, written directly: `board` (from `selectors.day_board`,
    read once) is turned into it in place, each value its field would convert converted where it
    is, and returned."""
    if not current_zone_is_utc():
        return DayBoardSerializer(board).data

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
    for s in board["sessions"]:
        for key in _TIMES:
            s[key] = moment(s[key])
        for x in s["linked"]:
            x["starts_at"] = moment(x["starts_at"])
        flags = s["flags"]
        flags["prerequisite_missing"] = _bool(flags["prerequisite_missing"])
        flags["ride_not_confirmed"] = _bool(flags["ride_not_confirmed"])
        authorization = s["authorization"]
        if authorization is not None:
            written = _AUTHORIZATION_WRITTEN.get(authorization) if type(authorization) is str else None
            s["authorization"] = _AUTHORIZATION.to_representation(authorization) if written is None else written
    board["date"] = None if board["date"] is None else _DATE.to_representation(board["date"])
    return board


_TIMES = ("starts_at", "ends_at", "block_starts_at", "block_ends_at")
