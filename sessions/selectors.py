"""Read paths for sessions: querysets with their joins applied, and the front desk's day board."""

from __future__ import annotations

import datetime as dt
import functools
from typing import NamedTuple

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db.models import BigIntegerField, BooleanField, ExpressionWrapper, F, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.db.models.query import ModelIterable
from django.utils import timezone

from kat_clinic.api.lean import PREFETCHED_SUFFIX
from kat_clinic.api.lean_rows import UtcIsoText
from kat_clinic.compiled_query import Param, ParamIds, Prepared
from kat_clinic.json_sql import JsonText, JsonTextRows, json_rows, json_text_rows
from kat_clinic.models import Clinic, Room, StaffMember
from programs.models import PlannedSession
from sessions import board_flags, signals
from sessions.models import MAX_BLOCK, Session, StaffAssignment
from sessions.timeutil import local_to_aware

_SESSION_COLUMNS = tuple(field.name for field in Session._meta.concrete_fields)


class AssignmentRow(NamedTuple):
    """A staff assignment as the session list shows it: its columns and the staff member's name."""

    id: int
    session_id: int
    staff_id: int
    role: str
    mode: str
    lane: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    active: bool
    staff_name: str


_ASSIGNMENT_ROW_COLUMNS = tuple(name for name in AssignmentRow._fields if name != "staff_name")
_STAFF_NAME_COLUMNS = ("staff__first_name", "staff__last_name", "staff__credentials_suffix")


def assignments_of_sessions() -> QuerySet[StaffAssignment]:
    """The staff assignments of the sessions `ParamIds("sessions")`, in the order a session lists
    them (for a prepared query: the session list's, as instances or as rows)."""
    return StaffAssignment.objects.filter(session_id__in_array=ParamIds("sessions")).order_by("pk")


def assignments_of_session(session) -> QuerySet[StaffAssignment]:
    """The staff assignments of one session (an id or an `OuterRef`), in the order it lists them."""
    return StaffAssignment.objects.filter(session_id=session).order_by("pk")


_SESSION_ASSIGNMENT_ROWS = Prepared(
    lambda: assignments_of_sessions().values_list(*_ASSIGNMENT_ROW_COLUMNS, *_STAFF_NAME_COLUMNS)
)


class SessionsWithAssignmentRows(ModelIterable):
    """Sessions, each with its staff assignments as plain rows in `assignments_prefetched` (what the
    lean session serializer reads), in one more query for all the sessions read: no model instance
    per assignment and per staff member, and none of Django's prefetch machinery per page."""

    def __iter__(self):
        sessions = list(super().__iter__())
        by_session: dict[int, list[AssignmentRow]] = {session.pk: [] for session in sessions}
        if sessions:
            rows = _SESSION_ASSIGNMENT_ROWS.bind(sessions=list(by_session))
            name = StaffMember.display_name
            for *columns, first, last, suffix in rows:
                by_session[columns[1]].append(AssignmentRow(*columns, name(first, last, suffix)))
        for session in sessions:
            session.__dict__["assignments" + PREFETCHED_SUFFIX] = by_session[session.pk]
        yield from sessions


def session_list() -> QuerySet[Session]:
    """Sessions as the session serializer writes them: every column of the session and its staff
    assignments (as `AssignmentRow`s), of the patient and the staff only their names (the
    serializer reads no more)."""
    sessions = (
        Session.objects.select_related("patient")
        .only(*_SESSION_COLUMNS, "patient__first_name", "patient__last_name")
        .order_by("block_starts_at", "pk")
    )
    # Kept by every clone (filter, slice, get); a `values()` replaces it with its own.
    sessions._iterable_class = SessionsWithAssignmentRows
    return sessions


BOARD_FIRST_DAY = dt.date(2000, 1, 1)
BOARD_LAST_DAY = dt.date(2100, 12, 31)


