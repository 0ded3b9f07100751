"""Providers that carry a follow-up out of the clinic: email, SMS, webhooks. In-app alerts need none.

A provider receives the follow-up's idempotency key with every message. `lookup(key)` lets the
engine ask, after an interrupted try, whether that key already went out; a provider that cannot
tell returns None, and the engine then holds the follow-up for review rather than risk a duplicate.

Email and SMS providers are named in settings. A channel owned by an app above this one (webhooks,
in `interop`) registers its provider from that app's `AppConfig.ready()` (`register_provider`), so
the engine never imports it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboundMessage:
    channel: str
    to: str
    subject: str
    body: str
    idempotency_key: str


class ProviderRefused(Exception):
    """The provider refused the message before anything left: safe to try again later."""


class ProviderDropped(Exception):
    """The message must never go out (its target is gone, or refused for good): no retry.

    `status` is what the follow-up becomes: "cancelled" (nothing to deliver to any more) or
    "failed" (kept for review)."""

    def __init__(self, reason: str, *, status: str = "failed") -> None:
        if status not in ("cancelled", "failed"):
            raise ValueError(f"ProviderDropped status must be cancelled or failed, not {status!r}")
        self.status = status
        super().__init__(reason)


class Provider:
    def send(self, message: OutboundMessage) -> str:
        """Send and return the provider's message id. Raise ProviderRefused when nothing was sent."""
        raise NotImplementedError

    def lookup(self, idempotency_key: str) -> bool | None:
        """Whether a message with this key was accepted; None when the provider cannot tell."""
        return None


class DjangoEmailProvider(Provider):
    """Email through Django's configured backend (the console backend in the demo)."""

    def send(self, message: OutboundMessage) -> str:
        message_id = f"<{message.idempotency_key.replace(':', '.')}@kat-clinic.invalid>"
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            headers={"Message-ID": message_id, "X-Idempotency-Key": message.idempotency_key},
        )
        try:
            email.send(fail_silently=False)
        except ConnectionRefusedError as exc:
            raise ProviderRefused(str(exc)) from exc
        return message_id


class SmsProvider(Provider):
    """The SMS adapter interface: a real gateway implements send (and lookup if it can)."""


class LoggingSmsProvider(SmsProvider):
    """Writes the SMS to the log instead of a gateway: the demo and development default."""

    def send(self, message: OutboundMessage) -> str:
        # The number is masked: logs are not a place for contact details.
        logger.info("SMS to ***%s key=%s: %s", message.to[-2:], message.idempotency_key, message.body)
        return f"log-{message.idempotency_key}"


@cache
def _load(path: str) -> Provider:
    return import_string(path)()


_registered: dict[str, Provider] = {}


def register_provider(channel: str, provider: Provider) -> None:
    """Called by an upper app's `AppConfig.ready()` for a channel it owns (interop: "webhook")."""
    _registered[channel] = provider


def provider_for(channel: str) -> Provider:
    if channel == "sms":
        return _load(settings.FOLLOWUP_SMS_PROVIDER)
    if channel == "email":
        return _load(settings.FOLLOWUP_EMAIL_PROVIDER)
    if channel in _registered:
        return _registered[channel]
    raise ValueError(f"No provider for channel {channel!r}")
