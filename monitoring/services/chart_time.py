"""When a clinical event may be charted: at most the clinic's clock skew into the future, and inside
the session's booked block widened by the clinic's stated margin (`ChartingPolicy`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from kat_clinic.errors import RuleViolation
from monitoring.models import ChartingPolicy
from monitoring.selectors.policy import policy_for
from sessions.models import Session


def chart_time_check(
    *,
    session: Session,
    at: datetime | None,
    field: str,
    now: datetime | None = None,
    policy: ChartingPolicy | None = None,
) -> None:
    """422 with a message on `field` when `at` is too far in the future or outside the session's time.

    `policy` is the clinic's charting policy when the caller has it (a batch checks every reading
    against one read of it)."""
    if at is None:
        return
    policy = policy or policy_for(session.clinic_id)
    now = now or timezone.now()
    skew = timedelta(minutes=policy.clock_skew_minutes)
    if at > now + skew:
        raise RuleViolation(
            "A clinical event cannot be charted in the future.",
            code="charted_in_future",
            errors={field: [f"More than {policy.clock_skew_minutes} min after now."]},
        )
    margin = timedelta(minutes=policy.session_margin_minutes)
    earliest, latest = session.block_starts_at - margin, session.block_ends_at + margin
    if not earliest <= at <= latest:
        zone = session.clinic.tz
        raise RuleViolation(
            "The time is outside the session's booked block and its margin.",
            code="outside_session_time",
            errors={
                field: [
                    f"Must fall between {timezone.localtime(earliest, zone):%Y-%m-%d %H:%M} and "
                    f"{timezone.localtime(latest, zone):%Y-%m-%d %H:%M} (the booked block ± "
                    f"{policy.session_margin_minutes} min)."
                ]
            },
        )
