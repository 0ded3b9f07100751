"""Rows become the same instances Django's `Model.__init__` makes, without its general path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db.models.signals import post_init, pre_init
from django_celery_beat.models import CrontabSchedule

from kat_clinic import instances_from_rows
from kat_clinic.models import Clinic, Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _state(instance) -> dict:
    """Everything an instance holds: its columns, its state, its joined rows (recursively)."""
    attributes = {key: value for key, value in vars(instance).items() if key != "_state"}
    joined = {name: _state(row) for name, row in instance._state.fields_cache.items()}
    return {
        "class": type(instance),
        "attributes": attributes,
        "order": list(attributes),
        "db": instance._state.db,
        "adding": instance._state.adding,
        "deferred": instance.get_deferred_fields(),
        "joined": joined,
    }


def _through_django(read):
    """What `read()` answers when every row takes Django's own path (a post_init receiver is connected)."""
    made = []

    def receiver(sender, instance, **kwargs):
        made.append(instance)

    post_init.connect(receiver)
    try:
        rows = read()
    finally:
        post_init.disconnect(receiver)
    return rows, made


@pytest.fixture
def patients():
    first = PatientFactory(first_name="Ada", last_name="North", date_of_birth=dt.date(1980, 2, 3))
    second = PatientFactory(first_name="Ben", last_name="South", home_clinic=first.home_clinic)
    return [first, second]


def test_given_patients_when_read_with_their_clinic_then_instances_equal_djangos_own(patients):
    def read():
        ids = [patient.pk for patient in patients]
        return list(Patient.objects.select_related("home_clinic").filter(pk__in=ids).order_by("pk"))

    fast = read()
    django_rows, made_by_django = _through_django(read)

    assert [_state(row) for row in fast] == [_state(row) for row in django_rows]
    assert len(made_by_django) == 4  # two patients and their clinic twice: Django's path ran for each
    assert [row.home_clinic.name for row in fast] == [patients[0].home_clinic.name] * 2
    assert [(row.first_name, row.date_of_birth) for row in fast] == [
        ("Ada", dt.date(1980, 2, 3)),
        ("Ben", dt.date(1985, 6, 15)),
    ]


def test_given_some_columns_only_when_read_then_the_others_stay_deferred_as_django_leaves_them(patients):
    def read():
        return list(
            Patient.objects.select_related("home_clinic")
            .only("first_name", "home_clinic__name")
            .filter(pk__in=[p.pk for p in patients])
            .order_by("pk")
        )

    fast = read()
    django_rows, _made = _through_django(read)

    assert [_state(row) for row in fast] == [_state(row) for row in django_rows]
    assert fast[0].get_deferred_fields() >= {"last_name", "mrn", "date_of_birth"}
    assert set(vars(fast[0])) == {"_state", "id", "first_name", "home_clinic_id"}
    assert fast[1].last_name == "South"  # a deferred column is read on demand, as Django reads it


def test_given_a_pre_init_receiver_when_rows_are_read_then_it_is_called_for_each():
    clinic = PatientFactory().home_clinic
    seen = []

    def receiver(sender, args, kwargs, **extra):
        seen.append((sender, args[0]))

    pre_init.connect(receiver, sender=Clinic)
    try:
        read = Clinic.objects.get(pk=clinic.pk)
    finally:
        pre_init.disconnect(receiver, sender=Clinic)

    assert seen == [(Clinic, clinic.pk)]
    assert read.name == clinic.name


def test_the_fast_path_is_on_plain_models_and_off_where_a_column_has_a_descriptor_of_its_own():
    assert Patient.from_db.__func__ is instances_from_rows.from_db_row
    assert get_user_model().from_db.__func__ is instances_from_rows.from_db_row
    # django-celery-beat's time zone column converts what is set through its descriptor.
    assert not instances_from_rows.made_as_django_makes_them(CrontabSchedule)
    assert CrontabSchedule.from_db.__func__ is not instances_from_rows.from_db_row
