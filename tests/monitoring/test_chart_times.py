"""Clinical events are charted at the time they happened: not in the future beyond the clinic's
clock skew, and inside the session's booked block widened by the clinic's margin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from monitoring.models import ChartingPolicy, DoseAdministration, SedationScore, VitalSign
from tests.monitoring.test_dosing import _dose

pytestmark = pytest.mark.django_db


def _vital(session, at):
    return {"session": session.pk, "measured_at": at.isoformat(), "systolic_mmhg": 120, "diastolic_mmhg": 80}


def test_a_vital_sign_in_2030_is_refused_on_its_field(api, nurse, session):
    # given
    before = VitalSign.objects.count()

    # when
    response = api(nurse).post("/api/v1/chart/vitals/", _vital(session, dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC)))

    # then
    body = response.json()
    assert (response.status_code, body["type"], list(body["errors"])) == (
        422,
        "urn:kat-clinic:problem:charted_in_future",
        ["measured_at"],
    )
    assert body["errors"]["measured_at"] == ["More than 5 min after now."]
    assert VitalSign.objects.count() == before


def test_a_dose_in_2030_is_refused_and_discharge_is_untouched(api, nurse, prescriber, ready_session):
    # when
    response = api(nurse).post(
        "/api/v1/chart/doses/", _dose(ready_session, prescriber, started_at="2030-06-01T10:00:00-04:00")
    )

    # then
    assert (response.status_code, list(response.json()["errors"])) == (422, ["started_at"])
    assert not DoseAdministration.objects.exists()


def test_a_sedation_score_from_year_1_is_outside_the_session(api, nurse, session):
    # when
    response = api(nurse).post(
        "/api/v1/chart/sedation-scores/", {"session": session.pk, "measured_at": "0001-01-02T00:00:00Z", "moaas": 5}
    )

    # then
    assert response.status_code in (400, 422)
    assert list(response.json()["errors"]) == ["measured_at"]
    assert not SedationScore.objects.exists()


def test_a_reading_three_hours_before_the_booked_block_is_refused_but_one_in_the_margin_is_kept(api, nurse, session):
    # given: the block starts 30 min ago; the clinic's margin is the default 2 h
    start = session.block_starts_at
    client = api(nurse)

    # when
    outside = client.post("/api/v1/chart/vitals/", _vital(session, start - dt.timedelta(hours=3)))
    inside = client.post("/api/v1/chart/vitals/", _vital(session, start - dt.timedelta(minutes=90)))

    # then
    assert (outside.status_code, outside.json()["type"]) == (422, "urn:kat-clinic:problem:outside_session_time")
    assert "(the booked block ± 120 min)" in outside.json()["errors"]["measured_at"][0]
    assert inside.status_code == 201
    assert list(VitalSign.objects.values_list("measured_at", flat=True)) == [start - dt.timedelta(minutes=90)]


def test_the_clock_skew_and_margin_are_the_clinics(api, nurse, session):
    # given: this clinic allows 1 min of skew
    ChartingPolicy.objects.create(clinic=session.clinic, clock_skew_minutes=1, session_margin_minutes=30)
    client = api(nurse)

    # when
    three_ahead = client.post("/api/v1/chart/vitals/", _vital(session, timezone.now() + dt.timedelta(minutes=3)))
    before_margin = client.post(
        "/api/v1/chart/vitals/", _vital(session, session.block_starts_at - dt.timedelta(minutes=45))
    )

    # then
    assert three_ahead.json()["errors"] == {"measured_at": ["More than 1 min after now."]}
    assert (before_margin.status_code, before_margin.json()["type"]) == (
        422,
        "urn:kat-clinic:problem:outside_session_time",
    )
    assert not VitalSign.objects.exists()
