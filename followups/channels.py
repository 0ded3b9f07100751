"""Providers that carry a follow-up out of the clinic: email, SMS. In-app alerts need none.

A provider receives the follow-up's idempotency key with every message. `lookup(key)` lets the
engine ask, after an interrupted try, whether that key already went out; a provider that cannot
tell returns None, and the engine then holds the follow-up for review rather than risk a duplicate.
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


def provider_for(channel: str) -> Provider:
    if channel == "sms":
        return _load(settings.FOLLOWUP_SMS_PROVIDER)
    if channel == "email":
        return _load(settings.FOLLOWUP_EMAIL_PROVIDER)
    raise ValueError(f"No provider for channel {channel!r}")
