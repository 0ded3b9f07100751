"""Cancelling or no-showing a dosing session says what happens to its integration (issue 12, item 5)."""

from __future__ import annotations

import pytest
import time_machine

from programs.models import PlannedSession
from sessions.models import Session
from tests.sessions.conftest import at, planned
from tests.sessions.test_status_gates import TUESDAY

pytestmark = pytest.mark.django_db
S = Session.Status


def test_cancelling_a_dosing_cancels_its_integration_by_default_and_says_so(
    api,
    scheduler,
    booked_course,
    kat_enrollment,
):
    # given: dosing 1 on Tuesday with its integration booked on Wednesday
    dosing, integration = booked_course["dosing"], booked_course["integration"]

    # when: the front desk cancels the dosing without saying what to do with the integration
    response = api(scheduler).post(f"/api/v1/sessions/{dosing.pk}/cancel/", {"reason": "Patient unwell"})

    # then: both are cancelled, both planned sessions are back to be booked, and the answer says why
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["cancellation_reason"]) == ("cancelled", "Patient unwell")
    assert body["linked_integration"] == {
        "choice": "cancel",
        "default": "cancel",
        "chosen_by_default": True,
        "choices": ["cancel", "keep"],
        "sessions": [{"id": integration.pk, "status": "cancelled", "starts_at": integration.starts_at.isoformat()}],
    }
    cancelled = Session.objects.get(pk=integration.pk)
    assert (cancelled.status, cancelled.cancellation_reason) == (S.CANCELLED, "Its dosing session was cancelled.")
    assert [planned(kat_enrollment, n).status for n in (3, 4)] == [PlannedSession.Status.TO_BOOK] * 2


def test_cancelling_a_dosing_can_keep_its_integration(api, scheduler, booked_course):
    # given
    dosing, integration = booked_course["dosing"], booked_course["integration"]

    # when
    response = api(scheduler).post(
        f"/api/v1/sessions/{dosing.pk}/cancel/", {"reason": "Chair broken", "linked_integration": "keep"}
    )

    # then
    assert response.status_code == 200
    outcome = response.json()["linked_integration"]
    assert (outcome["choice"], outcome["chosen_by_default"], outcome["default"]) == ("keep", False, "cancel")
    assert outcome["sessions"] == [
        {"id": integration.pk, "status": "scheduled", "starts_at": integration.starts_at.isoformat()}
    ]
    assert Session.objects.get(pk=integration.pk).status == S.SCHEDULED


def test_an_unknown_choice_is_a_400_and_cancels_nothing(api, scheduler, booked_course):
    # given
    dosing, integration = booked_course["dosing"], booked_course["integration"]

    # when
    response = api(scheduler).post(
        f"/api/v1/sessions/{dosing.pk}/cancel/", {"reason": "x", "linked_integration": "forget"}
    )

    # then
    assert response.status_code == 400
    assert "linked_integration" in response.json()["errors"]
    assert list(Session.objects.filter(pk__in=[dosing.pk, integration.pk]).values_list("status", flat=True)) == [
        S.SCHEDULED,
        S.SCHEDULED,
    ]


def test_a_no_show_at_dosing_cancels_its_integration_by_default(api, scheduler, booked_course, clinic):
    # given: an hour after the dosing's booked start, the patient has not come
    dosing, integration = booked_course["dosing"], booked_course["integration"]

    # when
    with time_machine.travel(at(clinic, TUESDAY, 10), tick=False):
        response = api(scheduler).post(f"/api/v1/sessions/{dosing.pk}/no-show/", {})

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "no_show"
    assert (body["linked_integration"]["choice"], body["linked_integration"]["chosen_by_default"]) == ("cancel", True)
    cancelled = Session.objects.get(pk=integration.pk)
    assert (cancelled.status, cancelled.cancellation_reason) == (S.CANCELLED, "Its dosing session was marked no-show.")
