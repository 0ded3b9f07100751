"""What charting announces to the apps above it (see the architecture notes: signals, sent
synchronously inside the caller's transaction, so a receiver that raises rolls the cause back)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by `monitoring.services.dosing.dose_record` once the dose row is written, inside its
# transaction. Arguments: dose (DoseAdministration), by (StaffMember).
dose_recorded = Signal()

# Sent by `monitoring.services.corrections.chart_entry_mark_in_error` when a dose is marked entered
# in error (the row is kept, left out of every calculation), inside its transaction.
# Arguments: dose (DoseAdministration), by (StaffMember), reason (str).
dose_entered_in_error = Signal()

# Sent by `monitoring.services.alerts.alerts_raise` for each alert it inserted (never again for an
# alert raised earlier under the same dedupe key), inside the caller's transaction.
# Arguments: alert (Alert). The follow-up engine routes it to the care team and escalates it.
alert_raised = Signal()

# Sent by `monitoring.services.alerts.alert_acknowledge` when an open alert is acknowledged, inside
# its transaction. Arguments: alert (Alert), by (StaffMember). Escalation stops.
alert_acknowledged = Signal()
