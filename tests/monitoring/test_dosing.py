from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from monitoring.models import DoseAdministration, DoseCap, PriorAuthorization, PriorAuthorizationUse
from tests.clock import clinic_today
from tests.factories import WeightFactory
from tests.monitoring.factories import SessionFactory

pytestmark = pytest.mark.django_db


def _dose(session, prescriber, **overrides) -> dict:
    body = {
        "session": session.pk,
        "ordered_by": prescriber.pk,
        "kind": "initial",
        "medication": "ketamine",
        "route": "iv",
        "dose_mg_per_kg": "0.500",
        "concentration_mg_per_ml": "10.00",
        "infusion_minutes": 40,
        "lot_number": "KX-2231",
        "lot_expires_on": (timezone.localdate() + dt.timedelta(days=200)).isoformat(),
        "started_at": timezone.now().isoformat(),
    }
    body.update(overrides)
    return body


def test_a_nurse_records_an_iv_dose_computed_from_the_recent_weight(api, nurse, prescriber, ready_session):
    # when
    response = api(nurse).post("/api/v1/chart/doses/", _dose(ready_session, prescriber))

    # then: 0.5 mg/kg x 80.0 kg = 40.00 mg; 4.00 ml at 10 mg/ml; 60.00 mg/h over 40 min
    assert response.status_code == 201, response.json()
    dose = DoseAdministration.objects.get()
    assert (dose.weight_kg, dose.dose_mg, dose.volume_ml, dose.rate_mg_per_h) == (
        D("80.0"),
        D("40.00"),
        D("4.00"),
        D("60.00"),
    )
    assert (dose.ordered_by_id, dose.administered_by_id) == (prescriber.pk, nurse.pk)


def test_computed_fields_sent_by_the_client_are_ignored(api, nurse, prescriber, ready_session):
    # when
    response = api(nurse).post(
        "/api/v1/chart/doses/",
        _dose(
            ready_session,
            prescriber,
            volume_ml="99.00",
            rate_mg_per_h="999.00",
            weight_kg="200.0",
            administered_by=prescriber.pk,
        ),
    )

    # then
    dose = DoseAdministration.objects.get(pk=response.json()["id"])
    assert (dose.volume_ml, dose.rate_mg_per_h, dose.weight_kg, dose.administered_by_id) == (
        D("4.00"),
        D("60.00"),
        D("80.0"),
        nurse.pk,
    )


def test_the_order_must_come_from_a_prescriber(api, nurse, ready_session, make_staff, clinic):
    # when
    response = api(nurse).post("/api/v1/chart/doses/", _dose(ready_session, nurse))

    # then
    assert response.status_code == 422
    assert "ordered_by" in response.json()["errors"]
    assert not DoseAdministration.objects.exists()


def test_a_therapist_cannot_record_a_dose(api, therapist, prescriber, ready_session):
    response = api(therapist).post("/api/v1/chart/doses/", _dose(ready_session, prescriber))
    assert response.status_code == 403
    assert not DoseAdministration.objects.exists()


def test_an_expired_lot_is_refused(api, nurse, prescriber, ready_session):
    yesterday = clinic_today(ready_session.clinic) - dt.timedelta(days=1)
    response = api(nurse).post(
        "/api/v1/chart/doses/", _dose(ready_session, prescriber, lot_expires_on=yesterday.isoformat())
    )
    assert response.status_code == 422
    assert response.json()["type"] == "urn:kat-clinic:problem:lot_expired"
    assert not DoseAdministration.objects.exists()


def _give(client, session, prescriber, kind, mg_per_kg, **extra):
    return client.post(
        "/api/v1/chart/doses/",
        _dose(
            session,
            prescriber,
            kind=kind,
            dose_mg_per_kg=mg_per_kg,
            infusion_minutes=None,
            concentration_mg_per_ml=None,
            **extra,
        ),
    )


def test_the_cap_applies_to_the_cumulative_session_dose(api, nurse, prescriber, ready_session):
    # given: default IV cap 1.0 mg/kg x 80 kg = 80 mg; 40 mg then 30 mg given
    client = api(nurse)
    assert _give(client, ready_session, prescriber, "initial", "0.500").status_code == 201
    assert _give(client, ready_session, prescriber, "titration", "0.375").status_code == 201

    # when: a 12 mg bolus would bring the session to 82 mg
    response = _give(client, ready_session, prescriber, "bolus", "0.150")

    # then
    assert response.status_code == 422
    body = response.json()
    assert (body["type"], body["cumulative_mg"], body["cap_mg"]) == (
        "urn:kat-clinic:problem:dose_cap_exceeded",
        "82.00",
        "80.00",
    )
    assert DoseAdministration.objects.count() == 2


def test_a_dose_exactly_at_the_cap_is_allowed(api, nurse, prescriber, ready_session):
    client = api(nurse)
    assert _give(client, ready_session, prescriber, "initial", "0.500").status_code == 201
    assert _give(client, ready_session, prescriber, "bolus", "0.500").status_code == 201


