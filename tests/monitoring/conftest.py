"""Charting fixtures: a dosing session of the clinic's patient, and a patient ready to dose."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import WeightFactory
from tests.monitoring.factories import (
    AttestationFactory,
    ConsentFactory,
    ScreenFactory,
    SessionFactory,
    VitalFactory,
)


@pytest.fixture
def session(patient):
    return SessionFactory(patient=patient)


@pytest.fixture
def ready_session(session, nurse, prescriber):
    """A dosing session whose every default pre-dose item holds."""
    ConsentFactory(patient=session.patient, witness=nurse, recorded_by=nurse)
    ScreenFactory(patient=session.patient, reviewed_by=prescriber)
    AttestationFactory(session=session, recorded_by=nurse)
    WeightFactory(patient=session.patient, weight_kg=Decimal("80.0"), measured_at=timezone.now() - dt.timedelta(days=2))
    VitalFactory(session=session, entered_by=nurse, measured_at=timezone.now() - dt.timedelta(minutes=10))
    return session
