"""Write paths for programs: templates (draft, publish, clone, retire), enrollments, planned sessions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from programs.models import PlannedSession


def _planned_session_move(*, planned_session: PlannedSession, from_statuses, to_status: str) -> bool:
    # A conditional UPDATE: two callers racing on the same row produce exactly one change.
    updated = PlannedSession.objects.filter(pk=planned_session.pk, status__in=from_statuses).update(
        status=to_status, status_changed_at=timezone.now()
    )
    if updated:
        planned_session.status = to_status
    return bool(updated)


@transaction.atomic
def planned_session_mark_booked(*, planned_session: PlannedSession) -> bool:
    """to_book -> booked. False (and no change) if it was not to be booked. Safe to call twice."""
    return _planned_session_move(
        planned_session=planned_session,
        from_statuses=[PlannedSession.Status.TO_BOOK],
        to_status=PlannedSession.Status.BOOKED,
    )


@transaction.atomic
def planned_session_mark_to_book(*, planned_session: PlannedSession) -> bool:
    """booked -> to_book, when its booking is cancelled. False if it was not booked. Safe to call twice."""
    return _planned_session_move(
        planned_session=planned_session,
        from_statuses=[PlannedSession.Status.BOOKED],
        to_status=PlannedSession.Status.TO_BOOK,
    )


@transaction.atomic
def planned_session_mark_completed(*, planned_session: PlannedSession) -> bool:
    """booked (or to_book, for a session charted without booking) -> completed. Safe to call twice."""
    return _planned_session_move(
        planned_session=planned_session,
        from_statuses=[PlannedSession.Status.BOOKED, PlannedSession.Status.TO_BOOK],
        to_status=PlannedSession.Status.COMPLETED,
    )
