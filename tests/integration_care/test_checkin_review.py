"""A check-in with a very low mood or risk words in its note is flagged for a clinician's review and
travels like any clinical alert. The rule is the clinic's: a mood threshold and a word list."""

from __future__ import annotations

import pytest

from followups.models import FollowUp
from integration.links import checkin_token
from integration.models import DEFAULT_CHECKIN_RISK_WORDS, AlertPolicy, CheckIn
from integration.risk import risk_words_in
from integration.services import oncall_set
from kat_clinic.roles import Role
from monitoring.models import Alert
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _check_in(api, patient, **body):
    token = checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)
    return api().post(f"/api/v1/checkins/{patient.pk}/{token}/", body)


@pytest.fixture
def on_call(clinic, make_staff):
    nurse = make_staff(clinic, Role.NURSE, phone="+1 212 555 0111")
    oncall_set(clinic_id=clinic.pk, staff_ids=[nurse.pk])
    return nurse


def test_a_very_low_mood_is_flagged_for_review_and_pages_the_on_call(api, patient, on_call):
    # when: mood 2, the default threshold
    response = _check_in(api, patient, mood_0_10=2, note="Tired.")

    # then
    assert response.status_code == 201
    assert response.json()["crisis"]["line"] == "988"
    checkin = CheckIn.objects.get()
    reason = "Mood 2/10, at or below the clinic's review threshold of 2."
    assert (checkin.risk_flagged, checkin.risk_reason) == (True, reason)
    alert = Alert.objects.get()
    assert (alert.kind, alert.priority, alert.message, alert.acknowledged_at) == (
        Alert.Kind.CHECKIN_LOW_MOOD,
        Alert.Priority.HIGH,
        f"Check-in flagged for review. {reason}",
        None,
    )
    assert sorted(FollowUp.objects.filter(alert=alert).values_list("channel", "staff_id")) == [
        ("in_app", on_call.pk),
        ("sms", on_call.pk),
    ]


def test_a_mood_above_the_threshold_is_not_flagged(api, patient, on_call):
    # when
    response = _check_in(api, patient, mood_0_10=3, note="A quiet week.")

    # then
    assert response.status_code == 201
    assert response.json()["crisis"] is None
    assert (CheckIn.objects.get().risk_flagged, CheckIn.objects.get().risk_reason) == (False, "")
    assert not Alert.objects.exists()
    assert not FollowUp.objects.exists()


def test_risk_words_in_the_note_flag_the_check_in(api, patient, on_call):
    # when: a good mood, but the note says otherwise (typographic apostrophe, capitals, a line break)
    response = _check_in(api, patient, mood_0_10=7, note="Honestly I CAN\u2019T\ngo on like this.")

    # then
    assert response.status_code == 201
    assert response.json()["crisis"]["line"] == "988"
    checkin = CheckIn.objects.get()
    assert (checkin.risk_flagged, checkin.risk_reason) == (True, "The note mentions: can't go on.")
    alert = Alert.objects.get()
    assert (alert.kind, alert.details) == (
        Alert.Kind.CHECKIN_RISK_WORDS,
        {"checkin_id": checkin.pk, "reasons": ["The note mentions: can't go on."]},
    )
    assert FollowUp.objects.filter(alert=alert, channel="sms", staff=on_call).exists()


def test_both_rules_together_raise_one_alert_naming_both(api, patient, on_call):
    # when
    response = _check_in(api, patient, mood_0_10=1, note="I want to die. Thinking about an overdose.")

    # then
    assert response.status_code == 201
    reasons = [
        "The note mentions: want to die, overdose.",
        "Mood 1/10, at or below the clinic's review threshold of 2.",
    ]
    alert = Alert.objects.get()
    assert (alert.kind, alert.details["reasons"]) == (Alert.Kind.CHECKIN_RISK_WORDS, reasons)
    assert CheckIn.objects.get().risk_reason == " ".join(reasons)


@pytest.mark.parametrize(
    ("note", "found"),
    [
        ("I could kill myself", ("kill myself",)),
        ("Practising a new skill myself", ()),
        ("thinking of SELF-HARM again", ("self-harm",)),
        ("self   harm", ("self harm",)),
        ("the suicidewatch forum", ()),
        ("", ()),
    ],
)
def test_words_match_as_whole_words_in_any_case_and_spacing(note, found):
    assert risk_words_in(note, DEFAULT_CHECKIN_RISK_WORDS) == found


def test_the_rule_is_set_per_clinic(api, clinic, other_clinic, on_call, make_staff):
    # given: Brooklyn reviews moods up to 4 and its own words; Midtown keeps the defaults
    AlertPolicy.objects.create(clinic=other_clinic, checkin_low_mood_at_most=4, checkin_risk_words=["numb"])
    oncall_set(clinic_id=other_clinic.pk, staff_ids=[make_staff(other_clinic, Role.NURSE, phone="+1 718 555 0100").pk])
    midtown, brooklyn = PatientFactory(home_clinic=clinic), PatientFactory(home_clinic=other_clinic)

    # when: the same two check-ins at each clinic
    for patient in (midtown, brooklyn):
        _check_in(api, patient, mood_0_10=4, note="")
        _check_in(api, patient, mood_0_10=8, note="I feel numb")

    # then
    flagged = sorted(CheckIn.objects.filter(risk_flagged=True).values_list("patient_id", "risk_reason"))
    assert flagged == [
        (brooklyn.pk, "Mood 4/10, at or below the clinic's review threshold of 4."),
        (brooklyn.pk, "The note mentions: numb."),
    ]
    assert sorted(Alert.objects.values_list("clinic_id", "kind")) == [
        (other_clinic.pk, Alert.Kind.CHECKIN_LOW_MOOD),
        (other_clinic.pk, Alert.Kind.CHECKIN_RISK_WORDS),
    ]


def test_a_clinic_that_switches_the_mood_rule_off_still_has_its_words(api, clinic, patient, on_call):
    # given
    AlertPolicy.objects.create(clinic=clinic, checkin_low_mood_at_most=None)

    # when
    low = _check_in(api, patient, mood_0_10=0, note="")
    words = _check_in(api, patient, mood_0_10=0, note="suicidal thoughts")

    # then
    assert (low.json()["crisis"], words.json()["crisis"]["line"]) == (None, "988")
    assert list(Alert.objects.values_list("kind", flat=True)) == [Alert.Kind.CHECKIN_RISK_WORDS]
