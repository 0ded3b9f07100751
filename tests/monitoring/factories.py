"""Factories for charting tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from monitoring.models import (
    CONTRAINDICATIONS,
    Consent,
    ContraindicationScreen,
    DoseAdministration,
    SedationScore,
    SessionAttestation,
    VitalSign,
)
from programs.choices import SessionKind
from sessions.models import Session
from tests.factories import PatientFactory


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.home_clinic")
    kind = SessionKind.DOSING
    status = Session.Status.IN_PROGRESS
    # The first session of a test is in progress now; each further one is a day earlier, because one
    # patient is never in two blocks at once (session_no_patient_overlap).
    starts_at = factory.Sequence(lambda n: timezone.now() - dt.timedelta(minutes=30, days=n % 1000))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + dt.timedelta(hours=2))
    block_starts_at = factory.SelfAttribute("starts_at")
    block_ends_at = factory.SelfAttribute("ends_at")


class VitalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VitalSign

    session = factory.SubFactory(SessionFactory)
    patient = factory.SelfAttribute("session.patient")
    measured_at = factory.LazyFunction(timezone.now)
    systolic_mmhg = 120
    diastolic_mmhg = 80
    heart_rate_bpm = 72
    spo2_percent = 98


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    document_version = "KAT-consent-v3"
    signed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))


class ScreenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContraindicationScreen

    answers = factory.LazyFunction(lambda: dict.fromkeys(CONTRAINDICATIONS, False))
    result = ContraindicationScreen.Result.PASSED
    screened_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=90))
    # Pass reviewed_by for a reviewed screen; without it the screen is unreviewed.
    reviewed_by = None
    reviewed_at = factory.LazyAttribute(lambda o: o.screened_at if o.reviewed_by else None)


class AttestationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionAttestation

    escort_name = "Pat Doe"
    escort_phone = "+1 212 555 0199"
    escort_present = True
    fasting_confirmed = True
    last_ate_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=8))


DEFAULT_WEIGHT_KG = Decimal("80.0")


def dose_given(
    session,
    nurse,
    prescriber,
    *,
    minutes_ago: int,
    medication="esketamine",
    route="intranasal",
    dose_mg="56.00",
    **extra,
) -> DoseAdministration:
    """A dose started `minutes_ago`, ordered by the prescriber and given by the nurse."""
    return DoseAdministration.objects.create(
        session=session,
        patient=session.patient,
        medication=medication,
        route=route,
        dose_mg=Decimal("56.00"),
        lot_number="SPR-1",
        lot_expires_on=dt.date(2030, 1, 1),
        ordered_by=prescriber,
        administered_by=nurse,
        started_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        **extra,
    )


def recovered(session, nurse, *, minutes_ago: int = 1) -> None:
    """Vitals back inside limits and MOAA/S 5, `minutes_ago`."""
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    VitalFactory(
        session=session, entered_by=nurse, measured_at=at, systolic_mmhg=132, diastolic_mmhg=84, spo2_percent=97
    )
    SedationScore.objects.create(session=session, measured_at=at, moaas=5, recorded_by=nurse)
