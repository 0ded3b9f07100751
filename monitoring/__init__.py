"""Clinical charting and monitoring: the patient's record behind the pre-dose gate, session notes
frozen once signed, dosing with its maths and caps, vitals with safety thresholds and alerts,
rating scales, discharge criteria and the esketamine REMS monitoring form.

Entry points other apps use: `monitoring.scales.score` (pure scoring),
`monitoring.services.scales.scale_response_record`, `monitoring.services.gate.gate_unmet`,
`discharge_unmet` and `session_discharge_check` (called before a session is completed).
"""
