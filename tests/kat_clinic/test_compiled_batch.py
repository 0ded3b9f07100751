"""Several prepared queries answered by one statement (kat_clinic/compiled_batch.py): each one's rows
are exactly what iterating its bound queryset gives, instances, tuples and named tuples alike, with
their dates, times, date-times, nulls, arrays, decimals and JSON documents; a field JSON would
change is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kat_clinic.compiled_batch import read_together
from kat_clinic.compiled_query import Param, ParamIds, Prepared
from kat_clinic.models import AuditEvent, Licence, PatientWeight, Room
from kat_clinic.roles import Role
from monitoring.models import ContraindicationScreen
from sessions.models import ClinicClosure, WorkingHours
from tests.factories import PatientFactory, RoomFactory
from tests.monitoring.factories import ScreenFactory
from tests.sessions.factories import WorkingHoursFactory

pytestmark = pytest.mark.django_db

ROOMS = Prepared(lambda: Room.objects.filter(clinic_id=Param("clinic")).order_by("pk"))
CLOSURES = Prepared(
    lambda: (
        ClinicClosure.objects.filter(clinic_id=Param("clinic"))
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
    )
)
HOURS = Prepared(
    lambda: (
        WorkingHours.objects.filter(staff_id__in_array=ParamIds("staff"))
        .order_by("pk")
        .values_list("staff_id", "weekday", "start_time", "end_time", "valid_from", "valid_until", named=True)
    )
)
LICENCES = Prepared(lambda: Licence.objects.filter(staff_id__in_array=ParamIds("staff")).order_by("pk"))
WEIGHTS = Prepared(lambda: PatientWeight.objects.filter(patient_id=Param("patient")).order_by("measured_at"))
REQUEST_IDS = Prepared(lambda: AuditEvent.objects.filter(pk=Param("pk")).values_list("request_id"))
SCREENS = Prepared(lambda: ContraindicationScreen.objects.filter(patient_id=Param("patient")).order_by("pk"))


def _fields(instance) -> tuple:
    return tuple(getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields)


def test_given_rows_of_several_kinds_when_read_together_then_each_is_what_its_queryset_gives(
    clinic, make_staff, django_assert_num_queries
):
    # given rooms with and without capabilities, closures at odd instants, hours with and without an
    # end date, licences with and without an issue date
    RoomFactory(clinic=clinic, name="Chair", kind=Room.Kind.INFUSION_CHAIR, capabilities=["monitored", "iv"])
    RoomFactory(clinic=clinic, name="Office", kind=Room.Kind.CONSULT_ROOM, capabilities=[])
    new_york = dt.timezone(dt.timedelta(hours=-5))
    ClinicClosure.objects.create(
        clinic=clinic,
        starts_at=dt.datetime(2027, 3, 14, 1, 59, 59, 500000, tzinfo=new_york),
        ends_at=dt.datetime(2027, 3, 14, 3, 0, 0, 1, tzinfo=new_york),
    )
    ClinicClosure.objects.create(
        clinic=clinic,
        starts_at=dt.datetime(2027, 12, 24, 12, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 12, 26, tzinfo=dt.UTC),
    )
    nurse = make_staff(clinic, Role.NURSE)
    WorkingHoursFactory(staff=nurse, clinic=clinic, weekday=2, start_time=dt.time(7, 30), end_time=dt.time(15, 45, 30))
    WorkingHoursFactory(staff=nurse, clinic=clinic, weekday=4, valid_until=dt.date(2027, 2, 28))
    Licence.objects.create(
        staff=nurse, kind="rn", state="NY", number="1", issued_on=None, expires_on=dt.date(2028, 1, 1)
    )
    Licence.objects.create(
        staff=nurse, kind="rn", state="NJ", number="2", issued_on=dt.date(2020, 5, 1), expires_on=dt.date(2026, 5, 1)
    )
    runs = (
        (ROOMS, {"clinic": clinic.pk}),
        (CLOSURES, {"clinic": clinic.pk}),
        (HOURS, {"staff": [nurse.pk]}),
        (LICENCES, {"staff": [nurse.pk]}),
        (LICENCES, {"staff": []}),
    )

    # when read together, in one statement
    with django_assert_num_queries(1):
        rooms, closures, hours, licences, none = read_together(*runs)

    # then each query's rows are those its bound queryset gives, value for value and type for type
    one_by_one = [list(prepared.bind(**values)) for prepared, values in runs]
    assert [type(r) for r in rooms] == [Room, Room] and [_fields(r) for r in rooms] == [
        _fields(r) for r in one_by_one[0]
    ]
    assert rooms[0].capabilities == ["monitored", "iv"] and rooms[1].capabilities == []
    assert not rooms[0]._state.adding and rooms[0]._state.db == "default"
    assert closures == one_by_one[1]
    assert closures[0] == (
        dt.datetime(2027, 3, 14, 6, 59, 59, 500000, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 14, 8, 0, 0, 1, tzinfo=dt.UTC),
    )
    assert all(t.tzinfo is dt.UTC for pair in closures for t in pair)
    assert hours == one_by_one[2]
    assert [(h.weekday, h.start_time, h.end_time, h.valid_until) for h in hours] == [
        (2, dt.time(7, 30), dt.time(15, 45, 30), None),
        (4, dt.time(8), dt.time(18), dt.date(2027, 2, 28)),
    ]
    assert hours[0]._fields == ("staff_id", "weekday", "start_time", "end_time", "valid_from", "valid_until")
    assert [_fields(x) for x in licences] == [_fields(x) for x in one_by_one[3]]
    assert [(x.state, x.issued_on, x.expires_on) for x in licences][-2:] == [  # after the factory's own
        ("NY", None, dt.date(2028, 1, 1)),
        ("NJ", dt.date(2020, 5, 1), dt.date(2026, 5, 1)),
    ]
    assert none == [] == one_by_one[4]


def test_given_decimals_and_json_documents_when_read_together_then_each_is_the_drivers_value_exactly(
    clinic, django_assert_num_queries
):
    # given weights whose text a float would change (a trailing zero) and screens whose
    # answers hold nested values, large numbers, unicode, and null
    patient = PatientFactory(home_clinic=clinic)
    for kilograms, day in (("72.0", 1), ("40.1", 2), ("180.5", 3)):
        PatientWeight.objects.create(
            patient=patient, weight_kg=kilograms, measured_at=dt.datetime(2027, 1, day, tzinfo=dt.UTC)
        )
    answers = (
        {"psychosis": True, "notes": 'ç \\ " é', "n": [1, 2.5, None, 12345678901234567890], "nested": {"b": 1}},
        {},
    )
    for index, answer in enumerate(answers):
        ScreenFactory(patient=patient, answers=answer, notes=f"screen {index}")
    runs = ((WEIGHTS, {"patient": patient.pk}), (SCREENS, {"patient": patient.pk}))

    # when
    with django_assert_num_queries(1):
        weights, screens = read_together(*runs)

    # then value for value and type for type what the queries give on their own
    alone = [list(prepared.bind(**values)) for prepared, values in runs]
    assert [_fields(w) for w in weights] == [_fields(w) for w in alone[0]]
    assert [(str(w.weight_kg), type(w.weight_kg)) for w in weights] == [
        ("72.0", Decimal),
        ("40.1", Decimal),
        ("180.5", Decimal),
    ]
    assert [_fields(x) for x in screens] == [_fields(x) for x in alone[1]]
    assert [x.answers for x in screens] == list(answers)
    assert type(screens[0].answers["n"][3]) is int


def test_given_a_field_json_would_change_then_reading_it_together_is_refused():
    # given a UUID column (which the driver reads as a UUID, JSON as text)
    # when / then
    with pytest.raises(TypeError, match="UUIDField"):
        read_together((REQUEST_IDS, {"pk": 1}))
