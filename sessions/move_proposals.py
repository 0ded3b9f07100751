"""Move proposals: where a dosing session and its booked integration(s) could go together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from sessions.availability import Placement, placement_is_free, placement_lanes, placement_violations
from sessions.calendar_loading import calendar_load
from sessions.models import Session
from sessions.placement import Option, Preferences, first_fit, hold_option, slot_grid
from sessions.program_rules import planned_shape, program_context_load


def dosing_move_proposal(
    *,
    dosing: Session,
    starts_at: dt.datetime,
    room_id: int | None,
    staff_ids: Sequence[int],
    now: dt.datetime | None = None,
) -> list[dict] | None:
    """Moves for a dosing session and its booked integration(s) that keep every integration inside
    its window after the dosing's new time, or None when the window has no free slot.

    Each move: {"session": id, "starts_at", "room", "staff": [{role, mode, staff}], "telehealth"}.
    """
    now = now or timezone.now()
    clinic = dosing.clinic
    tz = clinic.tz
    followers = list(
        Session.objects.filter(planned_session__linked_dosing_id=dosing.planned_session_id, active=True)
        .select_related("planned_session")
        .order_by("starts_at")
    )
    moving = [dosing.pk, *(f.pk for f in followers)]
    ctx = program_context_load(enrollment=dosing.enrollment, exclude_session_ids=moving)
    shape = planned_shape(ctx.planned[dosing.planned_session_id], telehealth=dosing.telehealth)
    block_end = starts_at + shape.block
    widest = max(
        (p.window_max or dt.timedelta(days=7) for p in (f.planned_session for f in followers)), default=dt.timedelta(0)
    )
    cal = calendar_load(
        clinic=clinic,
        start=starts_at,
        end=block_end + widest + dt.timedelta(days=1),
        patient_ids=[dosing.patient_id],
        exclude_session_ids=moving,
    )
    placement = Placement(starts_at=starts_at, room_id=room_id, staff_ids=tuple(staff_ids))
    if placement_violations(cal, shape, placement) or not placement_is_free(cal, shape, placement, dosing.patient_id):
        return None  # the dosing's own move is refused anyway: nothing worth proposing
    lanes = placement_lanes(cal, shape, placement)
    hold_option(cal, Option(placement, shape, 0, lanes), dosing.patient_id)
    ctx.place(dosing.planned_session_id, starts_at, block_end, None)
    moves = [{"session": dosing.pk, **Option(placement, shape, 0, lanes).as_dict(tz)}]
    slot = cal.slot
    for follower in followers:
        planned = ctx.planned[follower.planned_session_id]
        low = block_end + (planned.window_min or dt.timedelta(0))
        high = block_end + (planned.window_max or dt.timedelta(days=7)) + slot
        grid = slot_grid(cal, max(low, now), high, slot)
        f_shape = planned_shape(planned, telehealth=follower.telehealth)
        option, _ = first_fit(
            cal=cal,
            ctx=ctx,
            planned=planned,
            shape=f_shape,
            patient_id=dosing.patient_id,
            grid=grid,
            prefs=Preferences(room_ids=frozenset({follower.room_id} if follower.room_id else set())),
            accept=lambda t: True,
        )
        if option is None:
            return None
        hold_option(cal, option, dosing.patient_id)
        ctx.place(planned.pk, option.placement.starts_at, option.placement.starts_at + f_shape.block, None)
        moves.append({"session": follower.pk, **option.as_dict(tz)})
    return moves
