"""Charting read paths, split by area: querysets for the endpoints (`querysets`), a session's chart and a
patient's timeline (`chart`), the pre-dose gate and discharge criteria (`gate`), a clinic's thresholds,
caps and policy (`policy`), scale trends (`scales`). Services import from the submodules; the views use
the names re-exported here."""

from __future__ import annotations

from monitoring.selectors.chart import chart_limits, patient_timeline, session_chart
from monitoring.selectors.gate import discharge_status, discharge_unmet, gate_status, gate_unmet
from monitoring.selectors.gate_queries import with_template_prerequisites
from monitoring.selectors.policy import with_charting_rules
from monitoring.selectors.querysets import (
    alert_list,
    chart_session_list,
    contraindication_screen_list,
    dose_list,
    note_any,
    note_list,
    override_list,
    patient_records,
    rems_form_list,
    scale_response_list,
    session_rows,
    vital_list,
    with_chart_plan,
    with_chart_rows_present,
)

__all__ = [
    "chart_limits",
    "alert_list",
    "chart_session_list",
    "contraindication_screen_list",
    "discharge_status",
    "discharge_unmet",
    "dose_list",
    "gate_status",
    "gate_unmet",
    "note_any",
    "note_list",
    "override_list",
    "patient_records",
    "patient_timeline",
    "rems_form_list",
    "scale_response_list",
    "session_chart",
    "session_rows",
    "vital_list",
    "with_chart_plan",
    "with_chart_rows_present",
    "with_charting_rules",
    "with_template_prerequisites",
]
