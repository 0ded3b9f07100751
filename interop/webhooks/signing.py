"""Standard Webhooks signatures, made by the `standardwebhooks` package (the spec's own library).

`webhook-signature` is `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` under
the endpoint's secret (`whsec_` + base64 of the key). While a rotated-out secret is in its grace
period, each delivery carries a signature under each secret, space-separated, as the spec allows:
a receiver still holding the old secret verifies, and so does one holding the new.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def secret_generate() -> str:
    """A new signing secret: 32 random bytes (the spec asks for 24 to 64), base64, `whsec_` prefix."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signing_secrets(endpoint, *, now: dt.datetime) -> list[str]:
    """The secrets a delivery made at `now` is signed with: the current one, then the previous one
    while its grace period runs."""
    found = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        found.append(endpoint.previous_secret)
    return found


def signed_headers(*, secrets_: list[str], webhook_id: str, body: str, at: dt.datetime) -> dict[str, str]:
    """The three Standard Webhooks headers (and the content type) for one try of one message."""
    seconds = int(at.timestamp())
    timestamp = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    signature = " ".join(Webhook(secret).sign(msg_id=webhook_id, timestamp=timestamp, data=body) for secret in secrets_)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(seconds),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
