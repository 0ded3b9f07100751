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

# Sent by `monitoring.services.alerts.alerts_raise` inside the raising transaction, with the alerts
# of the call not notified yet (new ones, or ones raised again before their notification ran):
# receivers dedupe by alert id. Arguments: alerts (list[Alert]).
alerts_raised = Signal()

# Sent by `monitoring.services.scales.scale_response_record` once the scored response is written,
# inside its transaction. Arguments: response (ScaleResponse).
scale_response_recorded = Signal()
