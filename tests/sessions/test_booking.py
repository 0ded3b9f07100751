from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from kat_clinic.errors import Conflict, RuleViolation
from kat_clinic.roles import Role
from programs.choices import SessionKind, StaffMode
from sessions import services
from sessions.availability import adhoc_shape
from sessions.models import Session, StaffAssignment
from tests.factories import CertificationFactory, PatientFactory, RoomFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, THERAPIST_EXCLUSIVE, at, works_every_day
from tests.sessions.factories import ClosureFactory, RoomHoursFactory, TimeOffFactory

pytestmark = pytest.mark.django_db


def counts():
    return Session.objects.count(), StaffAssignment.objects.count()


def test_booking_creates_session_and_assignment_over_the_block(clinic, patient, chair, working_nurse, book):
    # when
    session = book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)

    # then
    assert session.status == Session.Status.SCHEDULED
    assert session.active is True
    assert session.ends_at - session.starts_at == dt.timedelta(minutes=40)
    assert session.block_ends_at - session.block_starts_at == dt.timedelta(minutes=100)
    assignment = session.assignments.get()
    assert (assignment.staff_id, assignment.role, assignment.mode, assignment.lane) == (
        working_nurse.pk,
        Role.NURSE,
        StaffMode.SHARED,
        1,
    )
    assert (assignment.starts_at, assignment.ends_at) == (session.block_starts_at, session.block_ends_at)


def test_same_room_overlapping_is_refused_with_the_clash_listed(clinic, chair, working_nurse, book):
    # given
    first = book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)
    before = counts()

    # when
    with pytest.raises(Conflict) as refused:
        book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 10), chair, [working_nurse], shape=NURSE_SHARED)

    # then
    assert refused.value.type == "overlap"
    assert refused.value.extra["conflicts"] == [
        {
            "resource": "room",
            "id": chair.pk,
            "session": first.pk,
            "range": ["2027-06-07T14:00:00+00:00", "2027-06-07T14:40:00+00:00"],
            "constraint": "session_no_room_overlap",
        }
    ]
    assert counts() == before


def test_back_to_back_blocks_do_not_clash(clinic, chair, working_nurse, book):
    # given: [09:00, 10:40) then [10:40, 12:20): half-open ranges touch without overlapping
    book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)

    # when
    second = book(
        PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 10, 40), chair, [working_nurse], shape=NURSE_SHARED
    )

    # then
    assert second.pk is not None


def test_patient_cannot_be_in_two_blocks(clinic, patient, chair, chair2, working_nurse, book):
    # given
    first = book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)

    # when
    with pytest.raises(Conflict) as refused:
        book(patient, at(clinic, MONDAY, 9, 30), chair2, [working_nurse], shape=NURSE_SHARED)

    # then
    assert [(c["resource"], c["session"]) for c in refused.value.extra["conflicts"]] == [("patient", first.pk)]


def test_exclusive_therapist_cannot_take_two_patients(clinic, chair, chair2, working_therapist, book):
    # given
    first = book(
        PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), chair, [working_therapist], shape=THERAPIST_EXCLUSIVE
    )

    # when
    with pytest.raises(Conflict) as refused:
        book(
            PatientFactory(home_clinic=clinic),
            at(clinic, MONDAY, 9, 30),
            chair2,
            [working_therapist],
            shape=THERAPIST_EXCLUSIVE,
        )

    # then
    (clash,) = refused.value.extra["conflicts"]
    assert (clash["resource"], clash["id"], clash["session"], clash["constraint"]) == (
        "staff",
        working_therapist.pk,
        first.pk,
        "staffassignment_no_staff_overlap",
    )


def test_nurse_monitors_up_to_capacity_then_is_refused(clinic, working_nurse, book):
    # given: capacity 3 (the default), three chairs busy with the same nurse
    rooms = [RoomFactory(clinic=clinic) for _ in range(4)]
    booked = [
        book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), rooms[i], [working_nurse], shape=NURSE_SHARED)
        for i in range(3)
    ]
    before = counts()

    # when
    with pytest.raises(Conflict) as refused:
        book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), rooms[3], [working_nurse], shape=NURSE_SHARED)

    # then
    assert sorted(a.lane for s in booked for a in s.assignments.all()) == [1, 2, 3]
    assert refused.value.extra["capacity"] == 3
    assert sorted(c["session"] for c in refused.value.extra["conflicts"]) == sorted(s.pk for s in booked)
    assert counts() == before


