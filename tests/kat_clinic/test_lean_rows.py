"""Rows read as tuples and written by a serializer's row plan (kat_clinic/api/lean_rows.py) are
written exactly as DRF writes the same rows read as instances; a prepared list reads its page that
way, with no instance per row, and audits each row from its columns."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.signals import pre_init
from rest_framework import serializers

from followups.api.serializers import FollowUpSerializer
from followups.models import FollowUp
from kat_clinic.api.lean_rows import _json_document, row_plan
from kat_clinic.api.serializers import PatientSerializer
from kat_clinic.api.views import PatientViewSet
from kat_clinic.audit.context import AuditContext
from kat_clinic.models import Patient
from sessions.api.serializers import SessionSerializer
from tests.factories import PatientFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db


def _drf(serializer_class, instances) -> list[dict]:
    """DRF's own representation, without the lean recipe."""
    serializer = serializer_class()
    return [serializers.ModelSerializer.to_representation(serializer, obj) for obj in instances]


def _from_tuples(serializer_class, queryset) -> list[dict]:
    plan = row_plan(serializer_class)
    return plan.represent(plan.values_list(queryset), utc=True)


def test_given_patients_with_empty_and_full_columns_then_their_tuples_are_written_as_drf_writes_them(clinic):
    # given a patient with every optional column empty, and one with all of them set
    PatientFactory(home_clinic=clinic, preferred_name="", pronouns="", email="", address="", sms_opt_in=False)
    PatientFactory(
        home_clinic=clinic,
        preferred_name="Jo",
        date_of_birth=dt.date(1961, 2, 28),
        address="1 Main St, Albany NY 12207",
        sms_opt_in=True,
    )
    patients = Patient.objects.order_by("pk")

    # when written from tuples
    written = _from_tuples(PatientSerializer, patients)

    # then the same names in the same order, the same values
    expected = _drf(PatientSerializer, patients)
    assert written == expected
    assert [list(row) for row in written] == [list(row) for row in expected]
    assert written[1]["date_of_birth"] == "1961-02-28"
    assert written[1]["created_at"].endswith("Z")


def test_given_follow_ups_with_and_without_staff_then_the_staff_name_comes_from_the_joined_columns(clinic, nurse):
    # given one item addressed to a nurse, one to a role
    FollowUpFactory(clinic=clinic, target=FollowUp.Target.STAFF, staff=nurse, channel=FollowUp.Channel.IN_APP)
    FollowUpFactory(clinic=clinic, payload={"note": "call back", "tries": [1, 2]})
    followups = FollowUp.objects.select_related("staff").order_by("pk")

    # when written from tuples
    written = _from_tuples(FollowUpSerializer, followups)

    # then as DRF writes them: the nurse's name, then none
    assert written == _drf(FollowUpSerializer, followups)
    assert [row["staff_name"] for row in written] == [str(nurse), None]


def test_given_a_nested_list_without_its_row_function_then_there_is_no_row_plan(monkeypatch):
    monkeypatch.setattr(SessionSerializer, "lean_row_children", {})
    assert row_plan(SessionSerializer, ("no", "children", "function")) is None


def test_given_a_method_field_without_its_row_function_then_there_is_no_row_plan(monkeypatch):
    monkeypatch.setattr(FollowUpSerializer, "lean_row_methods", {})
    assert row_plan(FollowUpSerializer, ("no", "row", "function")) is None


def test_given_a_prepared_patient_list_then_no_patient_instance_is_built(api, scheduler, clinic):
    # given
    PatientFactory.create_batch(3, home_clinic=clinic)
    PatientViewSet._prepared_variants.clear()
    built = []

    def count(sender, **kwargs):
        built.append(sender)

    # when listed (a pre_init receiver sees every instance Django builds)
    pre_init.connect(count, sender=Patient)
    try:
        response = api(scheduler).get("/api/v1/patients/")
    finally:
        pre_init.disconnect(count, sender=Patient)

    # then three rows, and not one instance
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
    assert built == []
    ((_prepared, tuple_rows),) = PatientViewSet._prepared_variants.values()
    assert tuple_rows.rows.columns[:3] == ("id", "mrn", "home_clinic_id")
    # and the audit reads the patient (its own id) and its home clinic from the row
    assert tuple_rows.audited == (0, 0, 2)


def test_given_rows_then_the_audit_adds_each_new_id_once_in_order_and_skips_the_missing():
    # given a request that already read patient 5 of clinic 1
    audit = AuditContext(request_id="r")
    audit.add_object(resource_id=5, patient_id=5, clinic_id=1)

    # when three rows are added (id, patient, clinic), one of them with no patient
    audit.add_rows([(9, 9, 1), (5, 5, 1), (7, None, 2)], 0, 1, 2)

    # then
    assert audit.resource_ids == [5, 9, 7]
    assert audit.patient_ids == [5, 9]
    assert audit.clinic_ids == [1, 2]


