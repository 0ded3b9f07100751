"""A clinic's name for patients: checked by the patient-message privacy rule when saved, used in every
patient message; a message refused for its content is a configuration error the clinic's admin sees."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict

from followups.engine import followup_deliver, followups_claim_due
from followups.messages import render_patient_message
from followups.models import FollowUp
from kat_clinic.admin import ClinicForm
from kat_clinic.demo import seed_demo
from kat_clinic.models import Clinic
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

LEAK = (
    "Patients' messages name the clinic as 'Midtown Ketamine Clinic', which carries 'Ketamine': anyone who "
    "sees the patient's phone would learn of the treatment. Give a patient-facing name without it."
)


def test_a_name_for_patients_that_would_leak_is_refused_when_saved_with_the_reason(api, admin_staff, clinic):
    # when
    response = api(admin_staff).patch(f"/api/v1/clinics/{clinic.pk}/", {"patient_facing_name": "Ketamine Care"})

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "patient_facing_name": [
            "Patients' messages name the clinic as 'Ketamine Care', which carries 'Ketamine': anyone who sees "
            "the patient's phone would learn of the treatment. Give a patient-facing name without it."
        ]
    }
    assert Clinic.objects.get(pk=clinic.pk).patient_facing_name == ""


def test_renaming_a_clinic_to_a_leaking_name_needs_a_name_for_patients(api, admin_staff, clinic):
    # when
    refused = api(admin_staff).patch(f"/api/v1/clinics/{clinic.pk}/", {"name": "Midtown Ketamine Clinic"})
    allowed = api(admin_staff).patch(
        f"/api/v1/clinics/{clinic.pk}/", {"name": "Midtown Ketamine Clinic", "patient_facing_name": "Midtown Clinic"}
    )

    # then
    assert (refused.status_code, refused.json()["errors"]) == (400, {"patient_facing_name": [LEAK]})
    assert allowed.status_code == 200
    assert (allowed.json()["name"], allowed.json()["patient_facing_name"]) == (
        "Midtown Ketamine Clinic",
        "Midtown Clinic",
    )


def test_the_admins_clinic_form_refuses_a_leaking_name_for_patients(clinic):
    # given: the clinic page's form, renaming the clinic without a name for patients
    data = {**model_to_dict(clinic), "name": "Midtown Ketamine Clinic", "patient_facing_name": ""}

    # when
    form = ClinicForm(data=data, instance=clinic)

    # then
    assert not form.is_valid()
    assert form.errors["patient_facing_name"] == [LEAK]
    assert Clinic.objects.get(pk=clinic.pk).name == "Midtown"


def test_patient_messages_carry_the_name_for_patients(clinic):
    # given
    Clinic.objects.filter(pk=clinic.pk).update(name="Midtown Ketamine Clinic", patient_facing_name="Midtown Clinic")
    followup = FollowUpFactory(clinic=Clinic.objects.get(pk=clinic.pk))

    # when
    subject, body = render_patient_message(followup)

    # then
    assert subject == "A short check-in from Midtown Clinic"
    assert body.startswith("Midtown Clinic: How are you feeling today?")
    assert "Ketamine" not in subject + body


def test_a_message_refused_for_its_content_is_a_configuration_error_the_clinics_admin_sees(
    api, admin_staff, clinic, daytime, sent
):
    # given: a clinic saved before the rule, with a leaking name and none for patients
    Clinic.objects.filter(pk=clinic.pk).update(name="Midtown Ketamine Clinic")
    followup = FollowUpFactory(clinic=clinic, due_at=daytime)
    [(pk, claim)] = followups_claim_due(now=daytime)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=daytime)

    # then: nothing sent; the follow-up and the clinic say why
    assert outcome == "failed"
    assert sent() == {}
    followup.refresh_from_db()
    assert (followup.status, followup.last_error) == (FollowUp.Status.FAILED, f"configuration error: {LEAK}")
    shown = api(admin_staff).get(f"/api/v1/clinics/{clinic.pk}/").json()
    assert (shown["message_problem"], shown["message_problem_at"]) == (LEAK, "2026-06-10T16:00:00Z")

    # and a name for patients clears it, and the next message goes out
    fixed = api(admin_staff).patch(f"/api/v1/clinics/{clinic.pk}/", {"patient_facing_name": "Midtown Clinic"})
    assert (fixed.json()["message_problem"], fixed.json()["message_problem_at"]) == ("", None)
    FollowUpFactory(clinic=clinic, due_at=daytime, idempotency_key="after-fix")
    [(pk, claim)] = followups_claim_due(now=daytime)
    assert followup_deliver(followup_id=pk, claim=claim, now=daytime) == "sent"
    assert sent() == {"after-fix": 1}


def test_the_demo_clinics_messages_go_out(sent):
    # given: noon at the demo clinic, outside its quiet hours
    clinic = seed_demo()
    noon = dt.datetime(2026, 6, 10, 12, 0, tzinfo=clinic.tz)
    followup = FollowUpFactory(clinic=clinic, due_at=noon, idempotency_key="demo-checkin")
    claim = dict(followups_claim_due(now=noon))[followup.pk]

    # when
    outcome = followup_deliver(followup_id=followup.pk, claim=claim, now=noon)

    # then
    assert (clinic.name, clinic.patient_facing_name) == ("Midtown Ketamine Clinic", "Midtown Clinic")
    assert outcome == "sent"
    assert sent()["demo-checkin"] == 1
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.SENT
