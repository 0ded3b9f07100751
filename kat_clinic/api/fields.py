"""Serializer fields shared by every app's API."""

from __future__ import annotations

import zoneinfo

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Every name in the IANA database has this shape (Area/Location, Area/Location/Sub, or a legacy
# single name such as UTC or EST5EDT); tests/kat_clinic/test_api_docs.py checks all of them match.
TIME_ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"

TIME_ZONE_SCHEMA = {
    "type": "string",
    "pattern": TIME_ZONE_PATTERN,
    "maxLength": 64,
    "description": "An IANA time zone name (the tz database), e.g. `America/New_York`. Local dates and times "
    "of this clinic are in this zone.",
    "example": "America/New_York",
}


@extend_schema_field(TIME_ZONE_SCHEMA)
class TimeZoneField(serializers.CharField):
    """An IANA time zone name, documented as a string with a pattern rather than a 600-value enum
    (code generators choke on names like GMT0, GMT+0 and GMT-0 that collide once made identifiers)."""

    default_error_messages = {"unknown": "{value} is not an IANA time zone name (e.g. America/New_York)."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in zoneinfo.available_timezones():
            self.fail("unknown", value=value)
        return value
