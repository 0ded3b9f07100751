"""A values() query over ids, compiled once and run again with other ids, answers exactly what the
queryset itself answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import DateTimeField, OuterRef, Q, Value
from django.db.models.functions import Concat, JSONObject
from django.test.utils import CaptureQueriesContext

from kat_clinic.compiled_query import IdsQuery, Param, ParamIds, Prepared
from kat_clinic.models import Clinic, Room
from tests.factories import ClinicFactory, RoomFactory

pytestmark = pytest.mark.django_db


class CountingBuild:
    """Builds clinics with their active rooms as JSON, and counts how often it was asked to."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return Clinic.objects.values("pk", "name", "timezone").annotate(
            rooms=ArraySubquery(
                Room.objects.filter(clinic_id=OuterRef("pk"), active=True)
                .order_by("name")
                .values(json=JSONObject(name="name", active="active"))
            )
        )


@pytest.fixture
def clinics():
    first, second, third = ClinicFactory(name="North"), ClinicFactory(name="South"), ClinicFactory(name="East")
    RoomFactory(clinic=first, name="Chair 2")
    RoomFactory(clinic=first, name="Chair 1")
    RoomFactory(clinic=first, name="Closed", active=False)
    RoomFactory(clinic=third, name="Suite")
    return first, second, third


def test_given_ids_when_run_then_the_rows_are_the_querysets_own_with_json_decoded(clinics):
    # given
    first, second, _third = clinics
    build = CountingBuild()

    # when
    rows = IdsQuery(build).rows([first.pk, second.pk])

    # then
    expected = list(build().filter(pk__in=[first.pk, second.pk]))
    assert sorted(rows, key=lambda r: r["pk"]) == sorted(expected, key=lambda r: r["pk"])
    by_name = {r["name"]: r for r in rows}
    assert by_name["North"]["rooms"] == [{"name": "Chair 1", "active": True}, {"name": "Chair 2", "active": True}]
    assert by_name["South"]["rooms"] == []
    assert set(by_name) == {"North", "South"}


def test_given_a_second_call_with_other_ids_then_it_is_not_built_again_and_answers_those_ids(clinics):
    # given a query already run once
    first, second, third = clinics
    build = CountingBuild()
    query = IdsQuery(build)
    query.rows([first.pk])

    # when it runs with other ids
    with CaptureQueriesContext(connection) as queries:
        rows = query.rows([second.pk, third.pk])

    # then it was built once, ran one statement, and answered only the new ids
    assert build.calls == 1
    assert len(queries.captured_queries) == 1
    assert sorted(r["name"] for r in rows) == ["East", "South"]
    assert {r["name"]: r["rooms"] for r in rows}["East"] == [{"name": "Suite", "active": True}]


def test_given_no_ids_then_nothing_is_read():
    with CaptureQueriesContext(connection) as queries:
        assert IdsQuery(CountingBuild()).rows([]) == []
    assert queries.captured_queries == []


def test_given_a_queryset_of_instances_then_it_is_refused():
    with pytest.raises(TypeError, match="values"):
        IdsQuery(lambda: Clinic.objects.all()).rows([1])


# Built on first use, as the app's own are.
ROOMS_OF_CLINIC = Prepared(
    lambda: Room.objects.filter(clinic_id=Param("clinic"), active=True).select_related("clinic").order_by("name", "pk")
)


def _rooms_of_clinic() -> Prepared:
    return ROOMS_OF_CLINIC


