"""What charting announces to the apps above it (the controlled-substance ledger).

Sent synchronously inside the caller's transaction: a receiver's writes commit with the cause and
its exception rolls the cause back. Receivers connect in their app's `AppConfig.ready()`.
"""

from __future__ import annotations

from django.dispatch import Signal

# A dose was marked entered in error (the row is kept, left out of every calculation).
# kwargs: dose: DoseAdministration, by: StaffMember, reason: str.
dose_entered_in_error = Signal()
