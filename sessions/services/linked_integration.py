"""What happens to a dosing session's booked integration when the dosing does not take place.

An integration session follows *its* dosing; when the dosing is cancelled or marked no-show the
caller says what to do with it, and the answer states the choice and the default:
- `cancel` (the default): the integration's booking is cancelled too, its planned session goes
  back to be booked with the dosing's next booking;
- `keep`: the integration stays booked (the therapist still sees the patient).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from kat_clinic.models import StaffMember
from sessions.models import Session


class LinkedIntegration(models.TextChoices):
    CANCEL = "cancel", "Cancel it too"
    KEEP = "keep", "Keep it booked"


DEFAULT_LINKED_INTEGRATION = LinkedIntegration.CANCEL


def linked_integrations_of(dosing: Session) -> list[Session]:
    if not dosing.planned_session_id:
        return []
    return list(
        Session.objects.filter(planned_session__linked_dosing_id=dosing.planned_session_id, active=True)
        .exclude(status__in=[Session.Status.COMPLETED, Session.Status.IN_PROGRESS])
        .order_by("starts_at")
    )


def linked_integrations_settle(*, dosing: Session, choice: str | None, by: StaffMember | None, cause: str) -> dict:
    """Apply `choice` (None: the default) to the dosing's booked integrations, in the caller's
    transaction; return what was done, for the response."""
    # Imported here: status imports this module.
    from sessions.services.status import session_cancel

    chosen = choice or DEFAULT_LINKED_INTEGRATION
    followers = linked_integrations_of(dosing)
    tz = dosing.clinic.tz
    done = []
    for follower in followers:
        if chosen == LinkedIntegration.CANCEL:
            follower = session_cancel(
                session_id=follower.pk, by=by, reason=f"Its dosing session was {cause}.", now=timezone.now()
            )
        done.append(
            {
                "id": follower.pk,
                "status": follower.status,
                "starts_at": timezone.localtime(follower.starts_at, tz).isoformat(),
            }
        )
    return {
        "choice": str(chosen),
        "default": str(DEFAULT_LINKED_INTEGRATION),
        "chosen_by_default": choice is None,
        "choices": [c.value for c in LinkedIntegration],
        "sessions": done,
    }