def test_a_nurse_cannot_override_the_cap(api, nurse, prescriber, ready_session):
    client = api(nurse)
    _give(client, ready_session, prescriber, "initial", "0.900")

    response = _give(client, ready_session, prescriber, "bolus", "0.200", cap_override_reason="Still agitated.")

    assert response.status_code == 422
    assert response.json()["type"] == "urn:kat-clinic:problem:role_required"
    assert DoseAdministration.objects.count() == 1


def test_a_prescriber_overrides_the_cap_with_a_reason_that_is_kept(api, nurse, prescriber, ready_session):
    # given
    _give(api(nurse), ready_session, prescriber, "initial", "0.900")

    # when
    response = _give(
        api(prescriber),
        ready_session,
        prescriber,
        "bolus",
        "0.200",
        cap_override_reason="Partial response at 0.9 mg/kg; titrating per protocol.",
    )

    # then
    assert response.status_code == 201
    dose = DoseAdministration.objects.get(pk=response.json()["id"])
    assert dose.cap_overridden_by_id == prescriber.pk
    assert dose.cap_override_reason == "Partial response at 0.9 mg/kg; titrating per protocol."


def test_a_clinic_cap_replaces_the_default(api, nurse, prescriber, ready_session, clinic):
    # given
    DoseCap.objects.create(clinic=clinic, medication="ketamine", route="iv", max_session_mg=D("30.00"))

    # when
    response = _give(api(nurse), ready_session, prescriber, "initial", "0.500")

    # then
    assert (response.status_code, response.json()["cap_mg"]) == (422, "30.00")


def test_only_the_first_dose_is_the_initial_one(api, nurse, prescriber, ready_session):
    client = api(nurse)
    assert _give(client, ready_session, prescriber, "titration", "0.100").status_code == 422
    assert _give(client, ready_session, prescriber, "initial", "0.100").status_code == 201
    assert _give(client, ready_session, prescriber, "initial", "0.100").status_code == 422


def test_a_weight_older_than_the_limit_is_not_used(api, nurse, prescriber, ready_session):
    # given: the only weight is 31 days old
    ready_session.patient.weights.update(measured_at=timezone.now() - dt.timedelta(days=31))

    # when
    response = api(nurse).post("/api/v1/chart/doses/", _dose(ready_session, prescriber))

    # then
    assert response.status_code == 422
    assert [i["item"] for i in response.json()["unmet"]] == ["weight_recent"]


def test_a_dosing_session_uses_one_prior_authorization_once(api, nurse, prescriber, ready_session):
    # given
    today = clinic_today(ready_session.clinic)
    authorization = PriorAuthorization.objects.create(
        patient=ready_session.patient,
        payer="Aetna",
        reference="PA-1",
        authorised_sessions=6,
        valid_from=today - dt.timedelta(days=10),
        valid_until=today + dt.timedelta(days=50),
        recorded_by=nurse,
    )
    client = api(nurse)

    # when
    _give(client, ready_session, prescriber, "initial", "0.500")
    _give(client, ready_session, prescriber, "titration", "0.100")

    # then
    authorization.refresh_from_db()
    assert authorization.used_sessions == 1
    assert PriorAuthorizationUse.objects.get().session_id == ready_session.pk


def test_an_exhausted_prior_authorization_blocks_the_gate(api, nurse, prescriber, ready_session):
    # given
    today = clinic_today(ready_session.clinic)
    PriorAuthorization.objects.create(
        patient=ready_session.patient,
        payer="Aetna",
        reference="PA-1",
        authorised_sessions=2,
        used_sessions=2,
        valid_from=today - dt.timedelta(days=10),
        valid_until=today + dt.timedelta(days=50),
        recorded_by=nurse,
    )

    # when
    response = api(nurse).post("/api/v1/chart/doses/", _dose(ready_session, prescriber))

    # then
    assert response.status_code == 422
    assert [i["item"] for i in response.json()["unmet"]] == ["prior_authorization"]


def test_doses_are_refused_on_a_session_that_is_not_dosing(api, nurse, prescriber, patient):
    session = SessionFactory(patient=patient, kind="integration")
    WeightFactory(patient=patient)
    response = api(nurse).post("/api/v1/chart/doses/", _dose(session, prescriber))
    assert (response.status_code, response.json()["type"]) == (422, "urn:kat-clinic:problem:not_a_dosing_session")


def test_other_medications_and_escalations_are_charted(api, nurse, prescriber, session):
    client = api(nurse)
    medication = client.post(
        "/api/v1/chart/session-medications/",
        {
            "session": session.pk,
            "drug": "ondansetron",
            "dose_mg": "4.00",
            "route": "iv",
            "given_at": timezone.now().isoformat(),
            "reason": "Nausea",
            "ordered_by": prescriber.pk,
        },
    )
    escalation = client.post(
        "/api/v1/chart/escalations/",
        {"session": session.pk, "kind": "prescriber_called", "description": "BP 185/112 twice."},
    )
    assert (medication.status_code, escalation.status_code) == (201, 201)
    assert medication.json()["given_by"] == nurse.pk
