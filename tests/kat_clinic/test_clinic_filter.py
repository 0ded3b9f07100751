"""A list filtered by one of the caller's clinics takes the clinic from the caller's roles (no query);
any other clinic id is looked up as before: a missing one is a 400 naming the parameter, one that
exists gives nothing the caller's scope does not allow."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kat_clinic.models import Clinic, ClinicMembership
from kat_clinic.roles import Role
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def clinic_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "kat_clinic_clinic"' in q["sql"]]


def test_given_my_clinic_when_i_filter_patients_by_it_then_mine_come_back_and_the_clinic_is_not_read(
    api, scheduler, clinic, other_clinic
):
    # given
    adams = PatientFactory(home_clinic=clinic, last_name="Adams")
    PatientFactory(home_clinic=other_clinic, last_name="Baker")
    client = api(scheduler)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/patients/", {"home_clinic": clinic.pk})

    # then
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [adams.pk]
    assert clinic_reads(queries.captured_queries) == []


def test_given_a_clinic_that_is_not_mine_when_i_filter_by_it_then_it_is_read_and_nothing_of_it_comes_back(
    api, scheduler, other_clinic
):
    # given
    PatientFactory(home_clinic=other_clinic, last_name="Baker")
    client = api(scheduler)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/patients/", {"home_clinic": other_clinic.pk})

    # then
    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert len(clinic_reads(queries.captured_queries)) == 1


def test_given_no_such_clinic_when_i_filter_by_it_then_400_names_the_parameter(api, scheduler, clinic):
    # given
    missing = Clinic.objects.order_by("-pk").values_list("pk", flat=True).first() + 1

    # when
    response = api(scheduler).get("/api/v1/sessions/", {"clinic": missing})

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["clinic"]


@pytest.mark.parametrize("value", ["abc", "1.5", " "])
def test_given_a_clinic_that_is_not_an_id_when_i_filter_by_it_then_400_names_the_parameter(api, scheduler, value):
    response = api(scheduler).get("/api/v1/sessions/", {"clinic": value})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["clinic"]


def test_given_a_clinic_i_left_when_i_filter_by_it_then_it_is_looked_up_and_nothing_of_it_comes_back(
    api, scheduler, clinic, other_clinic
):
    # given: the scheduler moved from one clinic to the other
    PatientFactory(home_clinic=clinic, last_name="Adams")
    ClinicMembership.objects.create(staff=scheduler, clinic=other_clinic, role=Role.SCHEDULER)
    scheduler.memberships.filter(clinic=clinic).update(active=False)
    client = api(scheduler)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/patients/", {"home_clinic": clinic.pk})

    # then: no longer one of the caller's clinics, so it is read, and none of its patients is shown
    assert len(clinic_reads(queries.captured_queries)) == 1
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_given_one_caller_filtered_by_their_clinic_when_another_filters_by_it_then_it_is_read_for_them(
    api, scheduler, clinic, other_clinic, make_staff
):
    # given: the filter's form class is kept between requests; the first caller works at `clinic`
    PatientFactory(home_clinic=clinic, last_name="Adams")
    elsewhere = make_staff(other_clinic, Role.SCHEDULER)
    assert api(scheduler).get("/api/v1/patients/", {"home_clinic": clinic.pk}).json()["count"] == 1

    # when: a caller who does not work there asks for it
    with CaptureQueriesContext(connection) as queries:
        response = api(elsewhere).get("/api/v1/patients/", {"home_clinic": clinic.pk})

    # then: the first caller's clinics did not carry over: it is read, and none of its patients shown
    assert len(clinic_reads(queries.captured_queries)) == 1
    assert response.status_code == 200
    assert response.json()["count"] == 0
