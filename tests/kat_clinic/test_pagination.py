"""A list page carries its count from the page's own query; the envelope and its errors are as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kat_clinic.roles import Role
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_patients(clinic):
    return [PatientFactory(home_clinic=clinic, last_name=f"Name{i}", first_name="A") for i in range(5)]


def _selects_of_patients(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if 'FROM "kat_clinic_patient"' in q["sql"]]


def test_a_page_and_its_count_are_one_query(api, scheduler, five_patients):
    # when the first page of two is asked
    with CaptureQueriesContext(connection) as queries:
        response = api(scheduler).get("/api/v1/patients/", {"page_size": 2})

    # then one query read the page and the count, and the envelope is the same
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert body["next"] == "http://testserver/api/v1/patients/?page=2&page_size=2"
    assert body["previous"] is None
    assert [p["id"] for p in body["results"]] == [p.pk for p in five_patients[:2]]
    selects = _selects_of_patients(queries)
    assert len(selects) == 1
    assert "COUNT(*) OVER ()" in selects[0]


def test_the_last_page_counts_all_and_links_back(api, scheduler, five_patients):
    # when the third page of two is asked (one patient on it)
    response = api(scheduler).get("/api/v1/patients/", {"page_size": 2, "page": 3})

    # then
    assert response.status_code == 200
    assert response.json() == {
        "count": 5,
        "next": None,
        "previous": "http://testserver/api/v1/patients/?page=2&page_size=2",
        "results": [response.json()["results"][0]],
    }
    assert response.json()["results"][0]["id"] == five_patients[4].pk


def test_last_is_the_last_page(api, scheduler, five_patients):
    response = api(scheduler).get("/api/v1/patients/", {"page_size": 2, "page": "last"})

    assert response.status_code == 200
    assert response.json()["count"] == 5
    assert [p["id"] for p in response.json()["results"]] == [five_patients[4].pk]


def test_an_empty_list_is_a_first_page_with_count_zero(api, scheduler):
    response = api(scheduler).get("/api/v1/patients/")

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_page_past_the_last_is_404_as_before(api, scheduler, five_patients):
    response = api(scheduler).get("/api/v1/patients/", {"page_size": 2, "page": 4})

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid page."


def test_a_page_past_an_empty_list_is_404(api, scheduler):
    response = api(scheduler).get("/api/v1/patients/", {"page": 2})

    assert response.status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "two", ""])
def test_a_malformed_page_number_is_400_naming_it(api, scheduler, page):
    response = api(scheduler).get("/api/v1/patients/", {"page": page})

    assert response.status_code == 400
    assert "page" in response.json()["errors"]


def test_a_distinct_list_keeps_counting_distinct_rows(api, clinic, other_clinic, make_staff):
    # given an admin at two clinics (two memberships in scope: two joined rows, one staff member)
    admin = make_staff(clinic, Role.ADMIN)
    from kat_clinic.models import ClinicMembership

    ClinicMembership.objects.create(staff=admin, clinic=other_clinic, role=Role.ADMIN)

    # when the staff list is read
    response = api(admin).get("/api/v1/staff/")

    # then the admin is counted once
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert [s["id"] for s in response.json()["results"]] == [admin.pk]


def test_the_follow_up_queue_of_one_patient_counts_its_ids_in_the_pages_query_not_a_window(
    api, scheduler, clinic, other_clinic
):
    from followups.models import FollowUp
    from tests.followups.factories import FollowUpFactory

    # given five reminders of one patient the desk sees, in due order, and one of another clinic
    # it does not (the queue of one patient is not counted by the tally, which has no patient)
    now = timezone.now()
    patient = PatientFactory(home_clinic=clinic)
    mine = [
        FollowUpFactory(
            clinic=clinic, patient=patient, kind=FollowUp.Kind.SESSION_REMINDER, due_at=now + dt.timedelta(hours=i)
        )
        for i in range(5)
    ]
    FollowUpFactory(clinic=other_clinic, kind=FollowUp.Kind.SESSION_REMINDER, due_at=now)

    # when the second page of two is asked
    with CaptureQueriesContext(connection) as queries:
        response = api(scheduler).get("/api/v1/followups/", {"patient": patient.pk, "page_size": 2, "page": 2})

    # then the envelope is as every list's, counted by one subquery of ids in the page's one query
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (
        5,
        f"http://testserver/api/v1/followups/?page=3&page_size=2&patient={patient.pk}",
        f"http://testserver/api/v1/followups/?page_size=2&patient={patient.pk}",
    )
    assert [row["id"] for row in body["results"]] == [mine[2].pk, mine[3].pk]
    selects = [q["sql"] for q in queries.captured_queries if 'FROM "followups_followup"' in q["sql"]]
    assert len(selects) == 1
    assert "(SELECT COUNT(*) FROM (SELECT" in selects[0]
    assert "OVER ()" not in selects[0]


def test_a_page_past_the_follow_up_queue_is_404_and_an_empty_queue_counts_zero(api, scheduler, clinic):
    # given an empty queue
    client = api(scheduler)

    # then its first page is empty with a count of 0, and its second is not found
    assert client.get("/api/v1/followups/").json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client.get("/api/v1/followups/", {"page": 2}).status_code == 404


def test_a_pages_count_is_read_as_postgresql_returns_it_so_no_row_of_the_page_is_converted(clinic):
    from followups.models import FollowUp
    from followups.selectors import followup_count
    from kat_clinic.api.pagination import CountOfIds, CountOverAll
    from kat_clinic.models import Patient

    # given the three ways a list's page carries its count: a window, a subquery of its ids, a tally
    counts = {
        "window": CountOverAll(),
        "ids": CountOfIds(FollowUp.objects.values("pk")),
        "tally": followup_count(Q(clinic_id=1)),
    }

    # then none has a converter: Django reads the page's rows as the driver returns them
    assert {name: count.get_db_converters(connection) for name, count in counts.items()} == dict.fromkeys(counts, [])

    # and a count arrives as the whole number it is
    PatientFactory.create_batch(2, home_clinic=clinic)
    page = list(Patient.objects.annotate(total=CountOverAll()).values_list("total", flat=True))
    assert page == [2, 2]
    assert {type(total) for total in page} == {int}
