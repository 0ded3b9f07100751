from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from monitoring.models import PregnancyTest, SessionAttestation
from monitoring.services.gate import gate_unmet
from programs.models import TemplatePrerequisite
from tests.programs.factories import TemplateFactory

pytestmark = pytest.mark.django_db


def _planned(session, organization, *kinds_and_ages):
    """Attach a plan whose template lists these prerequisites (the booking link is the scheduler's)."""
    template = TemplateFactory(organization=organization)
    for kind, max_age_days in kinds_and_ages:
        TemplatePrerequisite.objects.create(template=template, kind=kind, max_age_days=max_age_days)
    session.planned_session = SimpleNamespace(
        enrollment=SimpleNamespace(template=template), step=SimpleNamespace(medication="ketamine")
    )
    return session


def test_the_template_lists_the_prerequisites_instead_of_the_defaults(ready_session, organization, nurse):
    # given: the template asks for consent and a pregnancy test only; no escort is recorded
    _planned(ready_session, organization, ("consent", None), ("pregnancy_test", 7))
    SessionAttestation.objects.update(escort_name="", fasting_confirmed=False)

    # when
    before = gate_unmet(session=ready_session)
    PregnancyTest.objects.create(
        patient=ready_session.patient,
        tested_at=timezone.now() - dt.timedelta(days=1),
        result="negative",
        recorded_by=nurse,
    )
    after = gate_unmet(session=ready_session)

    # then
    assert [i["item"] for i in before] == ["pregnancy_test"]
    assert after == []


def test_the_templates_weight_age_limit_applies(ready_session, organization):
    # given: weight 2 days old; the template wants it within a day
    _planned(ready_session, organization, ("weight_recent", 1))

    # when / then
    assert [i["item"] for i in gate_unmet(session=ready_session)] == ["weight_recent"]


def test_a_positive_pregnancy_test_blocks(ready_session, organization, nurse):
    _planned(ready_session, organization, ("pregnancy_test", 7))
    PregnancyTest.objects.create(
        patient=ready_session.patient, tested_at=timezone.now(), result="positive", recorded_by=nurse
    )
    assert [i["item"] for i in gate_unmet(session=ready_session)] == ["pregnancy_test"]
