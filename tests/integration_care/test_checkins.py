from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import signing

from followups.models import FollowUp
from followups.services import followup_acknowledge
from integration.links import checkin_token
from integration.models import CheckIn
from integration.services import oncall_set
from kat_clinic.roles import Role
from tests.factories import PatientFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

K = FollowUp.Kind
S = FollowUp.Status
CALM_PHQ9 = [1, 1, 0, 1, 0, 0, 1, 0, 0]
RISK_PHQ9 = [1, 1, 0, 1, 0, 0, 1, 0, 1]


def _url(patient, token=None):
    token = token or checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)
    return f"/api/v1/checkins/{patient.pk}/{token}/"


def test_a_patient_checks_in_through_the_link_without_a_login(api, patient):
    # when
    response = api().post(_url(patient), {"mood_0_10": 6, "sleep_hours": "7.5", "note": "Calmer this week."})

    # then
    assert response.status_code == 201
    assert response.json()["crisis"] is None
    checkin = CheckIn.objects.get()
    assert (checkin.patient_id, checkin.mood_0_10, str(checkin.sleep_hours)) == (patient.pk, 6, "7.5")
    assert not FollowUp.objects.exists()


def test_a_link_cannot_be_used_for_another_patient(api, patient, clinic):
    # given
    other = PatientFactory(home_clinic=clinic)
    token = checkin_token(patient_id=patient.pk, clinic_id=clinic.pk)

    # when
    response = api().post(f"/api/v1/checkins/{other.pk}/{token}/", {"mood_0_10": 5})

    # then
    assert response.status_code == 403
    assert response.json()["type"] == "urn:kat-clinic:problem:link_invalid"
    assert not CheckIn.objects.exists()


def test_an_expired_link_is_refused(api, patient, settings, monkeypatch):
    # given: links last 72 hours; this one was signed 73 hours ago
    settings.CHECKIN_LINK_MAX_AGE_HOURS = 72
    signed_at = int(time.time()) - 73 * 3600
    with monkeypatch.context() as m:
        m.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(signed_at))
        expired = checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)

    # when
    response = api().post(_url(patient, expired), {"mood_0_10": 5})

    # then
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


def test_a_tampered_link_is_refused(api, patient):
    # given
    token = checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)

    # when
    response = api().post(_url(patient, token[:-2] + "xx"), {"mood_0_10": 5})

    # then
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


def test_a_link_from_a_follow_up_answers_once(api, patient, clinic):
    # given
    followup = FollowUpFactory(clinic=clinic, patient=patient, kind=K.CHECKIN_LINK, status=S.SENT)
    url = _url(patient, checkin_token(patient_id=patient.pk, clinic_id=clinic.pk, followup_id=followup.pk))
    assert api().post(url, {"mood_0_10": 4}).status_code == 201

    # when
    response = api().post(url, {"mood_0_10": 9})

    # then
    assert response.status_code == 409
    assert list(CheckIn.objects.values_list("mood_0_10", flat=True)) == [4]


def test_a_scale_request_link_requires_its_scale_and_scores_it(api, patient, clinic):
    # given
    followup = FollowUpFactory(clinic=clinic, patient=patient, kind=K.SCALE_REQUEST, payload={"scale": "phq9"})
    url = _url(patient, checkin_token(patient_id=patient.pk, clinic_id=clinic.pk, followup_id=followup.pk))
    assert api().get(url).json() == {"clinic_name": "Midtown", "crisis_line": "988", "scale": "phq9", "answered": False}

    # when
    missing = api().post(url, {"mood_0_10": 5})
    answered = api().post(url, {"mood_0_10": 5, "scale_answers": CALM_PHQ9})

    # then
    assert missing.status_code == 422
    assert answered.status_code == 201
    checkin = CheckIn.objects.get()
    assert (checkin.scale, checkin.scale_total, checkin.risk_flagged) == ("phq9", 4, False)


