"""The Python-side conflict finder and PostgreSQL's exclusion constraints give the same verdict."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kat_clinic.models import Clinic
from kat_clinic.roles import Role
from programs.choices import SessionKind, StaffMode
from sessions.conflicts import Proposal, ProposedAssignment, find_conflicts
from sessions.models import Session, StaffAssignment
from tests.factories import PatientFactory, RoomFactory

BASE = dt.datetime(2027, 6, 7, 13, 0, tzinfo=dt.UTC)
SLOT = dt.timedelta(minutes=15)
CAPACITY = 2


@st.composite
def assignments(draw, block_start: int, block_len: int):
    chosen = draw(st.lists(st.integers(0, 1), max_size=2, unique=True))
    result = []
    for staff in chosen:
        mode = draw(st.sampled_from([StaffMode.EXCLUSIVE, StaffMode.SHARED, StaffMode.PRESENT]))
        lane = draw(st.integers(1, CAPACITY)) if mode == StaffMode.SHARED else None
        a = draw(st.integers(block_start, block_start + block_len - 1))
        b = draw(st.integers(a + 1, block_start + block_len))
        result.append((staff, mode, lane, a, b))
    return result


@st.composite
def bookings(draw):
    start = draw(st.integers(0, 6))
    length = draw(st.integers(1, 4))
    return {
        "room": draw(st.sampled_from([None, None, 0, 1])),
        "patient": draw(st.integers(0, 3)),
        "start": start,
        "end": start + length,
        "staff": draw(assignments(start, length)),
    }


def t(slot: int) -> dt.datetime:
    return BASE + slot * SLOT


def insert(clinic, world, booking) -> Session:
    session = Session.objects.create(
        clinic=clinic,
        patient=world["patients"][booking["patient"]],
        kind=SessionKind.DOSING,
        room=None if booking["room"] is None else world["rooms"][booking["room"]],
        starts_at=t(booking["start"]),
        ends_at=t(booking["end"]),
        block_starts_at=t(booking["start"]),
        block_ends_at=t(booking["end"]),
    )
    StaffAssignment.objects.bulk_create(
        StaffAssignment(
            session=session,
            staff=world["staff"][s],
            role=Role.NURSE,
            mode=mode,
            lane=lane,
            starts_at=t(a),
            ends_at=t(b),
        )
        for s, mode, lane, a, b in booking["staff"]
    )
    return session


@pytest.fixture
def world(organization, make_staff):
    clinic = Clinic.objects.create(
        organization=organization, name="Prop", slug="prop", timezone="UTC", nurse_shared_capacity=CAPACITY
    )
    return {
        "clinic": clinic,
        "rooms": [RoomFactory(clinic=clinic) for _ in range(2)],
        "patients": [PatientFactory(home_clinic=clinic) for _ in range(4)],
        "staff": [make_staff(clinic, Role.NURSE) for _ in range(4)],
    }


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(existing=st.lists(bookings(), max_size=6), proposed=bookings(), cancelled=st.lists(st.booleans(), max_size=6))
def test_finder_verdict_equals_the_databases(world, existing, proposed, cancelled):
    clinic = world["clinic"]
    with transaction.atomic():
        # given: whatever of `existing` the database accepts, some of it then cancelled
        for booking, cancel in zip(existing, cancelled + [False] * len(existing), strict=False):
            try:
                with transaction.atomic():
                    session = insert(clinic, world, booking)
                    if cancel:
                        Session.objects.filter(pk=session.pk).update(status="cancelled", active=False)
                        StaffAssignment.objects.filter(session=session).update(active=False)
            except IntegrityError:
                pass

        # when
        proposal = Proposal(
            patient_id=world["patients"][proposed["patient"]].pk,
            room_id=None if proposed["room"] is None else world["rooms"][proposed["room"]].pk,
            block_starts_at=t(proposed["start"]),
            block_ends_at=t(proposed["end"]),
            assignments=tuple(
                ProposedAssignment(world["staff"][s].pk, Role.NURSE, mode, lane, t(a), t(b))
                for s, mode, lane, a, b in proposed["staff"]
            ),
        )
        conflicts = find_conflicts(proposal)
        try:
            with transaction.atomic():
                insert(clinic, world, proposed)
            accepted = True
        except IntegrityError as exc:
            assert exc.__cause__.pgcode == "23P01"
            accepted = False

        # then
        assert accepted == (conflicts == []), conflicts
        transaction.set_rollback(True)
