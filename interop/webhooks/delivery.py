"""The webhook channel's provider: sign one try of one message and POST it to the checked address.

Registered for the follow-up engine's "webhook" channel in `InteropConfig.ready()`. The engine hands
over the body (the same bytes on every try) and the stable webhook-id; each try gets its own
timestamp and signatures. A 2xx answer is a delivery; anything else (or no answer) is refused and
retried by the engine with backoff, under the same webhook-id. `lookup` answers False: after an
interrupted try the message is sent again (at least once; receivers dedupe on webhook-id).

Every try that reached the receiver is a disclosure: an audit row and a Disclosure row naming the
event's resource, the patient and the endpoint.
"""

from __future__ import annotations

import http.client
import json
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from followups.channels import OutboundMessage, Provider, ProviderDropped, ProviderRefused
from interop.disclosures import disclosure_record_unattended
from interop.models import Disclosure, WebhookEndpoint
from interop.webhooks.signing import signed_headers, signing_secrets
from interop.webhooks.targets import NotConnected, TargetRefused, post, resolve_target

logger = logging.getLogger(__name__)

# The resource each event names in its data ("<resource>_id").
_RESOURCE = {"session": "session", "alert": "alert", "scale": "scale_response"}


def _record_disclosure(endpoint: WebhookEndpoint, event: dict, *, status_code: int) -> None:
    resource = _RESOURCE[event["type"].split(".", 1)[0]]
    data = event.get("data", {})
    with transaction.atomic():
        disclosure_record_unattended(
            channel=Disclosure.Channel.WEBHOOK,
            document=f"webhook:{event['type']}",
            resource_type=resource,
            resource_ids=[data.get(f"{resource}_id")],
            patient_ids=[data.get("patient_id")],
            clinic_id=endpoint.clinic_id,
            recipient=f"webhook:{endpoint.pk}:{endpoint.url}",
            path=endpoint.url,
            status_code=status_code,
        )


class WebhookProvider(Provider):
    def send(self, message: OutboundMessage) -> str:
        endpoint = WebhookEndpoint.objects.filter(pk=int(message.to)).first()
        if endpoint is None:
            raise ProviderDropped("the webhook endpoint was deleted", status="cancelled")
        if not endpoint.active:
            raise ProviderDropped("the webhook endpoint is switched off", status="cancelled")
        try:
            target = resolve_target(endpoint.url)
        except TargetRefused as exc:
            if exc.transient:
                raise ProviderRefused(str(exc)) from exc
            raise ProviderDropped(f"refused at delivery: {exc}", status="failed") from exc

        now = timezone.now()
        headers = signed_headers(
            secrets_=signing_secrets(endpoint, now=now), webhook_id=message.idempotency_key, body=message.body, at=now
        )
        event = json.loads(message.body)
        try:
            status, answer = post(
                target, body=message.body.encode(), headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
            )
        except NotConnected as exc:
            raise ProviderRefused(f"could not connect to {target.host}: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            # The request may have reached the receiver: it counts as disclosed.
            _record_disclosure(endpoint, event, status_code=0)
            raise ProviderRefused(f"no answer from {target.host}: {exc}") from exc
        _record_disclosure(endpoint, event, status_code=status)
        if 200 <= status < 300:
            return f"http-{status}"
        raise ProviderRefused(f"the receiver answered {status}: {answer[:200]}")

    def lookup(self, idempotency_key: str) -> bool | None:
        # Receivers dedupe on webhook-id, so sending again is always safe: at least once.
        return False
