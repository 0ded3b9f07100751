from __future__ import annotations

import pytest

from followups.models import FollowUp
from integration.models import OnCallEntry
from programs.catalog import install_shipped_templates
from programs.choices import SessionKind
from programs.models import ProgramTemplate
from programs.services import enrollment_create
from tests.factories import PatientFactory
from tests.followups.factories import FollowUpFactory, SessionFactory

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


@pytest.fixture
def enrollment(patient):
    install_shipped_templates(organization=patient.organization)
    template = ProgramTemplate.objects.get(organization=patient.organization, catalog_key="ketamine_assisted_therapy")
    return enrollment_create(patient=patient, template=template, by=None)


def test_a_therapist_updates_the_integration_plan_from_a_session_and_history_keeps_each_version(
    api, therapist, clinic, patient, enrollment
):
    # given
    session = SessionFactory(clinic=clinic, patient=patient, kind=SessionKind.INTEGRATION)
    client = api(therapist)
    first = client.post(
        "/api/v1/integration-plans/",
        {"enrollment": enrollment.pk, "themes": ["grief"], "goals": ["Call my sister weekly"]},
    )

    # when
    second = client.post(
        "/api/v1/integration-plans/",
        {
            "enrollment": enrollment.pk,
            "session": session.pk,
            "expected_version": 1,
            "practices": ["Morning walk"],
            "homework": "Journal after each walk.",
        },
    )

    # then
    assert (first.status_code, second.status_code) == (200, 200)
    body = second.json()
    assert (body["version"], body["themes"], body["practices"], body["last_session"]) == (
        2,
        ["grief"],
        ["Morning walk"],
        session.pk,
    )
    history = client.get(f"/api/v1/integration-plans/{body['id']}/history/").json()
    assert [(h["version"], h["practices"], h["last_session"]) for h in history] == [
        (1, [], None),
        (2, ["Morning walk"], session.pk),
    ]


def test_a_stale_plan_version_is_refused_and_nothing_changes(api, therapist, enrollment):
    # given
    client = api(therapist)
    client.post("/api/v1/integration-plans/", {"enrollment": enrollment.pk, "themes": ["grief"]})
    client.post("/api/v1/integration-plans/", {"enrollment": enrollment.pk, "themes": ["grief", "work"]})

    # when
    response = client.post(
        "/api/v1/integration-plans/", {"enrollment": enrollment.pk, "expected_version": 1, "themes": ["other"]}
    )

    # then
    assert response.status_code == 412
    assert enrollment.integration_plan.themes == ["grief", "work"]


def test_the_front_desk_cannot_read_integration_plans(api, scheduler, therapist, enrollment):
    # given
    api(therapist).post("/api/v1/integration-plans/", {"enrollment": enrollment.pk, "themes": ["grief"]})

    # when
    response = api(scheduler).get("/api/v1/integration-plans/")

    # then
    assert response.status_code == 403


def test_a_plan_for_another_clinics_enrollment_is_refused(api, therapist, other_clinic):
    # given
    theirs = PatientFactory(home_clinic=other_clinic)
    install_shipped_templates(organization=theirs.organization)
    template = ProgramTemplate.objects.get(organization=theirs.organization, catalog_key="ketamine_assisted_therapy")
    enrollment = enrollment_create(patient=theirs, template=template, by=None)

    # when
    response = api(therapist).post("/api/v1/integration-plans/", {"enrollment": enrollment.pk, "themes": ["x"]})

    # then
    assert response.status_code == 400
    assert "enrollment" in response.json()["errors"]
    assert not hasattr(enrollment, "integration_plan") or enrollment.integration_plan is None


def test_an_admin_sets_the_on_call_list_in_order(api, admin_staff, nurse, prescriber, clinic):
    # when
    response = api(admin_staff).post(
        "/api/v1/on-call/replace/", {"clinic": clinic.pk, "staff": [prescriber.pk, nurse.pk]}, format="json"
    )

    # then
    assert response.status_code == 200
    assert [(e["staff"], e["position"]) for e in response.json()] == [(prescriber.pk, 1), (nurse.pk, 2)]


def test_only_clinicians_can_be_on_call(api, admin_staff, scheduler, clinic):
    # when
    response = api(admin_staff).post("/api/v1/on-call/replace/", {"clinic": clinic.pk, "staff": [scheduler.pk]})

    # then
    assert response.status_code == 422
    assert not OnCallEntry.objects.exists()
