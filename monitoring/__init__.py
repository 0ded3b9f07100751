"""Clinical charting and monitoring: the patient's record behind the pre-dose gate, session notes
frozen once signed, dosing with its maths and caps, vitals with safety thresholds and alerts,
rating scales, discharge criteria and the esketamine REMS monitoring form.

Entry points other apps use: `monitoring.scales.score` (pure scoring),
`monitoring.services.scales.scale_response_record`, `monitoring.services.gate.session_discharge_check`
(called before a session is completed), `monitoring.services.alerts.alerts_raise` (integration care
raises check-in alerts through it), and the reads `monitoring.selectors.gate.gate_unmet` and
`discharge_unmet`. Announces in `monitoring.signals`: dose_recorded, dose_entered_in_error,
alerts_raised, alert_acknowledged, scale_response_recorded (the follow-up engine routes and escalates alerts).

Layout: `services/` holds the writes (keyword-only, atomic), `selectors/` the reads (querysets with
their joins, the gate and discharge checklists, a clinic's thresholds, caps and policy, scale trends,
a session's chart, a patient's timeline), `api/views/` and `api/serializers/` one module per area.
"""
