"""Helpers of the webhook tests (fixtures in conftest.py): the events, a Monday to book on, and a
dispatcher pass run in the test's own thread (claim, then deliver each claim, as the worker would)."""

from __future__ import annotations

import datetime as dt

from followups.engine import followup_deliver, followups_claim_due

ALL_EVENTS = ["session.booked", "session.cancelled", "session.completed", "alert.raised", "scale.completed"]
# A Monday in the future for the life of this code, outside DST changes.
MONDAY = dt.date(2027, 6, 7)


def deliver_due(now: dt.datetime | None = None) -> list[str]:
    """One dispatcher pass in this thread: what each claimed row's delivery answered."""
    return [followup_deliver(followup_id=pk, claim=claim, now=now) for pk, claim in followups_claim_due(now=now)]
