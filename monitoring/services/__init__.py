"""Charting write paths, split by area. Import from the submodules (monitoring.services.notes...).

`session_discharge_check` is the guard run before a session is completed; the gate and discharge reads
are re-exported from `monitoring.selectors.gate` for callers that know them by this path."""

from monitoring.selectors.gate import discharge_unmet, gate_unmet
from monitoring.services.gate import session_discharge_check

__all__ = ["discharge_unmet", "gate_unmet", "session_discharge_check"]
