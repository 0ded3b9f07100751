from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from followups.models import FollowUp
from kat_clinic.roles import Role
from tests.factories import PatientFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

K = FollowUp.Kind
S = FollowUp.Status


def _alert(clinic, role, **kwargs):
    return FollowUpFactory(
        clinic=clinic,
        target=FollowUp.Target.ROLE,
        role=role,
        channel=FollowUp.Channel.IN_APP,
        kind=kwargs.pop("kind", K.NO_SHOW_REVIEW),
        **kwargs,
    )


def _ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_the_queue_lists_alerts_for_my_role_at_my_clinics(api, scheduler, clinic, other_clinic):
    # given
    mine = _alert(clinic, Role.SCHEDULER)
    _alert(clinic, Role.PRESCRIBER, kind=K.REMS_FORM_DUE)
    _alert(other_clinic, Role.SCHEDULER)

    # when
    response = api(scheduler).get("/api/v1/followups/")

    # then
    assert response.status_code == 200
    assert _ids(response) == [mine.pk]


def test_the_front_desk_sees_schedule_reminders_but_no_clinical_patient_messages(api, scheduler, clinic):
    # given
    reminder = FollowUpFactory(clinic=clinic, kind=K.SESSION_REMINDER)
    FollowUpFactory(clinic=clinic, kind=K.SCALE_REQUEST)

    # when
    response = api(scheduler).get("/api/v1/followups/")

    # then
    assert _ids(response) == [reminder.pk]


def test_the_queue_filters_by_bucket(api, scheduler, clinic):
    # given
    now = timezone.now()
    upcoming = _alert(clinic, Role.SCHEDULER, due_at=now + dt.timedelta(hours=1))
    due = _alert(clinic, Role.SCHEDULER, due_at=now - dt.timedelta(minutes=1))
    overdue = _alert(clinic, Role.SCHEDULER, due_at=now - dt.timedelta(hours=1))
    sent = _alert(clinic, Role.SCHEDULER, status=S.SENT)
    failed = _alert(clinic, Role.SCHEDULER, status=S.FAILED)
    acked = _alert(clinic, Role.SCHEDULER, status=S.ACKNOWLEDGED)
    client = api(scheduler)

    # when
    buckets = {
        bucket: _ids(client.get(f"/api/v1/followups/?bucket={bucket}"))
        for bucket in ("upcoming", "due", "overdue", "sent", "failed", "acknowledged")
    }

    # then
    assert buckets == {
        "upcoming": [upcoming.pk],
        "due": [due.pk],
        "overdue": [overdue.pk],
        "sent": [sent.pk],
        "failed": [failed.pk],
        "acknowledged": [acked.pk],
    }


def test_the_queue_filters_by_clinic_and_role(api, make_staff, clinic, other_clinic):
    # given
    staff = make_staff(clinic, Role.SCHEDULER, Role.ADMIN)
    from kat_clinic.models import ClinicMembership

    ClinicMembership.objects.create(staff=staff, clinic=other_clinic, role=Role.SCHEDULER)
    here = _alert(clinic, Role.SCHEDULER)
    admin_here = _alert(clinic, Role.ADMIN, kind=K.INTEGRATION_WINDOW_CLOSING)
    there = _alert(other_clinic, Role.SCHEDULER)
    client = api(staff)

    # when
    by_clinic = _ids(client.get(f"/api/v1/followups/?clinic={other_clinic.pk}"))
    by_role = _ids(client.get(f"/api/v1/followups/?role={Role.ADMIN}"))
    everything = _ids(client.get("/api/v1/followups/"))

    # then
    assert by_clinic == [there.pk]
    assert by_role == [admin_here.pk]
    assert sorted(everything) == sorted([here.pk, admin_here.pk, there.pk])


def test_the_queue_answers_in_a_fixed_number_of_queries(api, scheduler, clinic, django_assert_max_num_queries):
    # given
    for _ in range(30):
        _alert(clinic, Role.SCHEDULER)
    client = api(scheduler)

    # when / then: memberships, count, page (+ audit writes), whatever the page size
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/followups/?bucket=due")
    assert len(response.json()["results"]) == 30


def test_acknowledging_an_alert_for_my_role(api, scheduler, clinic):
    # given
    alert = _alert(clinic, Role.SCHEDULER, status=S.SENT)

    # when
    response = api(scheduler).post(f"/api/v1/followups/{alert.pk}/acknowledge/")
    again = api(scheduler).post(f"/api/v1/followups/{alert.pk}/acknowledge/")

    # then
    assert (response.status_code, again.status_code) == (200, 200)
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by_id) == (S.ACKNOWLEDGED, scheduler.pk)


