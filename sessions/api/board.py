"""The day board's body without DRF's per-row machinery: the same bytes as `DayBoardSerializer`.

A busy board has hundreds of sessions, each with a patient, staff, links and flags: through nested
DRF serializers most of the request's time went to walking fields. Here every value is written as
its `DayBoardSerializer` field writes it (the driver's integers, text, booleans and None as they
are; date-times in UTC ISO 8601 with "Z" through the lean path's converter, which hands anything
unusual to `AwareDateTimeField` itself); when the current time zone is not UTC the serializer is
used as is.
tests/sessions/test_day_board_body.py compares both on boards with flags, links and staff.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rest_framework import serializers

from kat_clinic.api.lean import _datetime_converter, current_zone_is_utc
from kat_clinic.api.times import AwareDateTimeField, PlausibleDateField
from sessions.api.serializers import DayBoardSerializer, DayBoardSessionSerializer

_DATETIME = _datetime_converter(AwareDateTimeField())
# The years of a UTC time the converter writes as ISO 8601 with "Z", which `moment` writes inline.
_FIRST_YEAR, _LAST_YEAR = _DATETIME.fast_years
_DATE = PlausibleDateField()
_BOOL = serializers.BooleanField(allow_null=True)
_AUTHORIZATION = DayBoardSessionSerializer().fields["authorization"]


def _bool(value):
    return value if value is None or type(value) is bool else _BOOL.to_representation(value)


def day_board_data(board: dict) -> dict:
    """`DayBoardSerializer(board).data`, written directly: `board` (from `selectors.day_board`,
    read once) is turned into it in place, each value its field would convert converted where it
    is, and returned."""
    if not current_zone_is_utc():
        return DayBoardSerializer(board).data

    def moment(value):
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
        if s["authorization"] is not None:
            s["authorization"] = _AUTHORIZATION.to_representation(s["authorization"])
    board["date"] = None if board["date"] is None else _DATE.to_representation(board["date"])
    return board


_TIMES = ("starts_at", "ends_at", "block_starts_at", "block_ends_at")
