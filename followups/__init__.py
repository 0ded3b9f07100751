"""The follow-up engine: outbox rows written in their cause's transaction, the dispatcher (beat),
delivery exactly once through channels (email, SMS, in-app; webhooks at least once, their provider
registered by `interop`), planners, staff acknowledgement and
the inbound SMS keywords. The top app: everything below announces through its `signals.py`, and
`followups.receivers` plans the follow-ups it means, in the same transaction.

Entry points: `followups.planners` (followups_plan_for_session, ...), `followups.engine`
(followups_dispatch, followup_deliver), `followups.tasks` (Celery names kept as
`integration.dispatch_followups` / `integration.deliver_followup`, stored in beat's rows),
`followups.services`, `followups.selectors`, `manage.py setup_beat`.
"""
