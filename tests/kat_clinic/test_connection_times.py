"""Times read from PostgreSQL (kat_clinic/postgresql): the driver's own C zone factory on a UTC
connection gives the very values Django's Python factory gave, and a connection with a zone of its
own keeps Django's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.utils import load_backend

from sessions.models import ClinicClosure
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db


def _read(cursor, sql: str):
    cursor.execute(sql)
    return cursor.fetchone()[0]


def test_given_a_utc_connection_when_times_are_read_then_they_are_utc_with_the_same_tzinfo_object():
    # given the API's connection (DATABASES has no TIME_ZONE: the session's zone is UTC)
    with connection.cursor() as cursor:
        # then the cursor's factory is the driver's C type, not a Python method
        assert cursor.cursor.tzinfo_factory is dt.timezone

        # when times are read, written by the server at offset 0
        noon = _read(cursor, "SELECT '2026-03-08 12:30:15.25+00'::timestamptz")
        shifted = _read(cursor, "SELECT '2026-03-08 07:30:15.25-05'::timestamptz")
        early = _read(cursor, "SELECT '1901-01-01 00:00:00+00'::timestamptz")

    # then each is the instant stored, in the one UTC object every other time of the process uses
    # (comparing instants that share a tzinfo object is the fast path the calendar relies on)
    assert noon == dt.datetime(2026, 3, 8, 12, 30, 15, 250000, tzinfo=dt.UTC)
    assert noon.tzinfo is dt.UTC
    assert shifted == noon and shifted.tzinfo is dt.UTC
    assert shifted.isoformat() == "2026-03-08T12:30:15.250000+00:00"
    assert early == dt.datetime(1901, 1, 1, tzinfo=dt.UTC) and early.tzinfo is dt.UTC


def test_given_a_stored_row_when_read_through_the_orm_then_its_times_are_the_ones_written():
    # given a closure written with times in another zone
    clinic = ClinicFactory()
    new_york = dt.timezone(dt.timedelta(hours=-5))
    closure = ClinicClosure.objects.create(
        clinic=clinic,
        starts_at=dt.datetime(2026, 11, 1, 1, 30, tzinfo=new_york),
        ends_at=dt.datetime(2026, 11, 1, 3, 0, tzinfo=new_york),
        reason="Boiler",
    )

    # when read back
    starts_at, ends_at = ClinicClosure.objects.filter(pk=closure.pk).values_list("starts_at", "ends_at").get()

    # then they are the same instants, in UTC
    assert (starts_at, ends_at) == (
        dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC),
    )
    assert starts_at.tzinfo is dt.UTC and ends_at.tzinfo is dt.UTC


def test_given_a_connection_with_a_zone_of_its_own_then_it_keeps_djangos_factory():
    # given a connection whose DATABASES entry names a zone (its session's TimeZone is that zone)
    wrapper = load_backend(connection.settings_dict["ENGINE"]).DatabaseWrapper(
        {**connection.settings_dict, "TIME_ZONE": "America/New_York"}, alias=connection.alias
    )
    try:
        with wrapper.cursor() as cursor:
            # then its cursors keep Django's factory, which answers that zone
            assert cursor.cursor.tzinfo_factory == wrapper.tzinfo_factory
            read = _read(cursor, "SELECT '2026-07-04 16:00:00+00'::timestamptz")
    finally:
        wrapper.close()

    # and a time read is the same instant, in that zone
    assert read == dt.datetime(2026, 7, 4, 16, 0, tzinfo=dt.UTC)
    assert read.tzinfo.key == "America/New_York"
