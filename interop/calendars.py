"""iCalendar feeds per staff member and per room, behind a private revocable token.

Calendar services hold no business associate agreement, so an event carries the session kind, the
room and the time, and no patient identifier, unless the clinic opted in to initials.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from icalendar import Calendar, Event

from interop.models import CalendarFeed, InteropSettings
from kat_clinic.access.scoping import can
from kat_clinic.errors import NotAllowed, RuleViolation
from kat_clinic.models import Clinic, Room, StaffMember, User
from sessions.models import Session, StaffAssignment

PAST = dt.timedelta(days=30)
AHEAD = dt.timedelta(days=180)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_issue(
    *, clinic: Clinic, by: User, staff: StaffMember | None = None, room: Room | None = None
) -> tuple[CalendarFeed, str]:
    """A new feed and its token (shown once). An active feed for the same calendar is revoked:
    issuing again is how a leaked URL is replaced."""
    if (staff is None) == (room is None):
        raise RuleViolation(
            "Name either a staff member or a room.", code="feed_target", errors={"staff": ["Name one."]}
        )
    if room is not None:
        if room.clinic_id != clinic.pk:
            raise RuleViolation("The room is not at this clinic.", code="feed_target", errors={"room": ["Not here."]})
        if not can(by, "calendar.room_feed", clinic.pk):
            raise NotAllowed("Only admins and the front desk issue room calendars.")
    if staff is not None:
        if not staff.memberships.filter(clinic=clinic, active=True).exists():
            raise RuleViolation(
                "The staff member does not work here.", code="feed_target", errors={"staff": ["Not here."]}
            )
        if staff.user_id != by.pk and not can(by, "calendar.room_feed", clinic.pk):
            raise NotAllowed("You may issue only your own calendar.")
    current = CalendarFeed.objects.select_for_update().filter(clinic=clinic, revoked_at__isnull=True)
    current = current.filter(staff=staff) if staff is not None else current.filter(room=room)
    current.update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        clinic=clinic, staff=staff, room=room, created_by=by, token_sha256=token_hash(token)
    )
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed) -> bool:
    """Revoke the feed; False if it already was. Safe to call twice."""
    return bool(CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()))


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    return (
        CalendarFeed.objects.filter(token_sha256=token_hash(token), revoked_at__isnull=True)
        .select_related("clinic", "staff", "room")
        .first()
    )


def feed_sessions(feed: CalendarFeed) -> list[tuple[Session, dt.datetime, dt.datetime]]:
    """(session, busy from, busy until) for the feed's calendar, a month back and six months ahead."""
    now = timezone.now()
    window = Q(block_starts_at__gte=now - PAST, block_starts_at__lt=now + AHEAD)
    if feed.room_id:
        sessions = Session.objects.filter(window, room_id=feed.room_id, active=True)
        sessions = sessions.select_related("room", "patient").order_by("block_starts_at", "pk")
        return [(s, s.block_starts_at, s.block_ends_at) for s in sessions]
    assignments = (
        StaffAssignment.objects.filter(staff_id=feed.staff_id, active=True, session__clinic_id=feed.clinic_id)
        .filter(starts_at__gte=now - PAST, starts_at__lt=now + AHEAD)
        .select_related("session__room", "session__patient")
        .order_by("starts_at", "pk")
    )
    return [(a.session, a.starts_at, a.ends_at) for a in assignments]


def feed_ics(feed: CalendarFeed, rows: list[tuple[Session, dt.datetime, dt.datetime]]) -> bytes:
    settings = InteropSettings.objects.filter(clinic_id=feed.clinic_id).first()
    initials = bool(settings and settings.calendar_shows_initials)
    calendar = Calendar()
    calendar.add("prodid", "-//KAT Clinic//Calendar feed//EN")
    calendar.add("version", "2.0")
    name = str(feed.room.name) if feed.room_id else str(feed.staff)
    calendar.add("x-wr-calname", f"{feed.clinic.name}: {name}")
    stamp = timezone.now()
    for session, begins, ends in rows:
        event = Event()
        event.add("uid", f"session-{session.pk}@kat-clinic")
        event.add("dtstamp", stamp)
        event.add("dtstart", begins)
        event.add("dtend", ends)
        summary = session.get_kind_display()
        if initials:
            summary += f" ({session.patient.first_name[:1]}.{session.patient.last_name[:1]}.)"
        if session.room_id:
            summary += f" - {session.room.name}"
            event.add("location", session.room.name)
        elif session.telehealth:
            summary += " - telehealth"
        event.add("summary", summary)
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
