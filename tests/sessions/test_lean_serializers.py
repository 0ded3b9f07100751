"""The lean representation of the hot list serializers gives DRF's own output, byte for byte."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from followups.api.serializers import FollowUpSerializer
from followups.models import FollowUp
from kat_clinic.api.lean import LeanRepresentationMixin
from kat_clinic.api.lean_rows import row_plan
from kat_clinic.api.serializers import PatientSerializer
from kat_clinic.models import StaffMember
from kat_clinic.roles import Role
from monitoring.api import serializers as mon
from sessions.api.serializers import OptionSerializer, SessionSerializer, StaffAssignmentSerializer
from sessions.models import StaffAssignment
from sessions.selectors import session_list
from tests.factories import PatientFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db
LEAN = (
    PatientSerializer,
    SessionSerializer,
    StaffAssignmentSerializer,
    FollowUpSerializer,
    # the session chart's rows
    mon.DoseAdministrationSerializer,
    mon.SessionMedicationSerializer,
    mon.EscalationSerializer,
    mon.VitalSignSerializer,
    mon.SedationScoreSerializer,
    mon.AdverseEventSerializer,
    mon.AlertSerializer,
    mon.ScaleResponseSerializer,
    mon.SessionAttestationSerializer,
    mon.RemsMonitoringFormSerializer,
    mon.ClinicalNoteSerializer,
    mon.AddendumSerializer,
    # the session chart itself: its parts, each by its own serializer
    mon.SessionChartSerializer,
    mon.ChecklistStatusSerializer,
    # a patient's timeline
    mon.TimelineEntrySerializer,
    # the search's options
    OptionSerializer,
)


@pytest.fixture
def plain_drf(monkeypatch):
    """Within it, every lean serializer takes DRF's own path (no recipe)."""

    def use():
        monkeypatch.setattr(LeanRepresentationMixin, "_lean_recipe", classmethod(lambda cls: None))

    return use


def test_every_hot_serializer_reads_all_its_fields_the_lean_way():
    # the recipes cover every field: none of these falls back to DRF's path
    for serializer_class in LEAN:
        recipe = serializer_class._lean_recipe()
        assert recipe is not None, serializer_class.__name__
        readable = [n for n, f in serializer_class().fields.items() if not f.write_only]
        assert [step[0] for step in recipe] == readable


def test_patient_list_and_detail_are_the_same_bytes(api, scheduler, clinic, plain_drf):
    # given patients with empty, unicode and microsecond values
    PatientFactory(home_clinic=clinic, last_name="Ñúñez", preferred_name="", email="")
    late = PatientFactory(home_clinic=clinic, last_name="O'Brien", phone="+1 212 555 0100")
    PatientFactory._meta.model.objects.filter(pk=late.pk).update(
        created_at=dt.datetime(2026, 3, 8, 7, 0, 0, 123456, tzinfo=dt.UTC)
    )
    client = api(scheduler)
    paths = ["/api/v1/patients/", f"/api/v1/patients/{late.pk}/"]

    # when read lean, then with DRF's own path
    lean = [client.get(p).content for p in paths]
    plain_drf()
    plain = [client.get(p).content for p in paths]

    # then
    assert lean == plain
    assert b'"created_at":"2026-03-08T07:00:00.123456Z"' in lean[1]


def test_sessions_with_their_assignments_are_the_same_bytes(api, booked_course, clinic, plain_drf, make_staff):
    # given a booked KAT course (sessions with staff assignments), one session cancelled
    scheduler = make_staff(clinic, Role.SCHEDULER)
    cancelled = booked_course["prep2"]
    type(cancelled).objects.filter(pk=cancelled.pk).update(
        cancelled_at=timezone.now(), cancellation_reason="Patient ill", status="cancelled", active=False
    )
    client = api(scheduler)
    paths = ["/api/v1/sessions/", f"/api/v1/sessions/{booked_course['dosing'].pk}/"]

    # when read lean, then with DRF's own path
    lean = [client.get(p).content for p in paths]
    plain_drf()
    plain = [client.get(p).content for p in paths]

    # then
    assert lean == plain
    assert b'"assignments":[{' in lean[1]