def test_phq9_item_9_shows_the_crisis_line_at_once_and_pages_the_on_call_list(
    api, patient, clinic, make_staff, settings
):
    # given
    settings.CRISIS_ACK_DEADLINE_MINUTES = 10
    clinic.crisis_line = "988"
    clinic.save()
    first, second = make_staff(clinic, Role.PRESCRIBER), make_staff(clinic, Role.NURSE)
    oncall_set(clinic_id=clinic.pk, staff_ids=[first.pk, second.pk])

    # when
    response = api().post(_url(patient), {"mood_0_10": 2, "scale": "phq9", "scale_answers": RISK_PHQ9})

    # then
    assert response.status_code == 201
    assert response.json()["crisis"]["line"] == "988"
    checkin = CheckIn.objects.get()
    assert checkin.risk_flagged is True
    pages = list(FollowUp.objects.filter(kind=K.CRISIS_PAGE).order_by("due_at"))
    assert [(p.target, p.staff_id, p.role) for p in pages] == [
        ("staff", first.pk, ""),
        ("staff", second.pk, ""),
        ("role", None, Role.PRESCRIBER),
    ]
    assert pages[1].due_at - pages[0].due_at == dt.timedelta(minutes=10)
    assert all(p.payload == {"checkin_id": checkin.pk, "position": n} for n, p in enumerate(pages, start=1))


def test_a_high_risk_cssrs_pages_the_prescribers_when_no_one_is_on_call(api, patient, clinic):
    # when
    answers = {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": False}
    response = api().post(_url(patient), {"mood_0_10": 3, "scale": "cssrs", "scale_answers": answers})

    # then
    assert response.status_code == 201
    assert response.json()["crisis"]["line"] == "988"
    assert list(FollowUp.objects.values_list("kind", "role", "status")) == [(K.CRISIS_PAGE, Role.PRESCRIBER, S.PENDING)]


def test_acknowledging_a_crisis_page_stops_the_escalation(api, patient, clinic, make_staff):
    # given
    first, second = make_staff(clinic, Role.PRESCRIBER), make_staff(clinic, Role.NURSE)
    oncall_set(clinic_id=clinic.pk, staff_ids=[first.pk, second.pk])
    api().post(_url(patient), {"mood_0_10": 2, "scale": "phq9", "scale_answers": RISK_PHQ9})
    page = FollowUp.objects.get(staff=first)

    # when
    response = api(first).post(f"/api/v1/followups/{page.pk}/acknowledge/")

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    statuses = dict(FollowUp.objects.values_list("idempotency_key", "status"))
    checkin_id = CheckIn.objects.get().pk
    assert statuses == {
        f"crisis_page:c{checkin_id}:1": S.ACKNOWLEDGED,
        f"crisis_page:c{checkin_id}:2": S.CANCELLED,
        f"crisis_page:c{checkin_id}:prescribers": S.CANCELLED,
    }


def test_an_unacknowledged_page_escalates_to_the_next_on_call(clinic, patient, make_staff, daytime):
    # given: the first page went out and nobody acknowledged it within the deadline
    from followups.engine import followup_deliver, followups_claim_due
    from integration.services import checkin_submit

    first, second = make_staff(clinic, Role.PRESCRIBER), make_staff(clinic, Role.NURSE)
    oncall_set(clinic_id=clinic.pk, staff_ids=[first.pk, second.pk])
    token = checkin_token(patient_id=patient.pk, clinic_id=clinic.pk)
    checkin_submit(patient_id=patient.pk, token=token, mood_0_10=1, scale="phq9", scale_answers=RISK_PHQ9)
    later = FollowUp.objects.get(staff=second).due_at + dt.timedelta(seconds=1)

    # when
    claims = followups_claim_due(now=later)
    outcomes = [followup_deliver(followup_id=pk, claim=claim, now=later) for pk, claim in claims]

    # then
    assert outcomes == ["sent", "sent"]
    assert set(FollowUp.objects.filter(status=S.SENT).values_list("staff_id", flat=True)) == {first.pk, second.pk}


def test_an_escalation_is_dropped_at_delivery_once_someone_acknowledged(clinic, patient, make_staff):
    # given
    from followups.engine import followup_deliver, followups_claim_due
    from integration.services import checkin_submit

    first, second = make_staff(clinic, Role.PRESCRIBER), make_staff(clinic, Role.NURSE)
    oncall_set(clinic_id=clinic.pk, staff_ids=[first.pk, second.pk])
    token = checkin_token(patient_id=patient.pk, clinic_id=clinic.pk)
    checkin_submit(patient_id=patient.pk, token=token, mood_0_10=1, scale="phq9", scale_answers=RISK_PHQ9)
    escalation = FollowUp.objects.get(staff=second)
    later = escalation.due_at + dt.timedelta(seconds=1)
    [(pk, claim)] = [c for c in followups_claim_due(now=later) if c[0] == escalation.pk]
    followup_acknowledge(followup_id=FollowUp.objects.get(staff=first).pk, by=first)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=later)

    # then: the acknowledgement cancelled the claimed escalation, so the delivery finds it stale
    assert outcome == "stale"
    escalation.refresh_from_db()
    assert escalation.status == S.CANCELLED
