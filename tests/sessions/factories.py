"""Factories for scheduling: availability rows and booked sessions."""

from __future__ import annotations

import datetime as dt

import factory

from sessions.models import AvailabilityException, ClinicClosure, RoomHours, WorkingHours


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    weekday = 0
    start_time = dt.time(8, 0)
    end_time = dt.time(18, 0)
    valid_from = dt.date(2020, 1, 1)
    valid_until = None


class RoomHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomHours

    weekday = 0
    start_time = dt.time(8, 0)
    end_time = dt.time(18, 0)


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityException

    kind = AvailabilityException.Kind.TIME_OFF


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicClosure
