"""Measurement-based care per course: a response keeps its enrollment, and the trend reads one course."""

from __future__ import annotations

import pytest

from monitoring.models import ScaleResponse
from programs.catalog import install_shipped_templates
from programs.models import Enrollment, ProgramTemplate
from programs.services import enrollment_create
from tests.monitoring.factories import SessionFactory

pytestmark = pytest.mark.django_db

PHQ9 = {20: [3, 3, 3, 3, 3, 3, 2, 0, 0], 10: [3, 3, 3, 1, 0, 0, 0, 0, 0], 4: [3, 1, 0, 0, 0, 0, 0, 0, 0]}
PHQ9.update({18: [3, 3, 3, 3, 3, 3, 0, 0, 0], 16: [3, 3, 3, 3, 3, 1, 0, 0, 0]})


@pytest.fixture
def courses(organization, patient):
    """A first course (completed) and the current one, of the same program."""
    install_shipped_templates(organization=organization)
    template = ProgramTemplate.objects.get(organization=organization, catalog_key="ketamine_assisted_therapy")
    first = enrollment_create(patient=patient, template=template, by=None)
    Enrollment.objects.filter(pk=first.pk).update(status=Enrollment.Status.COMPLETED)
    current = enrollment_create(patient=patient, template=template, by=None)
    return first, current


def _post(client, patient, total, **extra):
    body = {"patient": patient.pk, "scale": "phq9", "answers": PHQ9[total], **extra}
    return client.post("/api/v1/chart/scale-responses/", body)


def test_responses_keep_their_course_and_the_trend_reads_one_course(api, therapist, patient, courses):
    # given: the first course scored 20 -> 10 -> 4 (enrollment given); the current one 18 -> 16, given in
    # a session of the current course without naming the enrollment
    first, current = courses
    client = api(therapist)
    session = SessionFactory(patient=patient, enrollment=current)
    posted = [_post(client, patient, total, enrollment=first.pk) for total in (20, 10, 4)]
    posted += [_post(client, patient, total, session=session.pk) for total in (18, 16)]

    # when
    trend_first = client.get(f"/api/v1/chart/scale-responses/trend/?patient={patient.pk}&enrollment={first.pk}")
    trend_current = client.get(f"/api/v1/chart/scale-responses/trend/?patient={patient.pk}&enrollment={current.pk}")

    # then: each response kept its course
    assert [(r.status_code, r.json()["enrollment"]) for r in posted] == [(201, first.pk)] * 3 + [(201, current.pk)] * 2
    # and baseline / response / remission are per course
    assert trend_first.status_code == trend_current.status_code == 200
    (one,), (two,) = trend_first.json(), trend_current.json()
    assert (one["baseline"], one["latest"], one["response"], one["remission"], one["change_percent"]) == (
        20,
        4,
        True,
        True,
        "80.0",
    )
    assert (two["baseline"], two["latest"], two["response"], two["remission"], two["change_percent"]) == (
        18,
        16,
        False,
        False,
        "11.1",
    )


def test_a_response_naming_another_course_than_its_session_is_refused(api, therapist, patient, courses):
    # given
    first, current = courses
    session = SessionFactory(patient=patient, enrollment=current)

    # when
    response = _post(api(therapist), patient, 20, session=session.pk, enrollment=first.pk)

    # then
    assert (response.status_code, list(response.json()["errors"])) == (422, ["enrollment"])
    assert not ScaleResponse.objects.exists()


def test_a_malformed_enrollment_filter_is_a_field_error(api, therapist, patient):
    response = api(therapist).get(f"/api/v1/chart/scale-responses/trend/?patient={patient.pk}&enrollment=abc")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["enrollment"])
