"""The numbers a chart screen draws: the clinic's thresholds, dose caps and discharge policy."""

from __future__ import annotations

import pytest

from monitoring.models import ChartingPolicy, ThresholdRuleKind, VitalThresholdRule
from tests.monitoring.factories import SessionFactory

pytestmark = pytest.mark.django_db


def test_the_limits_give_the_clinics_own_thresholds_over_the_defaults(api, nurse, patient):
    # given: a clinic that lowers the SpO2 limit, switches off the heart-rate rule and monitors longer
    session = SessionFactory(patient=patient)
    clinic = session.clinic
    VitalThresholdRule.objects.create(clinic=clinic, kind=ThresholdRuleKind.SPO2_LOW, spo2_percent=90)
    VitalThresholdRule.objects.create(clinic=clinic, kind=ThresholdRuleKind.HR_SUSTAINED, active=False)
    ChartingPolicy.objects.create(clinic=clinic, discharge_minutes_ketamine=75)

    # when
    response = api(nurse).get(f"/api/v1/chart/sessions/{session.pk}/limits/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["thresholds"] == {
        "predose_hold": {"systolic_mmhg": 140, "diastolic_mmhg": 90},
        "bp_severe_repeated": {"systolic_mmhg": 180, "diastolic_mmhg": 110, "minutes": 5},
        "bp_critical": {"systolic_mmhg": 200, "diastolic_mmhg": 120},
        "hr_sustained": None,
        "spo2_low": {"spo2_percent": 90},
    }
    assert {"medication": "ketamine", "route": "iv", "max_session_mg": None, "max_session_mg_per_kg": "1.00"} in body[
        "dose_caps"
    ]
    assert (body["discharge_minutes_ketamine"], body["discharge_minutes_esketamine"]) == (75, 120)
    assert body["discharge_min_spo2_percent"] == 92


def test_the_front_desk_cannot_read_a_sessions_limits(api, scheduler, patient):
    session = SessionFactory(patient=patient)
    response = api(scheduler).get(f"/api/v1/chart/sessions/{session.pk}/limits/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
