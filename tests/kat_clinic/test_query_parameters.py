"""Query parameters read by a query serializer (`QuerySerializer.read`) or a list's filter set give
the same values, or the same 400, every time; where the values depend on the query string alone
they are kept, and the same query string is not validated again (kat_clinic/api/filters.py,
kat_clinic/access/prepared_lists.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from followups.api.serializers import FollowUpQueueQuerySerializer
from interop.api.document_views import ClinicRangeQuerySerializer
from kat_clinic.api.filters import QuerySerializer, serializer_reads_its_text_alone
from kat_clinic.models import Clinic
from sessions.api.serializers import DayBoardQuerySerializer
from sessions.api.views import SessionFilter, SessionViewSet
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db


class _WithDefault(QuerySerializer):
    day = serializers.DateField(default=timezone.localdate)


class _WithFieldValidation(QuerySerializer):
    clinic = serializers.IntegerField()

    def validate_clinic(self, value):
        return value


class _WithOwnField(QuerySerializer):
    at = serializers.DateTimeField()  # read in the current zone when naive


def _counting_instances(monkeypatch, cls) -> list:
    built = []
    original = cls.__init__

    def counted(self, *args, **kwargs):
        if kwargs.get("data") is not None:  # (not the instance asked for its fields)
            built.append(kwargs["data"])
        original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", counted)
    return built


@pytest.mark.parametrize(
    ("serializer_class", "alone"),
    [
        (FollowUpQueueQuerySerializer, True),
        (DayBoardQuerySerializer, True),
        (ClinicRangeQuerySerializer, False),  # its own `validate`
        (_WithDefault, False),  # a default of its own: today's date
        (_WithFieldValidation, False),
        (_WithOwnField, False),
    ],
)
def test_given_a_query_serializer_then_its_values_are_kept_only_when_they_depend_on_the_text_alone(
    serializer_class, alone
):
    assert serializer_reads_its_text_alone(serializer_class) is alone


def test_given_a_query_string_read_before_when_read_again_then_the_same_values_without_validating(monkeypatch):
    # given
    built = _counting_instances(monkeypatch, DayBoardQuerySerializer)
    query = QueryDict("clinic=912345&date=2031-03-09")

    # when read twice
    first = DayBoardQuerySerializer.read(query)
    second = DayBoardQuerySerializer.read(QueryDict("clinic=912345&date=2031-03-09"))

    # then the same values, one serializer built for both
    assert first == second == {"clinic": 912345, "date": dt.date(2031, 3, 9)}
    assert len(built) == 1
    # and each caller has its own dict: a change to one is not the next one's
    first["clinic"] = 1
    assert DayBoardQuerySerializer.read(query)["clinic"] == 912345


def test_given_an_invalid_query_string_when_read_twice_then_both_are_refused_with_the_field_named(monkeypatch):
    # given
    built = _counting_instances(monkeypatch, FollowUpQueueQuerySerializer)

    # when / then each read refuses it, each validating
    for _ in range(2):
        with pytest.raises(ValidationError) as refused:
            FollowUpQueueQuerySerializer.read(QueryDict("clinic=5&bucket=someday"))
        assert set(refused.value.detail) == {"bucket"}
    assert len(built) == 2


def test_given_a_serializer_with_its_own_validation_then_each_read_validates(monkeypatch):
    # given
    built = _counting_instances(monkeypatch, ClinicRangeQuerySerializer)
    query = QueryDict("clinic=3&start=2031-03-01&end=2031-03-09")

    # when
    values = [ClinicRangeQuerySerializer.read(query) for _ in range(2)]

    # then
    assert values == [{"clinic": 3, "start": dt.date(2031, 3, 1), "end": dt.date(2031, 3, 9)}] * 2
    assert len(built) == 2


def _session_day(clinic) -> dict:
    return {"clinic": clinic.pk, "starts_after": "2031-03-09T00:00:00Z", "starts_before": "2031-03-10T00:00:00Z"}


def test_given_a_session_list_filtered_before_when_filtered_the_same_way_then_no_filter_set_is_built(
    api, scheduler, clinic, monkeypatch
):
    # given a first request by the same caller
    SessionViewSet._prepared_filterings.clear()
    client = api(scheduler)
    first = client.get("/api/v1/sessions/", _session_day(clinic))
    built = _counting_instances(monkeypatch, SessionFilter)

    # when the same list is asked again
    second = client.get("/api/v1/sessions/", _session_day(clinic))

    # then the same answer, with no filter set built
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert built == []


def test_given_a_clinic_not_the_callers_when_it_is_removed_between_two_lists_then_the_second_is_refused(api, scheduler):
    # given a clinic the caller does not work at: looked up, so its filtering is not kept
    SessionViewSet._prepared_filterings.clear()
    elsewhere = ClinicFactory()
    client = api(scheduler)
    assert client.get("/api/v1/sessions/", _session_day(elsewhere)).json()["count"] == 0
    assert SessionViewSet._prepared_filterings == {}

    # when the clinic is removed, and the same list asked again
    Clinic.objects.filter(pk=elsewhere.pk).delete()
    response = client.get("/api/v1/sessions/", _session_day(elsewhere))

    # then the clinic is looked up again: a 400 naming the parameter
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["clinic"]


def test_given_an_invalid_filter_when_asked_twice_then_both_are_refused(api, scheduler, clinic):
    # given
    SessionViewSet._prepared_filterings.clear()
    client = api(scheduler)
    query = {**_session_day(clinic), "starts_before": "2031-03-10T00:00:00"}  # naive: refused

    # when
    responses = [client.get("/api/v1/sessions/", query) for _ in range(2)]

    # then
    assert [r.status_code for r in responses] == [400, 400]
    assert responses[0].json() == responses[1].json()
    assert SessionViewSet._prepared_filterings == {}
