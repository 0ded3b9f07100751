"""Times and dates in the API: an instant always carries its UTC offset, and years are plausible.

DRF would take a naive date-time ("2026-03-09T10:00") as UTC: a 10:00 booking in New York silently
stored as 06:00 there. `AwareDateTimeField` refuses it with a message that says to send the offset.
Years outside 1900-2100 are refused too: no clinical or scheduling time lies there, and year 1 or
9999 would overflow in the clinic's zone (a 500) or pass as data. `PlausibleDateField` bounds dates
the same way. `install()` (KatClinicConfig.ready) makes them the fields of every model date-time and
date in every ModelSerializer; serializers that declare a field use these classes
(tests/security/test_times.py checks that none declares DRF's own).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from rest_framework import serializers

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
NAIVE = "Send the time with its UTC offset, e.g. 2026-03-09T09:00:00-05:00 (or Z for UTC)."
TIME_OUT_OF_RANGE = f"Give a time between the years {EARLIEST_YEAR} and {LATEST_YEAR}."
DATE_OUT_OF_RANGE = f"Give a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}."


def plausible_year(value: dt.date) -> bool:
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


# A moment is "in the future" only past this allowance for clocks that run a little ahead.
CLOCK_ALLOWANCE = dt.timedelta(minutes=5)


def latest_date_on_earth() -> dt.date:
    """Today somewhere: the date at UTC+14, so a date that is today in any zone is never "future"."""
    return timezone.now().astimezone(dt.timezone(dt.timedelta(hours=14))).date()


def refuse_future_time(value: dt.datetime, message: str) -> dt.datetime:
    if value > timezone.now() + CLOCK_ALLOWANCE:
        raise serializers.ValidationError(message)
    return value


def refuse_future_date(value: dt.date, message: str) -> dt.date:
    if value > latest_date_on_earth():
        raise serializers.ValidationError(message)
    return value


class AwareDateTimeField(serializers.DateTimeField):
    default_error_messages = {"naive": NAIVE, "out_of_range": TIME_OUT_OF_RANGE}

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        if not plausible_year(value):
            self.fail("out_of_range")
        return super().enforce_timezone(value)


class PlausibleDateField(serializers.DateField):
    default_error_messages = {"out_of_range": DATE_OUT_OF_RANGE}

    def to_internal_value(self, value) -> dt.date:
        date = super().to_internal_value(value)
        if not plausible_year(date):
            self.fail("out_of_range")
        return date


def install() -> None:
    """Every ModelSerializer maps model date-times and dates to the fields above."""
    mapping = serializers.ModelSerializer.serializer_field_mapping
    mapping[models.DateTimeField] = AwareDateTimeField
    mapping[models.DateField] = PlausibleDateField
