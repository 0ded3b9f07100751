"""Outbound webhooks (Standard Webhooks): a clinic's admins configure endpoints; what happens in the
apps below is announced through their signals, and `receivers` writes one follow-up outbox row per
subscribed endpoint in the cause's transaction. The follow-up engine claims, leases and retries the
row like any other; `delivery.WebhookProvider`, registered for the "webhook" channel, signs and posts
it. At least once: an interrupted try is sent again with the same webhook-id, which receivers dedupe on.

Entry points: `services` (webhook_endpoint_create, _update, _rotate_secret, _delete), `targets`
(the SSRF checks and the pinned connection), `signing`, `receivers.connect`, `delivery`.
"""
