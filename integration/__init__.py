"""Integration care: integration plans, check-ins through signed links, the crisis path and the
on-call list. Depends on `kat_clinic`, `programs`, `sessions` and `monitoring` (its scale scorer).

Entry points: `integration.services` (checkin_submit, checkin_link_context, integration_plan_update,
oncall_set), `integration.selectors`, `integration.links` (signed check-in links),
`integration.signals` (checkin_link_followed, checkin_risk_flagged), answered by `followups`.
"""