def test_given_assignments_with_odd_names_and_times_when_listed_then_postgresql_writes_them_as_drf_does(
    api, booked_course, clinic, plain_drf, make_staff
):
    # given staff named with quotes, a backslash and accents, one without credentials; a time with
    # microseconds; a session with no assignment left
    scheduler = make_staff(clinic, Role.SCHEDULER)
    dosing = booked_course["dosing"]
    first, second = StaffAssignment.objects.filter(session=dosing).order_by("pk")[:2]
    StaffMember.objects.filter(pk=first.staff_id).update(
        first_name='Zoë "Z"', last_name="O'Brien\\Ñ", credentials_suffix=""
    )
    StaffMember.objects.filter(pk=second.staff_id).update(credentials_suffix="RN, CEN")
    StaffAssignment.objects.filter(pk=first.pk).update(starts_at=first.starts_at + dt.timedelta(microseconds=250))
    StaffAssignment.objects.filter(session=booked_course["prep1"]).delete()
    client = api(scheduler)

    # when read lean (each session's assignments written by PostgreSQL), then with DRF's own path
    with CaptureQueriesContext(connection) as lean_statements:
        lean = client.get("/api/v1/sessions/")
    plain_drf()
    plain = client.get("/api/v1/sessions/")

    # then the same bytes, read with no statement of its own for the assignments
    assert lean.status_code == 200
    assert lean.content == plain.content
    assert not [q for q in lean_statements if q["sql"].lstrip().startswith('SELECT "clinic_sessions_staffassignment"')]
    sessions = {row["id"]: row for row in lean.json()["results"]}
    assert sessions[booked_course["prep1"].pk]["assignments"] == []
    written = {row["id"]: row for row in sessions[dosing.pk]["assignments"]}
    assert written[first.pk]["staff_name"] == 'Zoë "Z" O\'Brien\\Ñ'
    assert written[first.pk]["starts_at"].endswith(".000250Z")
    assert written[second.pk]["staff_name"].endswith(", RN, CEN")
    assert list(written[first.pk]) == list(StaffAssignmentSerializer().fields)


def test_given_a_zone_other_than_utc_then_the_assignments_are_read_apart_and_written_as_drf_writes_them(
    booked_course, plain_drf
):
    # given the sessions' rows as the session list reads them in Kolkata's time
    plan = row_plan(SessionSerializer)
    sessions = session_list().order_by("pk")
    with timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):
        with CaptureQueriesContext(connection) as statements:
            written = plan.represent(list(plan.values_list(sessions.prefetch_related(None), utc=False)), utc=False)

        # then the page, then its assignments in a statement of their own, written as DRF writes them
        assert len(statements) == 2
        plain_drf()
        expected = SessionSerializer(sessions, many=True).data
    assert written == expected
    assert written[2]["assignments"][0]["starts_at"].endswith("+05:30")


def test_given_an_assignment_time_of_a_year_the_field_refuses_when_listed_then_it_is_refused_as_drf_refuses_it(
    api, booked_course, clinic, plain_drf, make_staff
):
    # given an assignment in 2101 (the API writes years 1900 to 2100)
    scheduler = make_staff(clinic, Role.SCHEDULER)
    assignment = StaffAssignment.objects.filter(session=booked_course["integration"]).first()
    StaffAssignment.objects.filter(pk=assignment.pk).update(
        starts_at=dt.datetime(2101, 1, 1, 11, tzinfo=dt.UTC), ends_at=dt.datetime(2101, 1, 1, 12, tzinfo=dt.UTC)
    )
    client = api(scheduler)

    # when read lean, then with DRF's own path
    lean = client.get("/api/v1/sessions/")
    plain_drf()
    plain = client.get("/api/v1/sessions/")

    # then the same refusal
    assert (lean.status_code, lean.json()) == (plain.status_code, plain.json())
    assert lean.status_code == 400


def test_the_follow_up_queue_is_the_same_bytes(api, scheduler, clinic, plain_drf):
    # given items addressed to the scheduler's role, one to a named staff member with a payload
    FollowUpFactory(
        clinic=clinic,
        target=FollowUp.Target.ROLE,
        role=Role.SCHEDULER,
        channel=FollowUp.Channel.IN_APP,
        kind=FollowUp.Kind.NO_SHOW_REVIEW,
        payload={"note": "ç", "n": [1, 2.5, None]},
    )
    FollowUpFactory(
        clinic=clinic,
        target=FollowUp.Target.STAFF,
        staff=scheduler,
        channel=FollowUp.Channel.IN_APP,
        kind=FollowUp.Kind.NO_SHOW_REVIEW,
        attempts=2,
        last_error="timeout",
    )
    client = api(scheduler)

    # when read lean, then with DRF's own path
    lean = client.get("/api/v1/followups/").content
    plain_drf()
    plain = client.get("/api/v1/followups/").content

    # then
    assert lean == plain
    assert lean.count(b'"kind":"no_show_review"') == 2


