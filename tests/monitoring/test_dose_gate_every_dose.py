"""Every dose passes the in-session gate, not only the first: a titration at 185/115 with a high
alert open is held until a prescriber overrides each item with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from monitoring.models import Alert, ChecklistOverride, DoseAdministration
from tests.monitoring.factories import VitalFactory
from tests.monitoring.test_dosing import _dose

pytestmark = pytest.mark.django_db


@pytest.fixture
def dosed_session(api, nurse, prescriber, ready_session):
    """The first dose given 20 minutes ago; since then BP 185/115 twice, 6 minutes apart (severe on
    repeated readings: a high alert raised)."""
    first = api(nurse).post(
        "/api/v1/chart/doses/",
        _dose(ready_session, prescriber, started_at=(timezone.now() - dt.timedelta(minutes=20)).isoformat()),
    )
    assert first.status_code == 201, first.json()
    for minutes_ago in (8, 2):
        reading = api(nurse).post(
            "/api/v1/chart/vitals/",
            {
                "session": ready_session.pk,
                "measured_at": (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat(),
                "systolic_mmhg": 185,
                "diastolic_mmhg": 115,
            },
        )
        assert reading.status_code == 201, reading.json()
    assert Alert.objects.filter(session=ready_session, kind="bp_severe_repeated", priority="high").count() == 1
    return ready_session


def _titration(session, prescriber):
    return _dose(session, prescriber, kind="titration", dose_mg_per_kg="0.100")


def test_a_titration_at_185_over_115_with_a_high_alert_open_is_held(api, nurse, prescriber, dosed_session):
    # given
    alert = Alert.objects.get(session=dosed_session)
    reading_id = dosed_session.vitals.order_by("-measured_at").first().pk

    # when
    response = api(nurse).post("/api/v1/chart/doses/", _titration(dosed_session, prescriber))

    # then: both items listed, nothing given
    body = response.json()
    assert (response.status_code, body["type"]) == (422, "urn:kat-clinic:problem:gate_unmet")
    assert [i["item"] for i in body["unmet"]] == [f"bp_above_limit:{reading_id}", f"open_alert:{alert.pk}"]
    assert DoseAdministration.objects.filter(session=dosed_session).count() == 1


def test_a_bolus_is_held_by_an_open_high_alert_alone(api, nurse, prescriber, dosed_session):
    # given: BP back to 130/80, the critical alert still unacknowledged
    VitalFactory(session=dosed_session, entered_by=nurse, systolic_mmhg=130, diastolic_mmhg=80)
    alert = Alert.objects.get(session=dosed_session)

    # when
    response = api(nurse).post("/api/v1/chart/doses/", _dose(dosed_session, prescriber, kind="bolus", dose_mg="5"))

    # then
    assert response.status_code == 422
    assert [i["item"] for i in response.json()["unmet"]] == [f"open_alert:{alert.pk}"]
    assert DoseAdministration.objects.filter(session=dosed_session).count() == 1


def test_a_prescriber_overrides_each_item_with_a_reason_and_the_titration_is_given(
    api, nurse, prescriber, dosed_session
):
    # given: the prescriber overrides both items, as at the pre-dose gate
    alert = Alert.objects.get(session=dosed_session)
    reading_id = dosed_session.vitals.order_by("-measured_at").first().pk
    client = api(prescriber)
    overrides = [
        client.post(
            "/api/v1/chart/overrides/",
            {
                "session": dosed_session.pk,
                "stage": "dose",
                "item": item,
                "reason": "Labetalol given, BP trending down.",
            },
        )
        for item in (f"bp_above_limit:{reading_id}", f"open_alert:{alert.pk}")
    ]

    # when
    response = api(nurse).post("/api/v1/chart/doses/", _titration(dosed_session, prescriber))

    # then
    assert [o.status_code for o in overrides] == [201, 201]
    assert sorted(ChecklistOverride.objects.filter(stage="dose").values_list("item", "overridden_by")) == sorted(
        [(f"bp_above_limit:{reading_id}", prescriber.pk), (f"open_alert:{alert.pk}", prescriber.pk)]
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["kind"], response.json()["dose_mg"]) == ("titration", "8.00")


def test_an_override_covers_its_reading_only(api, nurse, prescriber, dosed_session):
    # given: the reading overridden and the alert acknowledged; then a new reading 190/118
    reading_id = dosed_session.vitals.order_by("-measured_at").first().pk
    api(prescriber).post(
        "/api/v1/chart/overrides/",
        {
            "session": dosed_session.pk,
            "stage": "dose",
            "item": f"bp_above_limit:{reading_id}",
            "reason": "Rechecked manually.",
        },
    )
    Alert.objects.filter(session=dosed_session).update(acknowledged_by=nurse, acknowledged_at=timezone.now())
    newer = VitalFactory(session=dosed_session, entered_by=nurse, systolic_mmhg=190, diastolic_mmhg=118)

    # when
    response = api(nurse).post("/api/v1/chart/doses/", _titration(dosed_session, prescriber))

    # then
    assert response.status_code == 422
    assert [i["item"] for i in response.json()["unmet"]] == [f"bp_above_limit:{newer.pk}"]
    assert DoseAdministration.objects.filter(session=dosed_session).count() == 1


def test_a_nurse_cannot_override_a_dose_item(api, nurse, dosed_session):
    # given
    alert = Alert.objects.get(session=dosed_session)

    # when
    response = api(nurse).post(
        "/api/v1/chart/overrides/",
        {"session": dosed_session.pk, "stage": "dose", "item": f"open_alert:{alert.pk}", "reason": "Looks fine to me."},
    )

    # then
    assert response.status_code == 403
    assert not ChecklistOverride.objects.exists()
