"""Defaults of integration care. Each one can be overridden in Django settings under the same name."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "CHECKIN_LINK_MAX_AGE_HOURS": 72,
    # A link that answers no follow-up (issued by hand) answers once and lives this long.
    "CHECKIN_OPEN_LINK_MAX_AGE_HOURS": 24,
}


def conf(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
