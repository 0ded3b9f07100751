"""Charting write paths, split by area. Import from the submodules (monitoring.services.notes...)."""

from monitoring.services.gate import discharge_unmet, gate_unmet, session_discharge_check

__all__ = ["discharge_unmet", "gate_unmet", "session_discharge_check"]