def test_exclusive_assignment_clashes_with_a_shared_lane_of_the_same_person(clinic, chair, chair2, make_staff, book):
    # given: a nurse who is also licensed as a therapist, monitoring one chair
    person = works_every_day(make_staff(clinic, Role.NURSE, Role.THERAPIST), clinic)
    book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), chair, [person], shape=NURSE_SHARED)

    # when
    with pytest.raises(Conflict) as refused:
        book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), chair2, [person], shape=THERAPIST_EXCLUSIVE)

    # then
    assert [c["resource"] for c in refused.value.extra["conflicts"]] == ["staff"]


def test_present_prescriber_is_never_tied_up(clinic, working_prescriber, book):
    # given
    shape = adhoc_shape(
        kind=SessionKind.DOSING, session_minutes=40, block_minutes=120, staff=[(Role.PRESCRIBER, StaffMode.PRESENT)]
    )
    rooms = [RoomFactory(clinic=clinic) for _ in range(5)]

    # when
    sessions = [
        book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), r, [working_prescriber], shape=shape)
        for r in rooms
    ]

    # then
    assert len(sessions) == 5


def test_cancelled_session_frees_room_patient_and_staff(clinic, patient, chair, working_therapist, scheduler, book):
    # given
    first = book(patient, at(clinic, MONDAY, 9), chair, [working_therapist], shape=THERAPIST_EXCLUSIVE)
    services.session_cancel(session_id=first.pk, by=scheduler, reason="patient is unwell")

    # when
    second = book(patient, at(clinic, MONDAY, 9), chair, [working_therapist], shape=THERAPIST_EXCLUSIVE)

    # then
    assert second.active is True
    assert list(StaffAssignment.objects.filter(active=True).values_list("session_id", flat=True)) == [second.pk]


def test_database_refuses_overlap_even_when_written_directly(clinic, patient, chair, working_nurse, book):
    # given
    first = book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)

    # when / then
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Session.objects.create(
            clinic=clinic,
            patient=PatientFactory(home_clinic=clinic),
            kind=SessionKind.DOSING,
            room=chair,
            starts_at=first.starts_at,
            ends_at=first.ends_at,
            block_starts_at=first.block_starts_at,
            block_ends_at=first.block_ends_at,
        )
    assert refused.value.__cause__.pgcode == "23P01"
    assert refused.value.__cause__.diag.constraint_name == "session_no_room_overlap"


def test_database_refuses_a_lane_beyond_the_clinic_capacity(clinic, patient, chair, working_nurse, book):
    # given
    session = book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)

    # when / then
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        StaffAssignment.objects.filter(session=session).update(lane=4)
    assert refused.value.__cause__.pgcode == "23514"
    assert StaffAssignment.objects.get(session=session).lane == 1


def test_status_and_active_flag_cannot_disagree(clinic, patient, chair, working_nurse, book):
    # given
    session = book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)


# --- availability rules (422), each alone, nothing written -------------------------------------


def refused_rule(call):
    before = counts()
    with pytest.raises(RuleViolation) as refused:
        call()
    assert counts() == before
    return refused.value


def test_staff_outside_working_hours_is_refused(clinic, patient, chair, working_nurse, book):
    # when: 17:00 + 100 min ends after 18:00
    error = refused_rule(lambda: book(patient, at(clinic, MONDAY, 17), chair, [working_nurse], shape=NURSE_SHARED))

    # then
    assert error.type == "staff_unavailable"
    assert error.errors == {
        "staff": [
            f"{working_nurse.first_name} {working_nurse.last_name} is not working from 2027-06-07 17:00 to 18:40 "
            "(America/New_York)."
        ]
    }


def test_staff_on_time_off_is_refused(clinic, patient, chair, working_nurse, book):
    # given
    TimeOffFactory(staff=working_nurse, starts_at=at(clinic, MONDAY, 0), ends_at=at(clinic, MONDAY, 23))

    # when
    error = refused_rule(lambda: book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED))

    # then
    assert error.type == "staff_unavailable"


def test_extra_shift_opens_hours_outside_the_pattern(clinic, patient, chair, make_staff, book):
    # given: a nurse with no weekly hours but an extra shift that Monday morning
    from sessions.models import AvailabilityException

    nurse = make_staff(clinic, Role.NURSE)
    AvailabilityException.objects.create(
        staff=nurse, clinic=clinic, kind="extra_shift", starts_at=at(clinic, MONDAY, 8), ends_at=at(clinic, MONDAY, 12)
    )

    # when
    session = book(patient, at(clinic, MONDAY, 9), chair, [nurse], shape=NURSE_SHARED)

    # then
    assert session.pk is not None


