"""Integration care: integration plans, check-ins through signed links, the crisis path, the
on-call list and each clinic's alert policy (escalation minutes, the check-in review rule).
Depends on `kat_clinic`, `programs`, `sessions` and `monitoring` (its scale scorer; a check-in that
signals risk raises a clinical alert through `monitoring.services.alerts.alerts_raise`).

Entry points: `integration.services` (checkin_submit, checkin_link_context, integration_plan_update,
oncall_set), `integration.selectors` (alert_policy_for, ...), `integration.risk` (the review rule),
`integration.links` (signed check-in links), `integration.signals` (checkin_link_followed),
answered by `followups`.
"""
