from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import signing

from followups.engine import followup_deliver, followups_claim_due
from followups.models import FollowUp
from followups.services import followup_acknowledge
from integration.links import checkin_token
from integration.models import CheckIn
from integration.services import checkin_submit, oncall_set
from kat_clinic.roles import Role
from monitoring.models import Alert
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


def test_phq9_item_9_shows_the_crisis_line_at_once_and_raises_an_alert_that_pages_the_on_call_list(
    api, patient, clinic, make_staff
):
    # given
    clinic.crisis_line = "988"
    clinic.save()
    first = make_staff(clinic, Role.PRESCRIBER, phone="+1 212 555 0111")
    second = make_staff(clinic, Role.NURSE, phone="+1 212 555 0122")
    oncall_set(clinic_id=clinic.pk, staff_ids=[first.pk, second.pk])

    # when
    response = api().post(_url(patient), {"mood_0_10": 5, "scale": "phq9", "scale_answers": RISK_PHQ9})

    # then
    assert response.status_code == 201
    assert response.json()["crisis"]["line"] == "988"
    checkin = CheckIn.objects.get()
    assert (checkin.risk_flagged, checkin.risk_reason) == (True, "PHQ-9 item 9 answered 1 (thoughts of self-harm).")
    alert = Alert.objects.get()
    assert (alert.kind, alert.patient_id, alert.session_id, alert.details) == (
        Alert.Kind.PHQ9_ITEM9,
        patient.pk,
        None,
        {"checkin_id": checkin.pk, "reasons": ["PHQ-9 item 9 answered 1 (thoughts of self-harm)."]},
    )
    rows = FollowUp.objects.filter(alert=alert).order_by("due_at", "channel", "staff_id")
    t0 = rows[0].due_at
    assert [(r.channel, r.staff_id, r.due_at - t0) for r in rows] == [
        ("in_app", min(first.pk, second.pk), dt.timedelta(0)),
        ("in_app", max(first.pk, second.pk), dt.timedelta(0)),
        ("sms", first.pk, dt.timedelta(0)),
        ("sms", second.pk, dt.timedelta(minutes=5)),
    ]


def test_a_high_risk_cssrs_pages_the_prescribers_at_once_when_no_one_is_on_call(api, patient, clinic, make_staff):
    # given
    prescriber = make_staff(clinic, Role.PRESCRIBER, phone="+1 212 555 0199")

    # when
    answers = {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": False}
    response = api().post(_url(patient), {"mood_0_10": 3, "scale": "cssrs", "scale_answers": answers})

    # then
    assert response.status_code == 201
    assert response.json()["crisis"]["line"] == "988"
    assert Alert.objects.get().kind == Alert.Kind.CSSRS_POSITIVE
    rows = sorted(FollowUp.objects.values_list("kind", "channel", "staff_id", "status"))
    assert rows == [
        (K.CLINICAL_ALERT, "in_app", prescriber.pk, S.PENDING),
        (K.CLINICAL_ALERT, "sms", prescriber.pk, S.PENDING),
    ]


def test_acknowledging_a_check_in_alert_stops_the_escalation(api, patient, clinic, make_staff):
    # given
    first = make_staff(clinic, Role.PRESCRIBER, phone="+1 212 555 0111")
    second = make_staff(clinic, Role.NURSE, phone="+1 212 555 0122")
    oncall_set(clinic_id=clinic.pk, staff_ids=[first.pk, second.pk])
    api().post(_url(patient), {"mood_0_10": 2, "scale": "phq9", "scale_answers": RISK_PHQ9})
    item = FollowUp.objects.get(staff=first, channel="in_app")

    # when
    response = api(first).post(f"/api/v1/followups/{item.pk}/acknowledge/")

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    alert = Alert.objects.get()
    assert alert.acknowledged_by_id == first.pk
    statuses = dict(FollowUp.objects.values_list("idempotency_key", "status"))
    assert statuses == {
        f"clinical_alert:a{alert.pk}:app:{first.pk}": S.ACKNOWLEDGED,
        f"clinical_alert:a{alert.pk}:app:{second.pk}": S.ACKNOWLEDGED,
        f"clinical_alert:a{alert.pk}:page:{first.pk}": S.CANCELLED,
        f"clinical_alert:a{alert.pk}:page:{second.pk}": S.CANCELLED,
    }


def test_an_unacknowledged_check_in_alert_escalates_to_the_next_on_call(clinic, patient, make_staff):
    # given: the first page went out and nobody acknowledged it within the clinic's minutes
    first = make_staff(clinic, Role.PRESCRIBER, phone="+1 212 555 0111")
    second = make_staff(clinic, Role.NURSE, phone="+1 212 555 0122")
    oncall_set(clinic_id=clinic.pk, staff_ids=[first.pk, second.pk])
    token = checkin_token(patient_id=patient.pk, clinic_id=clinic.pk)
    checkin_submit(patient_id=patient.pk, token=token, mood_0_10=1, scale="phq9", scale_answers=RISK_PHQ9)
    later = FollowUp.objects.get(staff=second, channel="sms").due_at

    # when
    claims = followups_claim_due(now=later)
    outcomes = [followup_deliver(followup_id=pk, claim=claim, now=later) for pk, claim in claims]

    # then
    assert outcomes == ["sent"] * 4
    assert set(FollowUp.objects.filter(status=S.SENT, channel="sms").values_list("staff_id", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_an_escalation_is_dropped_at_delivery_once_someone_acknowledged(clinic, patient, make_staff):
    # given
    first = make_staff(clinic, Role.PRESCRIBER, phone="+1 212 555 0111")
    second = make_staff(clinic, Role.NURSE, phone="+1 212 555 0122")
    oncall_set(clinic_id=clinic.pk, staff_ids=[first.pk, second.pk])
    token = checkin_token(patient_id=patient.pk, clinic_id=clinic.pk)
    checkin_submit(patient_id=patient.pk, token=token, mood_0_10=1, scale="phq9", scale_answers=RISK_PHQ9)
    escalation = FollowUp.objects.get(staff=second, channel="sms")
    later = escalation.due_at + dt.timedelta(seconds=1)
    [(pk, claim)] = [c for c in followups_claim_due(now=later) if c[0] == escalation.pk]
    followup_acknowledge(followup_id=FollowUp.objects.get(staff=first, channel="in_app").pk, by=first)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=later)

    # then: the acknowledgement cancelled the claimed escalation, so the delivery finds it stale
    assert outcome == "stale"
    escalation.refresh_from_db()
    assert escalation.status == S.CANCELLED