def test_a_zone_other_than_utc_and_a_naive_time_take_drfs_path(clinic):
    # given a patient whose created_at is in New York time, and one with a naive time
    patient = PatientFactory(home_clinic=clinic)
    patient.created_at = dt.datetime(2026, 3, 8, 2, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    lean = PatientSerializer(patient).data
    assert lean["created_at"] == "2026-03-08T07:30:00Z"

    # when the current zone is not UTC, the output is DRF's in that zone
    with timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):
        assert PatientSerializer(patient).data["created_at"] == "2026-03-08T13:00:00+05:30"

    # a naive time fails as DRF's field fails
    from rest_framework.exceptions import ValidationError

    patient.created_at = dt.datetime(2026, 3, 8, 2, 30)
    with pytest.raises(ValidationError):
        PatientSerializer(patient).data  # noqa: B018


def test_a_lean_serializer_builds_its_model_fields_once_and_gives_each_instance_its_own(monkeypatch):
    # given the vitals serializer's fields built once
    first = mon.VitalSignSerializer(context={"marker": 1})
    first_fields = first.fields
    builds = []
    original = serializers.ModelSerializer.get_fields
    monkeypatch.setattr(serializers.ModelSerializer, "get_fields", lambda self: builds.append(1) or original(self))

    # when another instance validates a body
    second = mon.VitalSignSerializer(data={}, context={"marker": 2})
    second_fields = second.fields
    second.is_valid()

    # then nothing was built from the model again, and no field is shared: each is bound to its own
    # serializer and reads its own context
    assert builds == []
    assert list(second_fields) == list(first_fields)
    assert all(second_fields[name] is not first_fields[name] for name in first_fields)
    assert {f.parent for f in first_fields.values()} == {first}
    assert {f.parent for f in second_fields.values()} == {second}
    assert second_fields["session"].context == {"marker": 2}


def test_given_a_lean_serializers_fields_built_once_when_instances_validate_then_no_field_is_built_again(
    monkeypatch,
):
    # given the vitals serializer's fields built once
    assert mon.VitalSignSerializer().fields
    inits = []
    original = serializers.Field.__init__

    def counted(self, *args, **kwargs):
        if not isinstance(self, serializers.BaseSerializer):  # (the serializers themselves are fields)
            inits.append(type(self))
        original(self, *args, **kwargs)

    monkeypatch.setattr(serializers.Field, "__init__", counted)

    # when two instances validate bodies with a reading out of range and a reading id too long
    refusals = []
    for systolic in (400, 401):
        body = {"systolic_mmhg": systolic, "diastolic_mmhg": 80, "device_reading_id": "x" * 101}
        serializer = mon.VitalSignSerializer(data=body)
        assert serializer.is_valid() is False
        refusals.append(serializer.errors)

    # then no field's __init__ ran, and each instance applied the bounds and lengths built once
    assert inits == []
    for refusal in refusals:
        assert refusal["systolic_mmhg"] == ["Must be from 40 to 300."]
        assert refusal["device_reading_id"] == ["Ensure this field has no more than 100 characters."]


def test_a_built_field_holding_a_field_gives_each_instance_its_own_child():
    from monitoring.models import DissociationScore

    class ItemsSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
        class Meta:
            model = DissociationScore
            fields = ["id", "items", "measured_at"]

    # given two instances of a lean serializer whose model has an array (a list field with a child)
    first = ItemsSerializer(data={"items": [1, 2]}, context={"marker": 1})
    second = ItemsSerializer(data={"items": [3, "x"]}, context={"marker": 2})

    # when each builds its fields
    first_items, second_items = first.fields["items"], second.fields["items"]

    # then the list fields and their children are each instance's own, bound to their own parent
    assert first_items is not second_items
    assert first_items.child is not second_items.child
    assert (first_items.child.parent, second_items.child.parent) == (first_items, second_items)
    assert first_items.child.context == {"marker": 1}
    # and the plain fields are new instances built with the same arguments
    assert first.fields["measured_at"] is not second.fields["measured_at"]
    assert first.fields["measured_at"]._kwargs == second.fields["measured_at"]._kwargs
    # and each validates its own body
    assert second.is_valid() is False
    assert list(second.errors["items"]) == [1]