def local_day_bounds(clinic: Clinic, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[local midnight, next local midnight): 23 or 25 hours long on daylight-saving change days."""
    tz = clinic.tz
    return local_to_aware(day, dt.time(0), tz), local_to_aware(day + dt.timedelta(days=1), dt.time(0), tz)


class BoardSession(NamedTuple):
    """What the flag receivers (`signals.day_board_flags`) read of a board session: its id and kind."""

    pk: int
    kind: str


class WrittenSession(NamedTuple):
    """A board session read for the API's writer (`day_board(written=True)`): its id and patient,
    its fields up to its room and telehealth as JSON text (`head`: an object, closed), its staff as
    JSON text, its program partners (their times as text) and its flags, to be joined into the
    session's JSON text by `sessions.api.board`."""

    pk: int
    patient_id: int
    head: str
    staff: str
    linked: list[dict]
    flags: dict
    late: bool
    late_cancel: bool


# Every read of the board's sessions begins with these (then its staff as JSON text and `late`).
_BOARD_LEADING = (
    "id",
    "patient_id",
    "kind",
    "room_id",
    "active",
    "late_cancel",
    "planned_session_id",
    "planned_session__linked_dosing_id",
)
# The rest of each session, as columns or (`written`) in one JSON text.
_BOARD_COLUMNS = (
    "patient__first_name",
    "patient__last_name",
    "status",
    "starts_at",
    "ends_at",
    "block_starts_at",
    "block_ends_at",
    "telehealth",
)
_BOARD_TIMES = ("starts_at", "ends_at", "block_starts_at", "block_ends_at")


def _board_time(column: str, text_years: tuple[int, int] | None):
    """A time as it is, or (`text_years`) written by PostgreSQL as the API writes it in UTC
    (`UtcIsoText`: '' for a time outside those years)."""
    return F(column) if text_years is None else UtcIsoText(column, *text_years)


def _board_head(text_years: tuple[int, int]) -> JsonText:
    """A session's fields from its id to its telehealth flag, as the board's serializer writes them."""
    return JsonText(
        id=F("id"),
        patient=JsonText(id=F("patient_id"), name=Concat("patient__first_name", Value(" "), "patient__last_name")),
        kind=F("kind"),
        status=F("status"),
        **{column: _board_time(column, text_years) for column in _BOARD_TIMES},
        room=F("room_id"),
        telehealth=F("telehealth"),
    )


def _board_staff() -> JsonTextRows:
    """A session's staff as the board lists them, in assignment order, written by PostgreSQL as
    compact JSON text: {staff, name (as `StaffMember.display_name`), role, mode, lane}."""
    return json_text_rows(
        assignments_of_session(OuterRef("pk")),
        "pk",
        staff=F("staff_id"),
        name=StaffMember.display_name_sql("staff__"),
        role=F("role"),
        mode=F("mode"),
        lane=F("lane"),
    )


# The board's reads, each built and compiled once per connection (kat_clinic/compiled_query.py):
# the front desk's board is read all day long, and compiling them cost about as much as running them.
@functools.cache
def _board_sessions(text_years: tuple[int, int] | None, written: bool = False) -> Prepared:
    """The day's sessions: `_BOARD_LEADING`, their staff (as JSON text), whether each is late (not
    checked in and its start before `Param("now")`), the flags of `board_flags.FLAGS` as the apps
    above judge them, then `_BOARD_COLUMNS` (the times by `_board_time`) or, `written`, those as
    the JSON text of `_board_head`."""

    def build():
        if written:
            rest = [_board_head(text_years)]
        else:
            rest = [_board_time(c, text_years) if c in _BOARD_TIMES else F(c) for c in _BOARD_COLUMNS]
        late = ExpressionWrapper(Q(status=Session.Status.SCHEDULED, starts_at__lt=Param("now")), BooleanField())
        sessions, flags = board_flags.with_flags(
            Session.objects.filter(
                clinic_id=Param("clinic"),
                block_starts_at__gt=Param("earliest_start"),
                block_starts_at__lt=Param("end"),
                block_ends_at__gt=Param("start"),
            )
        )
        return sessions.order_by("block_starts_at", "pk").values_list(
            *_BOARD_LEADING, _board_staff(), late, *flags, *rest
        )

    return Prepared(build)


_BOARD_ROOMS = Prepared(
    lambda: Room.objects.filter(clinic_id=Param("clinic"), active=True).order_by("name", "pk").values_list("pk", "name")
)
# The same rooms with the clinic: by name alone, which is unique per clinic (room_unique_name_per_clinic).
# Of the clinic itself, only what the board reads: its id and time zone.
_BOARD_CLINIC = Prepared(
    lambda: (
        Clinic.objects.filter(pk=Param("pk"))
        .only("id", "timezone")
        .annotate(
            board_rooms=json_rows(
                Room.objects.filter(clinic_id=OuterRef("pk"), active=True), "name", id=F("pk"), name=F("name")
            )
        )
    )
)


def board_clinic(*, clinic_id: int) -> Clinic | None:
    """One clinic by its id (its time zone, the rest deferred) with its active rooms in the board's
    order, in one statement: the board's first read (`day_board` reads the rooms apart for a clinic
    read any other way)."""
    return _BOARD_CLINIC.first(pk=clinic_id)


# The active sessions of the integration steps linked to `planned` dosing steps, or of `dosing` steps:
# one list of planned steps (those linked, found by their index, then the dosing steps), matched by
# the sessions' own index. (An OR across the join to the planned steps read every planned step of
# every clinic: 140 ms at scale 10 on a day of program sessions.)
@functools.cache
def _board_partners(text_years: tuple[int, int] | None) -> Prepared:
    return Prepared(
        lambda: (
            Session.objects.filter(
                active=True,
                planned_session_id__in_array=Func(
                    ArraySubquery(
                        PlannedSession.objects.filter(linked_dosing_id__in_array=ParamIds("planned")).values("pk")
                    ),
                    ParamIds("dosing"),
                    template="(%(expressions)s)",
                    arg_joiner=" || ",
                    output_field=ArrayField(BigIntegerField()),
                ),
            )
            .values("id", "kind", "status", "planned_session_id", "planned_session__linked_dosing_id")
            .annotate(starts_at_written=_board_time("starts_at", text_years))
            .order_by("starts_at", "id")
        )
    )


def day_board(
    *,
    clinic: Clinic,
    day: dt.date,
    now: dt.datetime | None = None,
    text_years: tuple[int, int] | None = None,
    written: bool = False,
) -> dict:
    """The clinic's sessions of one local day, grouped by room and by staff member, with flags.

    Three queries at most whatever the day's size: sessions (with patient, planned session, their
    staff written by PostgreSQL as JSON text, whether each is late, and the flags the apps above
    judge in the same statement: `board_flags`), the clinic's rooms (none for a clinic read by
    `board_clinic`, which holds them), and the sessions linked to the day's program sessions (a
    dosing session and its integration sessions), when there are any; and those of any app that
    answers flags in Python (`signals.day_board_flags`). Rows are read as tuples, not model
    instances: a busy board has hundreds of sessions and assignments.

    Times are datetimes, or with `text_years` the text the API writes of a UTC time (`UtcIsoText`,
    '' outside those years). With `written` as well, each session is a `WrittenSession`, most of it
    JSON text written by PostgreSQL, for the API's writer (`sessions.api.board`), on a day whose
    sessions' times all lie in those years (on another, the sessions are as without it). The board
    is read by its caller once: it is built to be written in place, each session with its own lists.
    """
    now = now or timezone.now()
    rows = []
    if BOARD_FIRST_DAY <= day <= BOARD_LAST_DAY:
        start, end = local_day_bounds(clinic, day)
        earliest_start = start - MAX_BLOCK
        # Every session of the day starts after `earliest_start` and ends before `end + MAX_BLOCK`:
        # written where both lie in the years whose UTC times PostgreSQL writes.
        written = (
            written
            and text_years[0] <= earliest_start.astimezone(dt.UTC).year
            and (end + MAX_BLOCK).astimezone(dt.UTC).year <= text_years[1]
        )
        bounds = {"earliest_start": earliest_start, "start": start, "end": end}
        rows = list(_board_sessions(text_years, written).bind(clinic=clinic.pk, now=now, **bounds))
    else:
        # Nothing is ever booked this far out (bookings are refused in the past and limited to this
        # century), and the date arithmetic near the calendar's ends would overflow.
        written = False
    written_rooms = getattr(clinic, "board_rooms", None)
    if written_rooms is None:
        rooms = list(_BOARD_ROOMS.bind(clinic=clinic.pk))
    else:
        rooms = [(room["id"], room["name"]) for room in orjson.loads(written_rooms)]
    linked = _linked_sessions([(r[0], r[6], r[7]) for r in rows], text_years)
    answered = _answered_flags(rows, now)
    by_room: dict[int, list[int]] = {pk: [] for pk, _name in rooms}
    by_staff: dict[int, dict] = {}
    items = []
    for pk, patient_id, kind, room_id, active, late_cancel, _planned, _dosing, staff_json, late, *flagged in rows:
        missing, ride, authorization, *rest = flagged
        if room_id is not None:
            by_room.setdefault(room_id, []).append(pk)
        staff = orjson.loads(staff_json) if active or not written else None
        if active:
            for a in staff:
                entry = by_staff.get(a["staff"])
                if entry is None:
                    entry = by_staff[a["staff"]] = {"staff": a["staff"], "name": a["name"], "sessions": []}
                entry["sessions"].append(pk)
        flags = {"prerequisite_missing": missing, "ride_not_confirmed": ride, "authorization": authorization}
        if answered and pk in answered:
            flags.update(answered[pk])
        if written:
            items.append(
                WrittenSession(pk, patient_id, rest[0], staff_json, linked.get(pk, []), flags, late, late_cancel)
            )
        else:
            items.append(_board_item(pk, patient_id, kind, room_id, late_cancel, staff, late, rest, linked, flags))
    names = dict(rooms)
    return {
        "clinic": clinic.pk,
        "date": day,
        "timezone": clinic.timezone,
        "sessions": items,
        "by_room": [{"room": rid, "name": names.get(rid, ""), "sessions": ids} for rid, ids in by_room.items()],
        "by_staff": sorted(by_staff.values(), key=lambda e: e["name"]),
        "written": written,
    }


def _board_item(pk, patient_id, kind, room_id, late_cancel, staff, late, rest, linked, flags) -> dict:
    """A board session as `DayBoardSessionSerializer` reads it."""
    first_name, last_name, status, starts_at, ends_at, block_starts_at, block_ends_at, telehealth = rest
    return {
        "id": pk,
        "patient": {"id": patient_id, "name": f"{first_name} {last_name}"},
        "kind": kind,
        "status": status,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "block_starts_at": block_starts_at,
        "block_ends_at": block_ends_at,
        "room": room_id,
        "telehealth": telehealth,
        "staff": staff,
        "linked": linked.get(pk, []),
        "flags": {
            # Not checked in and the start has passed (judged in the sessions' query).
            "late": late,
            "late_cancel": late_cancel,
            # Judged by charting (`board_flags`) or answered by another app
            # (`signals.day_board_flags`); None means "not known here", never "all clear".
            "prerequisite_missing": flags.get("prerequisite_missing"),
            "ride_not_confirmed": flags.get("ride_not_confirmed"),
        },
        # The prior authorization's status only (active, missing, not_required), no detail.
        "authorization": flags.get("authorization"),
    }


def _answered_flags(rows: list[tuple], now: dt.datetime) -> dict[int, dict]:
    """The flags the apps above answer in Python (`signals.day_board_flags`) of the board's
    sessions' rows, merged per session (those judged in the statement are `board_flags`')."""
    if not rows or not signals.day_board_flags.has_listeners(sender=Session):
        return {}
    sessions = [BoardSession(row[0], row[2]) for row in rows]
    sent = signals.day_board_flags.send(sender=Session, sessions=sessions, now=now)
    answers = [answer for _receiver, answer in sent if answer]
    if len(answers) == 1:
        return answers[0]  # (read only: one app's answer needs no merging)
    merged: dict[int, dict] = {}
    for answer in answers:
        for session_id, flags in answer.items():
            merged.setdefault(session_id, {}).update(flags)
    return merged


def _linked_sessions(
    sessions: list[tuple[int, int | None, int | None]], text_years: tuple[int, int] | None
) -> dict[int, list[dict]]:
    """Per session: the active bookings of its program partners (a dosing session's integration
    sessions, an integration session's dosing session), whatever day they fall on.

    `sessions` holds (session id, planned session id, the planned session's linked dosing id)."""
    planned = {planned_id: pk for pk, planned_id, _dosing in sessions if planned_id is not None}
    if not planned:
        return {}
    dosing_of = {
        planned_id: dosing_id
        for _pk, planned_id, dosing_id in sessions
        if planned_id is not None and dosing_id is not None
    }
    partners = _board_partners(text_years).bind(planned=list(planned), dosing=list(dosing_of.values()))
    out: dict[int, list[dict]] = {}
    for p in partners:
        item = {"id": p["id"], "kind": p["kind"], "status": p["status"], "starts_at": p["starts_at_written"]}
        # p is an integration of one of the day's dosing sessions ...
        dosing = planned.get(p["planned_session__linked_dosing_id"])
        if dosing is not None and dosing != p["id"]:
            out.setdefault(dosing, []).append(item)
        # ... or the dosing session of one of the day's integration sessions (each list its own
        # copy: the response writer converts them in place).
        for planned_id, dosing_id in dosing_of.items():
            if dosing_id == p["planned_session_id"] and planned[planned_id] != p["id"]:
                out.setdefault(planned[planned_id], []).append(dict(item))
    return out
