"""Configuring a clinic's webhook endpoints: create, change, rotate the secret, delete. Atomic.

A URL is refused unless it resolves to public addresses only (`targets.resolve_target`), here and
again at every delivery. The secret is returned by create and rotate, and never read out again by
the API.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from followups.models import FollowUp
from interop.models import WebhookEndpoint, WebhookEvent
from interop.webhooks.signing import secret_generate
from interop.webhooks.targets import TargetRefused, resolve_target
from kat_clinic.errors import RuleViolation

MAX_GRACE_HOURS = 7 * 24


def webhook_url_check(url: str) -> None:
    """Refuse (422 on `url`) a URL that is not https or resolves to a non-public address."""
    try:
        resolve_target(url)
    except TargetRefused as exc:
        raise RuleViolation(str(exc), code="webhook_target_refused", errors={"url": [str(exc)]})


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if not events or unknown:
        message = f"Unknown events: {', '.join(unknown)}." if unknown else "Subscribe to at least one event."
        raise RuleViolation(message, code="invalid", errors={"events": [message]})
    # Kept in the catalogue's order, each once.
    return [e for e in WebhookEvent.values if e in set(events)]


@transaction.atomic
def webhook_endpoint_create(
    *, clinic, url: str, events: list[str], by, description: str = "", active: bool = True
) -> WebhookEndpoint:
    """A new endpoint with a fresh signing secret (on the returned object: show it once)."""
    webhook_url_check(url)
    return WebhookEndpoint.objects.create(
        clinic=clinic,
        url=url,
        events=_check_events(events),
        description=description,
        active=active,
        secret=secret_generate(),
        created_by=by,
    )


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **fields) -> WebhookEndpoint:
    """Change the URL, events, description or switch it on or off. Rows not delivered yet go to
    the new URL; switching an endpoint off cancels them at delivery."""
    if "url" in fields and fields["url"] != endpoint.url:
        webhook_url_check(fields["url"])
    if "events" in fields:
        fields["events"] = _check_events(fields["events"])
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.save(update_fields=list(fields) or None)
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, grace_hours: int = 24, now: dt.datetime | None = None
) -> WebhookEndpoint:
    """Issue a new secret. The one it replaces keeps signing (beside the new one) for `grace_hours`,
    so the receiver can switch without a failed delivery; 0 retires it at once."""
    if not 0 <= grace_hours <= MAX_GRACE_HOURS:
        message = f"The grace period is 0 to {MAX_GRACE_HOURS} hours."
        raise RuleViolation(message, code="invalid", errors={"grace_hours": [message]})
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if grace_hours:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + dt.timedelta(hours=grace_hours)
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = "", None
    endpoint.secret = secret_generate()
    endpoint.secret_rotated_at = now
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "secret_rotated_at"])
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> int:
    """Delete the endpoint and cancel its deliveries still to go; returns how many were cancelled."""
    cancelled = FollowUp.objects.filter(
        kind=FollowUp.Kind.WEBHOOK, payload__endpoint_id=endpoint.pk, status__in=FollowUp.OPEN_STATUSES
    ).update(status=FollowUp.Status.CANCELLED, cancelled_at=timezone.now(), last_error="webhook endpoint deleted")
    endpoint.delete()
    return cancelled
