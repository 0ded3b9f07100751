"""Factories for follow-ups and the sessions they hang on."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from followups.models import FollowUp
from programs.choices import SessionKind
from sessions.models import Session
from tests.factories import ClinicFactory, PatientFactory


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    clinic = factory.SubFactory(ClinicFactory)
    patient = factory.SubFactory(PatientFactory, home_clinic=factory.SelfAttribute("..clinic"))
    kind = SessionKind.DOSING
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + dt.timedelta(hours=2))
    block_starts_at = factory.SelfAttribute("starts_at")
    block_ends_at = factory.LazyAttribute(lambda s: s.ends_at + dt.timedelta(minutes=30))


class FollowUpFactory(factory.django.DjangoModelFactory):
    """A patient SMS follow-up due now, by default."""

    class Meta:
        model = FollowUp

    clinic = factory.SubFactory(ClinicFactory)
    patient = factory.SubFactory(PatientFactory, home_clinic=factory.SelfAttribute("..clinic"), sms_opt_in=True)
    kind = FollowUp.Kind.CHECKIN_LINK
    channel = FollowUp.Channel.SMS
    target = FollowUp.Target.PATIENT
    idempotency_key = factory.Sequence(lambda n: f"test:{n}")
    due_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(seconds=1))
