"""What integration care announces to the apps above it (`followups`).

A check-in that signals risk announces nothing here: it raises a clinical alert through charting
(`monitoring.services.alerts.alerts_raise`), which announces it (`monitoring.signals.alerts_raised`).

Sent synchronously inside the caller's transaction: a receiver's writes commit with the cause, and
a receiver's exception rolls the cause back. Receivers are connected in the upper app's
`AppConfig.ready()`.
"""

from __future__ import annotations

from django.dispatch import Signal

# A patient opened or answered a check-in link that a follow-up carried.
# kwargs: followup_id: int, patient_id: int | None (only a follow-up about this patient counts),
# lock: bool (lock the follow-up's row until the transaction ends).
# A receiver that knows the follow-up returns the rating scale it asks for ("" for none); the link
# is refused when no receiver does.
checkin_link_followed = Signal()
