"""Query parameters are validated like bodies: an invalid or blank value is a 400 naming the parameter,
never a silent 200 as if the parameter were absent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import get_resolver

from kat_clinic.api.filters import StrictFilterBackend, StrictFilterSet
from kat_clinic.models import AuditEvent, Clinic
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _refused(response, parameter: str) -> list[str]:
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM), response.content
    errors = response.json()["errors"]
    assert list(errors) == [parameter]
    return errors[parameter]


@pytest.mark.parametrize(
    ("who", "url", "parameter", "message"),
    [
        ("admin_staff", "/api/v1/audit-events/?user=0.5", "user", "Enter a whole number."),
        ("admin_staff", "/api/v1/audit-events/?patient=", "patient", "Give a value, or leave the parameter out."),
        ("admin_staff", "/api/v1/audit-events/?outcome=", "outcome", "Give a value, or leave the parameter out."),
        ("scheduler", "/api/v1/patients/?page_size=null", "page_size", "Give a whole number from 1 to 200."),
        ("scheduler", "/api/v1/patients/?page_size=0", "page_size", "Give a whole number from 1 to 200."),
        ("scheduler", "/api/v1/patients/?page=", "page", "Give a page number from 1, or 'last'."),
        ("scheduler", "/api/v1/patients/?home_clinic=", "home_clinic", "Give a value, or leave the parameter out."),
        ("scheduler", "/api/v1/sessions/?staff=1.5", "staff", "Enter a whole number."),
        ("scheduler", "/api/v1/sessions/?enrollment=", "enrollment", "Give a value, or leave the parameter out."),
        ("nurse", "/api/v1/followups/?role=", "role", '"" is not a valid choice.'),
        ("nurse", "/api/v1/followups/?patient=", "patient", "A valid integer is required."),
    ],
)
def test_an_invalid_or_blank_query_value_is_a_400_naming_the_parameter(request, api, who, url, parameter, message):
    # when
    response = api(request.getfixturevalue(who)).get(url)

    # then
    assert _refused(response, parameter) == [message]


@pytest.mark.parametrize("url", ["/api/v1/sessions/?enrollment=null", "/api/v1/chart/scale-responses/?enrollment=null"])
def test_null_is_not_an_id(api, nurse, url):
    assert _refused(api(nurse).get(url), "enrollment") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_valid_values_still_filter(api, admin_staff, nurse, clinic):
    # given: two patients read, one of them by the nurse
    first, second = PatientFactory(home_clinic=clinic), PatientFactory(home_clinic=clinic)
    api(nurse).get(f"/api/v1/patients/{first.pk}/")
    api(admin_staff).get("/api/v1/audit-events/")
    assert AuditEvent.objects.count() == 2

    # when
    response = api(admin_staff).get(f"/api/v1/audit-events/?user={nurse.user_id}&page_size=500&page=1")

    # then: the nurse's one row; a size above the maximum is the maximum
    assert response.status_code == 200
    assert [(r["username"], r["patient_ids"]) for r in response.json()["results"]] == [
        (nurse.user.username, [first.pk])
    ]
    assert second.pk not in response.json()["results"][0]["patient_ids"]


@pytest.mark.parametrize("value", ["", None])
def test_a_blank_quiet_hours_end_is_refused_and_the_clinic_keeps_its_hours(api, admin_staff, clinic, value):
    # given
    Clinic.objects.filter(pk=clinic.pk).update(quiet_hours_end=dt.time(7, 30))

    # when
    response = api(admin_staff).patch(f"/api/v1/clinics/{clinic.pk}/", {"quiet_hours_end": value})

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["quiet_hours_end"]
    assert Clinic.objects.get(pk=clinic.pk).quiet_hours_end == dt.time(7, 30)


def test_every_list_filters_through_the_strict_filter_sets():
    # given
    views = set()

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns)
            elif getattr(pattern.callback, "cls", None) is not None:
                views.add(pattern.callback.cls)

    walk(get_resolver().url_patterns)

    # when
    loose = {
        view.__name__
        for view in views
        if getattr(view, "filterset_class", None) and not issubclass(view.filterset_class, StrictFilterSet)
    }
    other_backends = {
        view.__name__
        for view in views
        for backend in getattr(view, "filter_backends", [])
        if not issubclass(backend, StrictFilterBackend)
    }

    # then
    assert loose == set()
    assert other_backends == set()


def test_without_parameters_the_filter_backend_leaves_the_queryset_as_the_filter_set_would(rf):
    from django_filters import rest_framework as filters
    from rest_framework.exceptions import ValidationError
    from rest_framework.request import Request

    from kat_clinic.models import Patient

    class Optional(StrictFilterSet):
        class Meta:
            model = Patient
            fields = ["home_clinic"]

    class Required(StrictFilterSet):
        home_clinic = filters.NumberFilter(required=True)

        class Meta:
            model = Patient
            fields = ["home_clinic"]

    class View:
        filterset_class = None

    queryset = Patient.objects.all()
    request = Request(rf.get("/api/v1/patients/"))
    backend = StrictFilterBackend()

    # an optional filter set given nothing: the queryset itself, no form built
    View.filterset_class = Optional
    assert backend.filter_queryset(request, queryset, View()) is queryset
    # a required parameter missing: still django-filter's 400
    View.filterset_class = Required
    with pytest.raises(ValidationError):
        backend.filter_queryset(request, queryset, View())