def test_given_rows_for_a_request_that_read_nothing_yet_then_each_id_is_added_once_in_order():
    # given a request that read nothing yet
    audit = AuditContext(request_id="r")

    # when rows repeat ids, some with no patient or clinic, and one column is not audited
    audit.add_rows([(3, None, 1), (3, 4, 1), (2, 4, None), (8, 6, 1)], 0, 1, 2)
    audit.add_rows([(8, 7, 5)], 0, None, 2)

    # then
    assert audit.resource_ids == [3, 2, 8]
    assert audit.patient_ids == [4, 6]
    assert audit.clinic_ids == [1, 5]


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2027, 3, 3, 15, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 3, 15, 0, 0, 250, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),  # not UTC: the field's way
    ],
)
def test_given_a_time_then_it_is_written_as_its_field_writes_it(value):
    # given a row whose only value is that time
    plan = row_plan(FollowUpSerializer)
    row = [None] * len(plan.columns)
    row[plan.index("due_at")] = value

    # when written, then as DRF's field writes it
    assert plan.represent([tuple(row)], utc=True)[0]["due_at"] == FollowUpSerializer().fields[
        "due_at"
    ].to_representation(value)


def test_given_a_time_of_an_implausible_year_then_it_fails_as_its_field_fails():
    plan = row_plan(FollowUpSerializer)
    row = [None] * len(plan.columns)
    row[plan.index("due_at")] = dt.datetime(2150, 1, 1, tzinfo=dt.UTC)

    with pytest.raises(serializers.ValidationError) as written:
        plan.represent([tuple(row)], utc=True)
    with pytest.raises(serializers.ValidationError) as drf:
        FollowUpSerializer().fields["due_at"].to_representation(row[plan.index("due_at")])
    assert written.value.detail == drf.value.detail


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2027, 3, 3, 15, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 3, 15, 0, 0, 250, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 3, 10, 0, 7, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(1900, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2100, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ],
)
def test_given_a_stored_time_when_read_as_text_in_utc_then_it_is_written_as_its_field_writes_it(clinic, value):
    # given a follow-up due then
    FollowUpFactory(clinic=clinic, due_at=value)
    plan = row_plan(FollowUpSerializer)
    followups = FollowUp.objects.order_by("pk")

    # when its row is read with the time as PostgreSQL's text
    (row,) = plan.values_list(followups, utc=True)
    (written,) = plan.represent([row], utc=True)

    # then the text is what the time read as a time and DRF's field write
    assert row[plan.index("due_at")] == written["due_at"]
    assert written["due_at"] == FollowUpSerializer().fields["due_at"].to_representation(value)
    assert written == plan.represent(list(plan.values_list(followups)), utc=True)[0]


@pytest.mark.parametrize("year", [1899, 2101])
def test_given_a_stored_time_of_an_implausible_year_when_read_as_text_then_it_fails_as_its_field_fails(clinic, year):
    # given
    due = dt.datetime(year, 6, 1, tzinfo=dt.UTC)
    FollowUpFactory(clinic=clinic, due_at=due)
    plan = row_plan(FollowUpSerializer)

    # when
    (row,) = plan.values_list(FollowUp.objects.all(), utc=True)
    with pytest.raises(serializers.ValidationError) as written:
        plan.represent([row], utc=True)

    # then
    with pytest.raises(serializers.ValidationError) as drf:
        FollowUpSerializer().fields["due_at"].to_representation(due)
    assert written.value.detail == drf.value.detail


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"session_id": 7, "note": 'Café ☕ "quoted" \\ back', "nested": {"list": [1, 2.5, None, True, "x"]}},
        {"big": 123456789012345678901234567890, "small": -0.000001, "float": 2.5},
        [1, "two", [3]],
        "just text",
        42,
    ],
)
def test_given_a_json_document_then_it_is_read_from_its_text_as_djangos_json_field_reads_it(clinic, payload):
    # given a follow-up whose payload is that document
    FollowUpFactory(clinic=clinic, payload=payload)
    followups = FollowUp.objects.order_by("pk")

    # when written from tuples, the payload read as the column's text
    plan = row_plan(FollowUpSerializer)
    (row,) = plan.values_list(followups)

    # then the column came as PostgreSQL's text, not a document Django decoded
    assert type(row[plan.index("payload")]) is str
    # and the written document is the one DRF writes, an integer beyond 64 bits kept whole
    (written,) = plan.represent([row], utc=True)
    assert written["payload"] == payload
    assert written == _drf(FollowUpSerializer, followups)[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": [1, {"b": null}]}', {"a": [1, {"b": None}]}),
        (' {"a": 1} ', {"a": 1}),  # white space around: json.loads reads it
        ("12345678901234567890123", 12345678901234567890123),
        ("not json", "not json"),  # as Django's field: the text itself
        ('{"a": 1} trailing', '{"a": 1} trailing'),
    ],
)
def test_given_a_json_columns_text_then_it_is_read_as_json_loads_reads_it(text, expected):
    assert _json_document(text) == expected
    assert type(_json_document(text)) is type(expected)
