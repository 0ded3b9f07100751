"""JSON text written by PostgreSQL for the response as it is (`JsonText`, `json_text_rows`): the
bytes orjson writes of the same values, whatever the text holds."""

from __future__ import annotations

import orjson
import pytest
from django.db.models import BooleanField, ExpressionWrapper, F, IntegerField, OuterRef, Q, Value
from django.db.models.functions import Concat

from kat_clinic.json_sql import JsonText, json_text_rows
from kat_clinic.models import Clinic, Patient
from tests.factories import ClinicFactory, PatientFactory

pytestmark = pytest.mark.django_db

# Every character JSON escapes (but NUL, which PostgreSQL's text cannot hold), the separators
# orjson leaves as they are, and text beyond ASCII.
HARD_TEXT = '\x01\x1f\x7f " \\ / \t\n\r\x08\x0c é 😀 \u2028 \u2029 % %s'


def test_given_text_numbers_booleans_and_nulls_then_the_object_is_orjsons_bytes():
    # given a patient whose name holds every character JSON escapes
    patient = PatientFactory(first_name=HARD_TEXT, last_name="Quinn", preferred_name="")

    # when one object of its values is written by PostgreSQL, with one nested in it
    written = (
        Patient.objects.filter(pk=patient.pk)
        .values_list(
            JsonText(
                id=F("id"),
                person=JsonText(name=Concat("first_name", Value(" "), "last_name"), empty=F("preferred_name")),
                born=F("date_of_birth"),
                adult=ExpressionWrapper(Q(date_of_birth__year__lt=2000), BooleanField()),
                nothing=Value(None, output_field=IntegerField()),
                **{'a "quoted" key': Value(-12)},
            ),
            flat=True,
        )
        .get()
    )

    # then: the bytes orjson writes of the same values, keys in order
    assert (
        written
        == orjson.dumps(
            {
                "id": patient.pk,
                "person": {"name": f"{HARD_TEXT} Quinn", "empty": ""},
                "born": "1985-06-15",
                "adult": True,
                "nothing": None,
                'a "quoted" key': -12,
            }
        ).decode()
    )


def test_given_rows_then_they_are_one_compact_array_in_their_order_and_none_is_an_empty_array():
    # given a clinic with three patients (their ids in reverse order of their names) and one without
    clinic, empty = ClinicFactory(), ClinicFactory()
    names = ["Cleo", "Ben", "Anna"]
    patients = [PatientFactory(home_clinic=clinic, first_name=name) for name in names]

    # when each clinic's patients are written by name
    rows = json_text_rows(
        Patient.objects.filter(home_clinic_id=OuterRef("pk")), "first_name", id=F("id"), name=F("first_name")
    )
    written = dict(Clinic.objects.filter(pk__in=[clinic.pk, empty.pk]).values_list("pk", rows))

    # then
    by_name = sorted(patients, key=lambda p: p.first_name)
    assert written[clinic.pk] == orjson.dumps([{"id": p.pk, "name": p.first_name} for p in by_name]).decode()
    assert written[empty.pk] == "[]"
