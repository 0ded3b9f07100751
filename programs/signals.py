"""What programs announce to the apps above them.

Sent synchronously inside the caller's transaction: a receiver's writes commit with the cause, and
a receiver's exception rolls the cause back. Receivers are connected in the upper app's
`AppConfig.ready()` (today: `followups`, which plans rating-scale requests and withdraws them).
"""

from __future__ import annotations

from django.dispatch import Signal

# An enrollment was created with its planned sessions. kwargs: enrollment: Enrollment.
enrollment_created = Signal()

# An enrollment was completed or withdrawn; its sessions still to book are cancelled.
# kwargs: enrollment: Enrollment.
enrollment_closed = Signal()
