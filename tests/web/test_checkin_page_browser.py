"""The patient's check-in page on a phone, in a real browser: no login, the crisis line at once."""

from __future__ import annotations

import re

import pytest

from followups.models import FollowUp
from integration.links import checkin_token
from integration.models import CheckIn
from integration.services import oncall_set
from kat_clinic.roles import Role
from tests.followups.factories import FollowUpFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(page, built_app):
    page.set_viewport_size(PHONE)
    return page


@pytest.fixture
def phq9_link(clinic, patient, make_staff):
    clinic.name = "Midtown Ketamine Clinic"
    clinic.crisis_line = "988"
    clinic.save()
    oncall_set(clinic_id=clinic.pk, staff_ids=[make_staff(clinic, Role.PRESCRIBER).pk])
    followup = FollowUpFactory(
        clinic=clinic, patient=patient, kind=FollowUp.Kind.SCALE_REQUEST, payload={"scale": "phq9"}
    )
    token = checkin_token(patient_id=patient.pk, clinic_id=clinic.pk, followup_id=followup.pk)
    return f"/checkin/{patient.pk}/{token}/", followup


def test_a_patient_on_a_phone_answers_riskily_and_sees_the_crisis_line_at_once(phone, phq9_link, patient):
    # given the link of a PHQ-9 request, opened on a phone
    path, followup = phq9_link
    phone.goto(path)
    phone.get_by_text("Midtown Ketamine Clinic").wait_for()
    assert phone.get_by_role("alert").count() == 0

    # when the patient answers item 9 (thoughts of self-harm) with "Several days"
    item9 = phone.get_by_role("group", name="9. Thoughts that you would be better off dead")
    item9.get_by_label("Several days").check()

    # then the crisis line shows at once, before anything is sent, in large type
    crisis = phone.get_by_role("alert")
    crisis.wait_for()
    assert "Call or text 988" in crisis.inner_text()
    size = crisis.locator(".crisis-line").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 28

    # and when the rest is answered and sent, the server flags it and the line stays
    phone.get_by_role("radio", name="3", exact=True).check()
    for n in range(1, 9):
        phone.get_by_role("group", name=re.compile(rf"^{n}\. ")).get_by_label("Not at all").check()
    phone.get_by_role("button", name="Send my check-in").click()
    phone.get_by_role("heading", name="Thank you, your check-in was sent").wait_for()
    assert "988" in phone.get_by_role("alert").inner_text()
    checkin = CheckIn.objects.get(followup=followup)
    assert (checkin.patient_id, checkin.mood_0_10, checkin.scale_answers, checkin.risk_flagged) == (
        patient.pk,
        3,
        [0, 0, 0, 0, 0, 0, 0, 0, 1],
        True,
    )


def test_an_old_api_link_opened_in_the_browser_lands_on_the_page(phone, clinic, patient):
    # given a link in the form sent before the page existed
    token = checkin_token(patient_id=patient.pk, clinic_id=clinic.pk)

    # when the patient's browser opens it
    phone.goto(f"/api/checkins/{patient.pk}/{token}/")

    # then it is the check-in page
    phone.get_by_role("heading", name="Your check-in").wait_for()
    assert phone.url.endswith(f"/checkin/{patient.pk}/{token}/")


def test_a_tampered_or_expired_link_says_so_in_plain_words(phone, clinic, patient):
    # when
    phone.goto(f"/checkin/{patient.pk}/not-a-valid-token/")

    # then
    phone.get_by_role("heading", name="This link no longer works").wait_for()
    assert "ask the clinic for a new check-in link" in phone.locator("main").inner_text()
    assert CheckIn.objects.count() == 0


def test_a_used_link_says_it_was_already_sent(phone, phq9_link, patient):
    # given the check-in of this link already sent
    path, followup = phq9_link
    CheckIn.objects.create(patient=patient, clinic=followup.clinic, followup=followup, mood_0_10=5)

    # when it is opened again
    phone.goto(path)

    # then
    phone.get_by_role("heading", name="This check-in was already sent").wait_for()
    assert phone.get_by_role("button", name="Send my check-in").count() == 0