def test_given_a_prepared_queryset_when_bound_then_its_rows_are_model_instances_with_their_related_rows(clinics):
    # given
    first, second, third = clinics
    rooms = _rooms_of_clinic()

    # when it runs for two clinics, one after the other
    north = list(rooms.bind(clinic=first.pk))
    with CaptureQueriesContext(connection) as queries:
        east = list(rooms.bind(clinic=third.pk))

    # then each answers its own clinic's active rooms, in order, as saved instances, with the
    # clinic joined (not read again), in one statement
    assert [(r.name, r.clinic_id) for r in north] == [("Chair 1", first.pk), ("Chair 2", first.pk)]
    assert [(r.name, r.clinic_id) for r in east] == [("Suite", third.pk)]
    assert north == list(Room.objects.filter(clinic=first, active=True).order_by("name", "pk"))
    assert not north[0]._state.adding
    assert len(queries.captured_queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert east[0].clinic.name == "East"
    assert queries.captured_queries == []
    # and `first` answers the first row in the built order, or None
    assert rooms.first(clinic=first.pk).name == "Chair 1"
    assert rooms.first(clinic=second.pk) is None


def test_given_a_row_changed_between_runs_then_the_next_run_reads_it(clinics):
    # given
    first, _second, _third = clinics
    rooms = _rooms_of_clinic()
    assert [r.name for r in rooms.bind(clinic=first.pk)] == ["Chair 1", "Chair 2"]

    # when a room closes
    Room.objects.filter(clinic=first, name="Chair 1").update(active=False)

    # then the next run leaves it out
    assert [r.name for r in rooms.bind(clinic=first.pk)] == ["Chair 2"]


def test_given_a_bound_queryset_then_it_cannot_be_filtered_sliced_or_counted_again(clinics):
    first, _second, _third = clinics
    bound = _rooms_of_clinic().bind(clinic=first.pk)
    for change in (lambda q: q.filter(name="Chair 1"), lambda q: q[:1], lambda q: q.count(), lambda q: q.first()):
        with pytest.raises(TypeError, match="runs as it was built"):
            change(bound)


def test_given_other_parameters_than_the_query_names_then_it_is_refused(clinics):
    first, _second, _third = clinics
    rooms = _rooms_of_clinic()
    list(rooms.bind(clinic=first.pk))  # compiled
    with pytest.raises(TypeError, match="parameters are \\['clinic'\\]"):
        list(rooms.bind(patient=first.pk))


def test_given_constants_in_the_query_then_they_are_written_into_its_sql_once_and_only_params_are_sent(clinics):
    # given a query whose constants are texts with a quote and percent signs, a list and a
    # date-time, and whose one Param is a list of clinics
    first, _second, third = clinics
    RoomFactory(clinic=first, name="O'Brien 100%")
    since = dt.datetime(2020, 2, 29, 23, 30, tzinfo=dt.UTC)
    prepared = Prepared(
        lambda: (
            Room.objects.filter(
                Q(name__in=["O'Brien 100%", "Chair 1"]) | Q(name__startswith="Su"),
                clinic_id__in_array=ParamIds("clinics"),
            )
            .annotate(label=Concat("name", Value(" – 50% off")), since=Value(since, output_field=DateTimeField()))
            .order_by("name")
            .values_list("name", "label", "since")
        )
    )
    sent = []

    def record(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    # when
    with connection.execute_wrapper(record):
        rows = list(prepared.bind(clinics=[first.pk, third.pk]))

    # then: the queryset's own rows; the constants in the statement's text, only the Param sent
    assert rows == [
        ("Chair 1", "Chair 1 – 50% off", since),
        ("O'Brien 100%", "O'Brien 100% – 50% off", since),
        ("Suite", "Suite – 50% off", since),
    ]
    assert rows == list(
        Room.objects.filter(
            Q(name__in=["O'Brien 100%", "Chair 1"]) | Q(name__startswith="Su"), clinic_id__in=[first.pk, third.pk]
        )
        .annotate(label=Concat("name", Value(" – 50% off")), since=Value(since, output_field=DateTimeField()))
        .order_by("name")
        .values_list("name", "label", "since")
    )
    ((sql, params),) = sent
    assert params == ([first.pk, third.pk],)
    assert "'O''Brien 100%%'" in sql and "' – 50%% off'" in sql and "'2020-02-29T23:30:00+00:00'" in sql