def test_an_alert_for_another_role_cannot_be_acknowledged(api, scheduler, nurse, clinic):
    # given
    alert = _alert(clinic, Role.PRESCRIBER, kind=K.REMS_FORM_DUE, status=S.SENT)

    # when
    response = api(scheduler).post(f"/api/v1/followups/{alert.pk}/acknowledge/")

    # then: not even visible to the front desk
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.status == S.SENT


def test_a_patient_message_cannot_be_acknowledged(api, nurse, clinic):
    # given
    message = FollowUpFactory(clinic=clinic, status=S.SENT)

    # when
    response = api(nurse).post(f"/api/v1/followups/{message.pk}/acknowledge/")

    # then
    assert response.status_code == 422
    message.refresh_from_db()
    assert message.status == S.SENT


def test_stop_from_a_patients_phone_opts_them_out_and_cancels_queued_sms(api, clinic, settings):
    # given
    settings.SMS_WEBHOOK_TOKEN = "s3cret"
    patient = PatientFactory(home_clinic=clinic, sms_opt_in=True, phone="+1 (212) 555-0142")
    queued = FollowUpFactory(clinic=clinic, patient=patient)

    # when
    response = api().post(
        "/api/v1/sms/inbound/", {"from": "+12125550142", "body": "STOP"}, HTTP_X_WEBHOOK_TOKEN="s3cret"
    )

    # then
    assert response.json() == {"result": "stopped"}
    patient.refresh_from_db()
    queued.refresh_from_db()
    assert patient.sms_opt_in is False
    assert (queued.status, queued.last_error) == (S.CANCELLED, "patient sent STOP")


def test_the_sms_webhook_refuses_a_caller_without_the_token(api, clinic, settings):
    # given
    settings.SMS_WEBHOOK_TOKEN = "s3cret"
    patient = PatientFactory(home_clinic=clinic, sms_opt_in=True, phone="+1 212 555 0142")

    # when
    response = api().post("/api/v1/sms/inbound/", {"from": "+12125550142", "body": "STOP"}, HTTP_X_WEBHOOK_TOKEN="no")

    # then
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.sms_opt_in is True


def test_given_roles_at_two_clinics_when_the_queue_is_filtered_by_each_then_each_shows_what_the_whole_queue_shows_there(
    api, make_staff, clinic, other_clinic
):
    # given: a nurse here who is the front desk there, and one of every kind of addressee at both
    from kat_clinic.models import ClinicMembership

    nurse = make_staff(clinic, Role.NURSE)
    ClinicMembership.objects.create(staff=nurse, clinic=other_clinic, role=Role.SCHEDULER)
    someone_else = make_staff(clinic, Role.NURSE)

    def addressed(where, **fields):
        return FollowUpFactory(clinic=where, channel=FollowUp.Channel.IN_APP, **fields)

    seen_here = [
        _alert(clinic, Role.NURSE),
        addressed(clinic, target=FollowUp.Target.STAFF, staff=nurse, kind=K.NO_SHOW_REVIEW),
        FollowUpFactory(clinic=clinic, kind=K.SCALE_REQUEST),  # a patient message, clinical
        addressed(clinic, target=FollowUp.Target.STAFF, staff=someone_else, kind=K.CRISIS_PAGE),
    ]
    _alert(clinic, Role.SCHEDULER)  # a role the nurse does not hold here
    addressed(clinic, target=FollowUp.Target.STAFF, staff=someone_else, kind=K.NO_SHOW_REVIEW)
    seen_there = [
        _alert(other_clinic, Role.SCHEDULER),
        addressed(other_clinic, target=FollowUp.Target.STAFF, staff=nurse, kind=K.NO_SHOW_REVIEW),
        FollowUpFactory(clinic=other_clinic, kind=K.SESSION_REMINDER),
    ]
    _alert(other_clinic, Role.NURSE)  # a role the nurse does not hold there
    FollowUpFactory(clinic=other_clinic, kind=K.SCALE_REQUEST)  # clinical: not the front desk's
    addressed(other_clinic, target=FollowUp.Target.STAFF, staff=someone_else, kind=K.CRISIS_PAGE)
    client = api(nurse)

    # when
    everything = _ids(client.get("/api/v1/followups/?page_size=50"))
    here = _ids(client.get(f"/api/v1/followups/?clinic={clinic.pk}&page_size=50"))
    there = _ids(client.get(f"/api/v1/followups/?clinic={other_clinic.pk}&page_size=50"))

    # then
    assert sorted(here) == sorted(f.pk for f in seen_here)
    assert sorted(there) == sorted(f.pk for f in seen_there)
    assert sorted(everything) == sorted(here + there)
