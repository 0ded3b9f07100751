"""What scheduling announces to the apps above it.

Sent synchronously inside the caller's transaction: a receiver's writes commit with the cause, and
a receiver's exception rolls the cause back (that is how charting refuses a completion). Receivers
are connected in the upper apps' `AppConfig.ready()`: `followups` plans and withdraws follow-ups,
`monitoring` checks the discharge criteria.
"""

from __future__ import annotations

from django.dispatch import Signal

# A session was booked, or booked again at a new time. kwargs: session: Session.
session_booked = Signal()

# A whole program was booked in one call: new bookings only, announced once for all of them.
# kwargs: sessions: list[Session].
program_booked = Signal()

# A booking was cancelled, marked no-show or moved away: it no longer takes place.
# kwargs: session: Session.
session_released = Signal()

# A session in progress is about to be completed. A receiver refuses by raising (a domain error);
# nothing is written then. kwargs: session: Session (locked).
session_completing = Signal()

# A session was completed (the transition happened, once). kwargs: session: Session.
session_completed = Signal()

# Asked by the day board (`sessions.selectors.day_board`) for the flags scheduling cannot know, of
# an app answering them in Python (charting judges its own in the board's statement:
# `sessions.board_flags`). kwargs: sessions: list[BoardSession], now: datetime. A receiver answers
# {session id: {flag: value}} (`prerequisite_missing`, `ride_not_confirmed`, `authorization`) in a
# fixed number of queries, whatever the number of sessions; its answers are merged over those of
# the statement, and a flag nobody judges is None ("not known here").
day_board_flags = Signal()
