"""Esketamine as the label gives it: whole 28 mg devices, never above 84 mg in a session, even
with a prescriber's cap override."""

from __future__ import annotations

import pytest

from monitoring.models import DoseAdministration, RemsPatientEnrollment
from tests.clock import clinic_today
from tests.monitoring.test_dosing import _dose

pytestmark = pytest.mark.django_db


def _esketamine(session, prescriber, mg, **extra):
    body = _dose(session, prescriber, medication="esketamine", route="intranasal", dose_mg=str(mg), **extra)
    for name in ("dose_mg_per_kg", "concentration_mg_per_ml", "infusion_minutes"):
        body.pop(name)
    return body


@pytest.fixture
def rems_session(ready_session, nurse):
    RemsPatientEnrollment.objects.create(
        patient=ready_session.patient,
        rems_patient_id="P-1",
        enrolled_on=clinic_today(ready_session.clinic),
        recorded_by=nurse,
    )
    return ready_session


def test_a_dose_that_is_not_whole_devices_is_refused(api, nurse, prescriber, rems_session):
    response = api(nurse).post("/api/v1/chart/doses/", _esketamine(rems_session, prescriber, 70))
    assert (response.status_code, response.json()["type"], list(response.json()["errors"])) == (
        422,
        "urn:kat-clinic:problem:esketamine_device_step",
        ["dose_mg"],
    )
    assert not DoseAdministration.objects.exists()


def test_above_84_mg_is_refused_even_with_a_prescribers_override(api, nurse, prescriber, rems_session):
    # given: 56 mg given
    first = api(nurse).post("/api/v1/chart/doses/", _esketamine(rems_session, prescriber, 56))
    assert first.status_code == 201, first.json()

    # when: a prescriber adds 56 mg more (112 mg in all) with a cap override reason
    response = api(prescriber).post(
        "/api/v1/chart/doses/",
        _esketamine(rems_session, prescriber, 56, kind="titration", cap_override_reason="Partial response so far."),
    )

    # then
    assert (response.status_code, response.json()["type"]) == (422, "urn:kat-clinic:problem:esketamine_label_maximum")
    assert list(DoseAdministration.objects.values_list("dose_mg", flat=True)) == [56]
