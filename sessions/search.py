"""Availability search: feasible options (start, room, staff) for one session, best first.

Tries candidate starts on the clinic's slot grid, earliest first, against a calendar read a few
days at a time (`search_passes`: two statements for the first pass, one for each later one, which
reads only what depends on its range; at most three passes however long the range): most searches
find their answer within the first days, and the bookings of the rest of the range are then never
read. Preferences only rank here: every feasible option is eligible, those matching more
preferences first, then the earliest.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kat_clinic.errors import RuleViolation
from kat_clinic.models import Clinic, Patient
from programs.models import PlannedSession
from sessions.availability import Need, Shape
from sessions.calendar_loading import calendar_load
from sessions.placement import NO_PREFERENCES, Finder, Option, Preferences, slot_starts
from sessions.program_rules import planned_shape, program_context_load, program_violations
from sessions.timeutil import local_to_aware

MAX_SEARCH_DAYS = 62
# The local days of the first pass, then of the second; the third reads the rest of the range.
# A search of a week, the front desk's commonest, is one pass: a fixed number of statements
# whatever the data (on the bench's busy weeks, a first pass of a few days was followed by a
# second as often as not, and saved about 3 % of the instructions where it was not).
PASS_DAYS = (9, 21)


def _check_range(date_from: dt.date, date_to: dt.date) -> None:
    if date_to < date_from or (date_to - date_from).days > MAX_SEARCH_DAYS:
        raise RuleViolation(
            f"Search between 1 and {MAX_SEARCH_DAYS} days.",
            code="search_range",
            errors={"date_to": [f"Must be on or after date_from and at most {MAX_SEARCH_DAYS} days later."]},
        )


def availability_search(
    *,
    clinic: Clinic,
    patient: Patient,
    shape: Shape,
    date_from: dt.date,
    date_to: dt.date,
    prefs: Preferences = NO_PREFERENCES,
    planned: PlannedSession | None = None,
    limit: int = 10,
    now: dt.datetime | None = None,
) -> list[dict]:
    """Feasible options (start, room, staff) between two local dates inclusive, best first.

    Every rule of booking holds for each option (availability, licences, rooms, program rules of
    `planned`). At most a dozen queries, whatever the range.
    """
    _check_range(date_from, date_to)
    now = now or timezone.now()
    tz = clinic.tz
    start = max(local_to_aware(date_from, dt.time(0), tz), now)
    end = local_to_aware(date_to + dt.timedelta(days=1), dt.time(0), tz)
    ctx = program_context_load(enrollment=planned.enrollment) if planned is not None else None
    # The answer is the first `limit` options by (best score, earliest start), and the grid runs
    # from the earliest start on: once `limit` options score the best any can, no later start can
    # enter the answer, so the rest of the range is not tried, nor its calendar read. (Without
    # preferences every option scores that best: the search stops at the `limit`-th option that fits.)
    at_best = 0
    options: list[Option] = []
    basis = None  # after the first pass, what it read that does not depend on the range
    for pass_start, pass_end in search_passes(start, end, tz):
        # A pass's calendar holds every block of the shape starting in it (to its end and a block).
        cal = calendar_load(
            clinic=clinic,
            start=pass_start,
            end=pass_end + shape.block,
            patient_ids=[patient.pk],
            shape=shape,
            basis=basis,
        )
        basis = cal.basis
        finder = Finder(cal, shape, patient.pk, prefs)
        best = finder.best_possible_score()
        for t in finder.starts_within_windows(slot_starts(cal, pass_start, pass_end, cal.slot)):
            if ctx is not None and program_violations(ctx, planned, t, t + shape.block, telehealth=shape.telehealth):
                continue
            option = finder.place(t)
            if option is not None:
                options.append(option)
                at_best += option.score == best
                if at_best >= limit:
                    break
        if at_best >= limit:
            break
    options.sort(key=lambda o: (-o.score, o.placement.starts_at))
    return [o.as_dict(tz) for o in options[:limit]]


def search_passes(start: dt.datetime, end: dt.datetime, tz) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) cut at local midnights into the search's passes: the first `PASS_DAYS[0]` local
    days from the day of `start`, the next `PASS_DAYS[1]`, then the rest (fewer where the range ends
    sooner). Cut at midnight, each pass's grid is the whole range's (the grid starts each local day
    at midnight)."""
    cuts, day = [], start.astimezone(tz).date()
    for days in PASS_DAYS:
        day += dt.timedelta(days=days)
        cut = local_to_aware(day, dt.time(0), tz)
        if cut >= end:
            break
        cuts.append(cut)
    bounds = [start, *cuts, end]
    return list(zip(bounds, bounds[1:], strict=False))


def search_shape(
    *,
    clinic: Clinic,
    patient: Patient,
    planned: PlannedSession | None,
    telehealth: bool,
    kind: str | None = None,
    session_minutes: int | None = None,
    block_minutes: int | None = None,
    needs: list[tuple[str, str]] = (),
    room_kind: str = "",
    room_capability: str = "",
) -> Shape:
    """What to search for: a planned session's shape (its step), or an ad-hoc one from its parts,
    each need spanning the whole block. 422 when the planned session is another patient's or clinic's."""
    if planned is not None:
        if planned.enrollment.clinic_id != clinic.pk or planned.enrollment.patient_id != patient.pk:
            raise RuleViolation(
                "The planned session belongs to another patient or clinic.",
                code="planned_session_mismatch",
                errors={"planned_session": ["Not a planned session of this patient at this clinic."]},
            )
        return planned_shape(planned, telehealth=telehealth)
    block = dt.timedelta(minutes=block_minutes)
    return Shape(
        kind=kind,
        session_minutes=session_minutes,
        block_minutes=block_minutes,
        needs=tuple(Need(role, mode, dt.timedelta(0), block) for role, mode in needs),
        room_kind=room_kind,
        room_capability=room_capability,
        telehealth=telehealth,
    )
