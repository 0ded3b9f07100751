"""The seeder builds a small network with the expected counts, and a timetable the constraints accept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from bench.seed import Plan, read_marker, seed, write_marker
from kat_clinic.models import Clinic, ClinicMembership, Licence, Patient, PatientWeight, Room, StaffMember
from sessions.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny_network():
    plan = Plan.for_scale(0.01, days_history=3, days_future=2)
    return seed(plan, anchor=dt.date(2026, 3, 6), log=lambda msg: None)


def test_seeder_builds_the_planned_network(tiny_network):
    # given a plan at scale 0.01: one clinic, 200 patients, six days of sessions
    st = tiny_network

    # then the network has exactly the planned shape
    assert Clinic.objects.count() == 1
    assert Room.objects.count() == 8
    assert StaffMember.objects.count() == 17  # 15 at the clinic, the network admin and scheduler
    assert ClinicMembership.objects.count() == 17
    assert Licence.objects.count() == 14  # 4 nurses x RN, 2 prescribers x (MD, DEA), 6 therapists x LCSW
    assert Patient.objects.count() == 200
    assert PatientWeight.objects.count() == 400
    assert Session.objects.count() == st.counts["sessions"]
    assert st.counts["sessions"] > 8 * 6 * 2  # several sessions per room and day


def test_seeded_sessions_never_overlap_in_a_room_or_for_a_patient(tiny_network):
    # when the overlaps are counted in SQL
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM clinic_sessions_session a JOIN clinic_sessions_session b "
            "ON a.id < b.id AND (a.room_id = b.room_id OR a.patient_id = b.patient_id) "
            "AND tstzrange(a.block_starts_at, a.block_ends_at) && tstzrange(b.block_starts_at, b.block_ends_at)"
        )
        overlaps = cur.fetchone()[0]

    # then there are none
    assert overlaps == 0


def test_seeded_ids_come_from_the_sequences_so_later_inserts_do_not_collide(tiny_network):
    # when the product inserts a room after the seed
    clinic = Clinic.objects.get()
    room = Room.objects.create(clinic=clinic, name="New chair", kind=Room.Kind.INFUSION_CHAIR)

    # then it gets the next free id
    assert room.pk == max(r["id"] for r in tiny_network.rooms) + 1


def test_marker_records_scale_and_counts(tiny_network):
    # when the marker is written
    write_marker(tiny_network, seconds=1.5)

    # then it reads back with the scale, the anchor day and the counts
    marker = read_marker()
    assert marker["scale"] == 0.01
    assert marker["anchor"] == "2026-03-06"
    assert marker["counts"]["patients"] == 200


def _migration(*operations):
    from django.db import migrations

    migration = migrations.Migration("0099_example", "followups")
    migration.operations = list(operations)
    return migration


def test_only_a_migration_of_indexes_or_one_that_says_so_leaves_the_seeded_data_usable():
    from django.contrib.postgres.operations import AddIndexConcurrently
    from django.db import migrations, models

    from bench.seed.orchestration import _keeps_rows_valid

    # given an index added, one removed, one built concurrently, a column added, and nothing at all
    add = migrations.AddIndex("followup", models.Index(fields=["due_at"], name="followup_example_idx"))
    remove = migrations.RemoveIndex("followup", "followup_example_idx")
    concurrently = AddIndexConcurrently("followup", models.Index(fields=["kind"], name="followup_kind_idx"))
    column = migrations.AddField("followup", "note", models.TextField(default=""))

    declared = _migration(migrations.RunSQL("SELECT 1"))
    declared.keeps_existing_rows_valid = True

    # then only migrations made wholly of index operations, or declaring that they keep the rows
    # valid, keep the seed
    assert _keeps_rows_valid(_migration(add, remove, concurrently)) is True
    assert _keeps_rows_valid(declared) is True
    assert _keeps_rows_valid(_migration(add, column)) is False
    assert _keeps_rows_valid(_migration(column)) is False
    assert _keeps_rows_valid(_migration()) is False


def test_after_index_only_migrations_the_marker_names_the_current_schema_and_keeps_the_counts(tiny_network):
    from bench.seed.orchestration import MARKER_TABLE, _restamp_marker, schema_version

    # given a marker written before a migration (an older schema version)
    write_marker(tiny_network, seconds=1.5)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {MARKER_TABLE} SET schema_version = 'older'")

    # when it is restamped
    _restamp_marker()

    # then it names the schema as it is now, with the same seed
    marker = read_marker()
    assert marker["schema_version"] == schema_version()
    assert (marker["scale"], marker["anchor"], marker["counts"]["patients"]) == (0.01, "2026-03-06", 200)
