"""A contraindication screen is reviewed by the prescriber who asks to review it, never by a field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from monitoring.models import CONTRAINDICATIONS, ContraindicationScreen
from monitoring.selectors.gate import gate_unmet
from tests.monitoring.factories import ScreenFactory

pytestmark = pytest.mark.django_db


def _screen_body(patient, **extra) -> dict:
    return {
        "patient": patient.pk,
        "answers": dict.fromkeys(CONTRAINDICATIONS, False),
        "screened_at": timezone.now().isoformat(),
        "valid_until": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
        **extra,
    }


def test_a_nurse_cannot_attribute_a_review_to_a_prescriber(api, nurse, prescriber, ready_session):
    # given: the ready session's screen is gone; a nurse records a new one naming the prescriber
    ContraindicationScreen.objects.all().delete()

    # when
    response = api(nurse).post(
        "/api/v1/chart/contraindication-screens/", _screen_body(ready_session.patient, reviewed_by=prescriber.pk)
    )

    # then: the screen is stored as the nurse's, unreviewed, and does not open the gate
    assert response.status_code == 201
    body = response.json()
    assert (body["recorded_by"], body["reviewed_by"], body["reviewed_at"], body["result"]) == (
        nurse.pk,
        None,
        None,
        "passed",
    )
    assert [i["item"] for i in gate_unmet(session=ready_session)] == ["contraindication_screen"]


def test_the_prescriber_reviews_by_their_own_request_and_the_gate_opens(api, nurse, prescriber, ready_session):
    # given: an unreviewed screen recorded by the nurse
    ContraindicationScreen.objects.all().delete()
    screen = ScreenFactory(patient=ready_session.patient, recorded_by=nurse)

    # when
    response = api(prescriber).post(f"/api/v1/chart/contraindication-screens/{screen.pk}/review/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["reviewed_by"], body["recorded_by"]) == (screen.pk, prescriber.pk, nurse.pk)
    screen.refresh_from_db()
    assert screen.reviewed_by_id == prescriber.pk and screen.reviewed_at is not None
    assert gate_unmet(session=ready_session) == []


def test_a_nurse_cannot_review_a_screen(api, nurse, patient):
    # given
    screen = ScreenFactory(patient=patient, recorded_by=nurse)

    # when
    response = api(nurse).post(f"/api/v1/chart/contraindication-screens/{screen.pk}/review/")

    # then: refused, nothing changed
    assert response.status_code == 403
    screen.refresh_from_db()
    assert (screen.reviewed_by_id, screen.reviewed_at) == (None, None)


def test_a_screen_is_reviewed_once(api, prescriber, make_staff, clinic, patient):
    # given: reviewed by one prescriber
    screen = ScreenFactory(patient=patient, reviewed_by=prescriber)
    reviewed_at = screen.reviewed_at
    other = make_staff(clinic, "prescriber")

    # when: a second prescriber tries to review it
    response = api(other).post(f"/api/v1/chart/contraindication-screens/{screen.pk}/review/")

    # then
    assert (response.status_code, response.json()["type"]) == (409, "urn:kat-clinic:problem:screen_reviewed")
    screen.refresh_from_db()
    assert (screen.reviewed_by_id, screen.reviewed_at) == (prescriber.pk, reviewed_at)
