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
    """`DayBoardSerializer(board).data`, written directly."""
    if not current_zone_is_utc():
        return DayBoardSerializer(board).data

    def moment(value):
        if type(value) is datetime and value.tzinfo is UTC and _FIRST_YEAR <= value.year <= _LAST_YEAR:
            return value.isoformat()[:-6] + "Z"  # (a UTC time's ends in +00:00)
        return None if value is None else _DATETIME(value, True)

    # Ids, names, kinds, statuses, lanes and the board's own flags (`late`, `late_cancel`) are the
    # driver's ints, text and booleans (or None) from `sessions.selectors.day_board`'s rows, which
    # their fields write as they are; the flags other apps answer are checked.
    sessions = []
    for s in board["sessions"]:
        patient, flags = s["patient"], s["flags"]
        sessions.append(
            {
                "id": s["id"],
                "patient": {"id": patient["id"], "name": patient["name"]},
                "kind": s["kind"],
                "status": s["status"],
                "starts_at": moment(s["starts_at"]),
                "ends_at": moment(s["ends_at"]),
                "block_starts_at": moment(s["block_starts_at"]),
                "block_ends_at": moment(s["block_ends_at"]),
                "room": s["room"],
                "telehealth": s["telehealth"],
                "staff": [
                    {"staff": a["staff"], "name": a["name"], "role": a["role"], "mode": a["mode"], "lane": a["lane"]}
                    for a in s["staff"]
                ],
                "linked": [
                    {"id": x["id"], "kind": x["kind"], "status": x["status"], "starts_at": moment(x["starts_at"])}
                    for x in s["linked"]
                ],
                "flags": {
                    "late": flags["late"],
                    "late_cancel": flags["late_cancel"],
                    "prerequisite_missing": _bool(flags["prerequisite_missing"]),
                    "ride_not_confirmed": _bool(flags["ride_not_confirmed"]),
                },
                "authorization": None
                if s["authorization"] is None
                else _AUTHORIZATION.to_representation(s["authorization"]),
            }
        )
    return {
        "clinic": board["clinic"],
        "date": None if board["date"] is None else _DATE.to_representation(board["date"]),
        "timezone": board["timezone"],
        "sessions": sessions,
        "by_room": [{"room": r["room"], "name": r["name"], "sessions": list(r["sessions"])} for r in board["by_room"]],
        "by_staff": [
            {"staff": e["staff"], "name": e["name"], "sessions": list(e["sessions"])} for e in board["by_staff"]
        ],
    }
