"""Doses, vitals and scores charted by mistake are marked entered in error by their author or a
prescriber, with a reason: the row is kept, history shows both, and no calculation counts it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

from monitoring import signals
from monitoring.models import DoseAdministration, SedationScore, VitalSign
from monitoring.selectors.dose_gate import dose_items
from monitoring.selectors.gate import discharge_items
from tests.monitoring.factories import VitalFactory
from tests.monitoring.test_dosing import _dose

pytestmark = pytest.mark.django_db

REASON = {"reason": "Charted on the wrong patient's flowsheet."}


def test_the_author_marks_a_dose_in_error_the_row_stays_and_the_ledger_is_told(api, nurse, prescriber, ready_session):
    # given: a first dose, and a receiver standing in for the controlled-substance ledger
    client = api(nurse)
    first = client.post("/api/v1/chart/doses/", _dose(ready_session, prescriber)).json()
    heard = []

    def receiver(sender, *, dose, by, reason, **kwargs):
        heard.append((dose.pk, by.pk, reason))

    signals.dose_entered_in_error.connect(receiver, weak=False)
    try:
        # when
        response = client.post(f"/api/v1/chart/doses/{first['id']}/entered-in-error/", REASON)
    finally:
        signals.dose_entered_in_error.disconnect(receiver)

    # then: marked, kept, announced; the next dose is again the session's initial one
    body = response.json()
    assert response.status_code == 200
    assert (body["id"], body["entered_in_error_by"], body["entered_in_error_reason"]) == (
        first["id"],
        nurse.pk,
        REASON["reason"],
    )
    assert heard == [(first["id"], nurse.pk, REASON["reason"])]
    again = client.post("/api/v1/chart/doses/", _dose(ready_session, prescriber))
    assert (again.status_code, again.json()["kind"]) == (201, "initial")
    assert DoseAdministration.objects.filter(session=ready_session).count() == 2


def test_someone_elses_reading_is_marked_only_by_a_prescriber(api, nurse, prescriber, make_staff, clinic, session):
    # given: the nurse's reading, and a second nurse
    reading = VitalFactory(session=session, entered_by=nurse)
    other_nurse = make_staff(clinic, "nurse")

    # when
    refused = api(other_nurse).post(f"/api/v1/chart/vitals/{reading.pk}/entered-in-error/", REASON)
    allowed = api(prescriber).post(f"/api/v1/chart/vitals/{reading.pk}/entered-in-error/", REASON)

    # then
    assert (refused.status_code, refused.json()["type"]) == (422, "urn:kat-clinic:problem:role_required")
    assert (allowed.status_code, allowed.json()["entered_in_error_by"]) == (200, prescriber.pk)
    reading.refresh_from_db()
    assert (reading.entered_in_error_by_id, reading.entered_in_error_reason) == (prescriber.pk, REASON["reason"])


def test_a_reason_is_required_and_a_mark_is_made_once(api, nurse, session):
    # given
    reading = VitalFactory(session=session, entered_by=nurse)
    client = api(nurse)

    # when
    no_reason = client.post(f"/api/v1/chart/vitals/{reading.pk}/entered-in-error/", {"reason": "oops"})
    reading.refresh_from_db()
    unchanged = reading.entered_in_error_at
    first = client.post(f"/api/v1/chart/vitals/{reading.pk}/entered-in-error/", REASON)
    second = client.post(f"/api/v1/chart/vitals/{reading.pk}/entered-in-error/", {"reason": "Another reason here."})

    # then
    assert (no_reason.status_code, list(no_reason.json()["errors"])) == (400, ["reason"])
    assert unchanged is None
    assert (first.status_code, second.status_code) == (200, 409)
    reading.refresh_from_db()
    assert reading.entered_in_error_reason == REASON["reason"]


def test_a_reading_in_error_no_longer_holds_the_next_dose_and_history_shows_both(api, nurse, session):
    # given: a mistyped 185/115 is the latest reading
    VitalFactory(session=session, entered_by=nurse, measured_at=timezone.now() - dt.timedelta(minutes=5))
    typo = VitalFactory(session=session, entered_by=nurse, systolic_mmhg=185, diastolic_mmhg=115)
    assert [i["item"] for i in dose_items(session=session)] == [f"bp_above_limit:{typo.pk}"]

    # when
    response = api(nurse).post(f"/api/v1/chart/vitals/{typo.pk}/entered-in-error/", REASON)

    # then
    assert response.status_code == 200
    assert dose_items(session=session) == []
    events = apps.get_model("monitoring", "VitalSignEvent").objects.filter(pgh_obj_id=typo.pk).order_by("pgh_id")
    assert [(e.systolic_mmhg, e.entered_in_error_reason) for e in events] == [(185, ""), (185, REASON["reason"])]
    assert VitalSign.objects.filter(pk=typo.pk).exists()


def test_a_sedation_score_in_error_is_left_out_of_discharge(api, nurse, prescriber, ready_session):
    # given: a dose, then MOAA/S 5 and a mistyped 2 entered after it
    dosed = api(nurse).post(
        "/api/v1/chart/doses/",
        _dose(ready_session, prescriber, started_at=(timezone.now() - dt.timedelta(minutes=15)).isoformat()),
    )
    assert dosed.status_code == 201, dosed.json()
    SedationScore.objects.create(
        session=ready_session, measured_at=timezone.now() - dt.timedelta(minutes=2), moaas=5, recorded_by=nurse
    )
    typo = SedationScore.objects.create(session=ready_session, measured_at=timezone.now(), moaas=2, recorded_by=nurse)
    assert "sedation" in [i["item"] for i in discharge_items(session=ready_session)]

    # when
    response = api(nurse).post(f"/api/v1/chart/sedation-scores/{typo.pk}/entered-in-error/", REASON)

    # then
    assert (response.status_code, response.json()["moaas"]) == (200, 2)
    assert "sedation" not in [i["item"] for i in discharge_items(session=ready_session)]
