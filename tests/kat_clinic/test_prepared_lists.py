"""A list answered by its prepared query (kat_clinic/access/prepared_lists.py) answers exactly as
DRF's path: the same rows, count, links and errors, the same scope and the same audit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kat_clinic.api.views import PatientViewSet
from kat_clinic.models import AuditEvent
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

QUERIES = [
    "",
    "search=a",
    "search=Ad",
    "search=%25",  # a literal percent sign: matches only names starting with one
    "search=_",
    "search=MRN-X",
    "mrn=MRN-X",
    "home_clinic={clinic}",
    "home_clinic={clinic}&search=b",
    "page_size=2",
    "page_size=2&page=2",
    "page_size=2&page=3",
    "page_size=2&page=9",  # past the last page: 404
    "search=zzz",  # nothing: an empty first page, count 0
    "search=zzz&page=2",  # 404
    "page=last&page_size=2",
    "search=%20",  # blank: 400
    "home_clinic=abc",  # 400
    "home_clinic=999999",  # 400
    "page_size=0",  # 400
    "page=x",  # 400
]


@pytest.fixture
def patients(clinic, other_clinic):
    names = [("Ada", "Adams"), ("Ben", "Baker"), ("ada", "bell"), ("%Pct", "Odd"), ("_Under", "Score"), ("Cy", "Ames")]
    mine = [PatientFactory(home_clinic=clinic, first_name=first, last_name=last) for first, last in names]
    mine.append(PatientFactory(home_clinic=clinic, first_name="Mo", last_name="Nash", mrn="MRN-X"))
    PatientFactory(home_clinic=other_clinic, first_name="Ada", last_name="Abbott")  # never listed
    return mine


def _both_paths(api, user, path, monkeypatch):
    """The answer of the prepared path, then DRF's (the view told it prepares no filter)."""
    prepared = api(user).get(path)
    with monkeypatch.context() as patched:
        patched.setattr(PatientViewSet, "prepared_filters", frozenset())
        plain = api(user).get(path)
    return prepared, plain


@pytest.mark.parametrize("query", QUERIES)
def test_given_patients_when_listed_then_the_prepared_path_answers_as_drfs(
    api, scheduler, clinic, patients, monkeypatch, query
):
    # when
    path = "/api/v1/patients/?" + query.format(clinic=clinic.pk)
    prepared, plain = _both_paths(api, scheduler, path, monkeypatch)

    # then the same status and body, byte for byte
    assert prepared.status_code == plain.status_code
    assert prepared.content == plain.content
    # and no other clinic's patient, on either path
    if prepared.status_code == 200:
        assert all(row["home_clinic"] == clinic.pk for row in prepared.json()["results"])


def test_given_a_search_then_the_page_holds_exactly_the_matching_patients(api, scheduler, clinic, patients):
    # when
    body = api(scheduler).get("/api/v1/patients/", {"search": "a"}).json()

    # then Adams, Ames and bell's first name "ada", by last name; not Abbott of the other clinic
    assert body["count"] == 3
    assert [(row["last_name"], row["first_name"]) for row in body["results"]] == [
        ("Adams", "Ada"),
        ("Ames", "Cy"),
        ("bell", "ada"),
    ]
    assert [p["last_name"] for p in api(scheduler).get("/api/v1/patients/", {"search": "%"}).json()["results"]] == [
        "Odd"
    ]


def test_given_the_same_filters_with_other_values_then_nothing_is_built_again(api, scheduler, clinic, patients):
    # given a first search, which builds and compiles its variant
    PatientViewSet._prepared_variants.clear()
    client = api(scheduler)
    assert client.get("/api/v1/patients/", {"search": "a"}).status_code == 200
    ((variant, _plan),) = PatientViewSet._prepared_variants.values()

    # when searched again for another letter
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/patients/", {"search": "b"}).json()

    # then the same variant ran, compiled once, with the new value
    assert list(PatientViewSet._prepared_variants) == [(("search",), 50, 1, True)]
    assert PatientViewSet._prepared_variants[(("search",), 50, 1, True)][0] is variant
    assert len(variant._compiled) == 1
    patient_reads = [q["sql"] for q in queries.captured_queries if 'FROM "kat_clinic_patient"' in q["sql"]]
    assert len(patient_reads) == 1 and "= ANY(" in patient_reads[0]
    assert [row["last_name"] for row in body["results"]] == ["Baker", "bell"]


def test_given_a_prepared_list_then_each_patient_read_is_audited_with_its_clinic(api, scheduler, clinic, patients):
    # when
    body = api(scheduler).get("/api/v1/patients/", {"search": "b"}).json()

    # then
    event = AuditEvent.objects.get(resource_type="patient", action="list")
    assert event.patient_ids == [row["id"] for row in body["results"]]
    assert event.clinic_id == clinic.pk