def test_expired_licence_is_refused_naming_the_credential(clinic, patient, chair, working_nurse, book):
    # given
    working_nurse.licences.update(expires_on=MONDAY - dt.timedelta(days=1))

    # when
    error = refused_rule(lambda: book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED))

    # then
    assert error.type == "credential_missing"
    assert error.errors == {
        "staff": [
            f"{working_nurse.first_name} {working_nurse.last_name} has no valid licence (np, rn) "
            "for the nurse role on 2027-06-07."
        ]
    }


def test_prescriber_without_dea_registration_is_refused(clinic, patient, chair, working_prescriber, book):
    # given
    working_prescriber.licences.filter(kind="dea").delete()
    shape = adhoc_shape(
        kind=SessionKind.DOSING, session_minutes=40, block_minutes=120, staff=[(Role.PRESCRIBER, StaffMode.PRESENT)]
    )

    # when
    error = refused_rule(lambda: book(patient, at(clinic, MONDAY, 9), chair, [working_prescriber], shape=shape))

    # then
    assert error.type == "credential_missing"
    assert "(dea)" in error.errors["staff"][0]


def test_staff_without_the_role_at_this_clinic_is_refused(clinic, patient, chair, working_therapist, book):
    # when: a therapist booked as the monitoring nurse
    error = refused_rule(lambda: book(patient, at(clinic, MONDAY, 9), chair, [working_therapist], shape=NURSE_SHARED))

    # then
    assert error.type == "required_roles"
    assert error.errors == {
        "staff": [
            f"{working_therapist.first_name} {working_therapist.last_name} does not hold the nurse role at this clinic."
        ]
    }


def test_esketamine_needs_a_valid_rems_certification(clinic, patient, chair, working_nurse, book):
    # given: the certification expired the week before
    CertificationFactory(clinic=clinic, valid_from=dt.date(2024, 1, 1), expires_on=MONDAY - dt.timedelta(days=7))
    shape = adhoc_shape(
        kind=SessionKind.DOSING,
        session_minutes=30,
        block_minutes=120,
        staff=[(Role.NURSE, StaffMode.SHARED)],
        requires_rems=True,
    )

    # when
    error = refused_rule(lambda: book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=shape))

    # then
    assert error.type == "clinic_rems_certification_missing"
    assert error.errors == {"clinic": ["The clinic has no esketamine REMS certification valid on 2027-06-07."]}


def test_closed_room_is_refused(clinic, patient, chair, working_nurse, book):
    # given: the chair opens Mondays 12:00-18:00 only
    RoomHoursFactory(room=chair, weekday=0, start_time=dt.time(12), end_time=dt.time(18))

    # when
    error = refused_rule(lambda: book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED))

    # then
    assert error.type == "room_closed"


def test_clinic_closure_is_refused(clinic, patient, chair, working_nurse, book):
    # given
    ClosureFactory(clinic=clinic, starts_at=at(clinic, MONDAY, 0), ends_at=at(clinic, MONDAY + dt.timedelta(days=1), 0))

    # when
    error = refused_rule(lambda: book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED))

    # then
    assert error.type == "clinic_closed"


def test_booking_in_the_past_is_refused(clinic, patient, chair, working_nurse, book):
    # when
    error = refused_rule(
        lambda: book(patient, at(clinic, dt.date(2020, 6, 1), 9), chair, [working_nurse], shape=NURSE_SHARED)
    )

    # then
    assert error.type == "starts_in_past"


def test_another_clinics_room_is_refused(clinic, other_clinic, patient, working_nurse, book):
    # given
    theirs = RoomFactory(clinic=other_clinic)

    # when
    error = refused_rule(lambda: book(patient, at(clinic, MONDAY, 9), theirs, [working_nurse], shape=NURSE_SHARED))

    # then
    assert error.type == "room_not_in_clinic"


def test_another_clinics_patient_is_refused(clinic, other_clinic, chair, working_nurse, book):
    # when
    error = refused_rule(
        lambda: book(
            PatientFactory(home_clinic=other_clinic), at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED
        )
    )

    # then
    assert error.type == "patient_not_in_clinic"


def test_another_clinics_staff_is_refused(clinic, other_clinic, patient, chair, make_staff, book):
    # given
    theirs = works_every_day(make_staff(other_clinic, Role.NURSE), other_clinic)

    # when
    error = refused_rule(lambda: book(patient, at(clinic, MONDAY, 9), chair, [theirs], shape=NURSE_SHARED))

    # then
    assert error.type == "required_roles"
