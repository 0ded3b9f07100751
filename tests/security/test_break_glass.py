from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kat_clinic.models import AuditEvent, BreakGlassAccess
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
REASON = "Patient arrived at our ER, needs medication history now."


def test_a_clinician_opens_another_clinics_patient_with_a_reason_and_it_is_flagged(api, nurse, other_clinic):
    # given
    theirs = PatientFactory(home_clinic=other_clinic)
    client = api(nurse)
    assert client.get(f"/api/v1/patients/{theirs.pk}/").status_code == 404

    # when
    grant = client.post("/api/v1/break-glass/", {"patient": theirs.pk, "reason": REASON})
    opened = client.get(f"/api/v1/patients/{theirs.pk}/")

    # then
    assert grant.status_code == 201
    assert opened.status_code == 200
    assert opened.json()["id"] == theirs.pk
    access = BreakGlassAccess.objects.get()
    assert (access.user_id, access.patient_id, access.reason, access.reviewed_at) == (
        nurse.user_id,
        theirs.pk,
        REASON,
        None,
    )
    assert access.expires_at - access.granted_at == dt.timedelta(hours=1)
    flagged = AuditEvent.objects.filter(break_glass=True).order_by("id")
    assert [(e.action, e.patient_ids) for e in flagged] == [("post", [theirs.pk]), ("retrieve", [theirs.pk])]


def test_break_glass_ends_when_the_grant_expires(api, nurse, other_clinic):
    # given
    theirs = PatientFactory(home_clinic=other_clinic)
    client = api(nurse)
    client.post("/api/v1/break-glass/", {"patient": theirs.pk, "reason": REASON})
    now = timezone.now()
    BreakGlassAccess.objects.update(granted_at=now - dt.timedelta(hours=2), expires_at=now - dt.timedelta(seconds=1))

    # when
    response = client.get(f"/api/v1/patients/{theirs.pk}/")

    # then
    assert response.status_code == 404


def test_break_glass_needs_a_written_reason(api, nurse, other_clinic):
    theirs = PatientFactory(home_clinic=other_clinic)
    response = api(nurse).post("/api/v1/break-glass/", {"patient": theirs.pk, "reason": "need"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["reason"]
    assert BreakGlassAccess.objects.count() == 0


def test_the_front_desk_cannot_break_glass(api, scheduler, other_clinic):
    theirs = PatientFactory(home_clinic=other_clinic)
    response = api(scheduler).post("/api/v1/break-glass/", {"patient": theirs.pk, "reason": REASON})
    assert response.status_code == 403
    assert BreakGlassAccess.objects.count() == 0


def test_break_glass_opens_reading_only(api, nurse, other_clinic):
    # given
    theirs = PatientFactory(home_clinic=other_clinic, phone="+1 212 555 0100")
    client = api(nurse)
    client.post("/api/v1/break-glass/", {"patient": theirs.pk, "reason": REASON})

    # when
    response = client.patch(f"/api/v1/patients/{theirs.pk}/", {"phone": "+1 000 000 0000"})

    # then
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.phone == "+1 212 555 0100"


def test_reading_a_patient_costs_the_same_queries_with_or_without_a_grant(api, nurse, clinic, other_clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # given a patient of the nurse's clinic, another clinic's patient and a grant for a third one
    ours = PatientFactory(home_clinic=clinic)
    theirs = PatientFactory(home_clinic=other_clinic)
    granted = PatientFactory(home_clinic=other_clinic)
    BreakGlassAccess.objects.create(
        user=nurse.user, patient=granted, reason=REASON, expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    client = APIClient(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=nurse.user)[1]}")

    # when each is read: the token with the roles, the patient with the grants as a subquery, the
    # audit row (the savepoints around the read are the test's own transaction's)
    answers, statements = {}, {}
    for patient in (ours, theirs, granted):
        with CaptureQueriesContext(connection) as queries:
            answers[patient.pk] = client.get(f"/api/v1/patients/{patient.pk}/").status_code
        statements[patient.pk] = [q["sql"].split()[0] for q in queries if "SAVEPOINT" not in q["sql"]]

    # then the grant opens only its patient, and only its read is flagged
    assert answers == {ours.pk: 200, theirs.pk: 404, granted.pk: 200}
    assert list(statements.values()) == [["SELECT", "SELECT", "INSERT"]] * 3
    flagged = AuditEvent.objects.filter(break_glass=True).values_list("patient_ids", flat=True)
    assert list(flagged) == [[granted.pk]]
