"""Template rules at booking time, each refused on its own, with nothing half-booked after."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import hypothesis
import pytest
from hypothesis import strategies as st

from kat_clinic.errors import Conflict, RuleViolation
from programs.choices import SessionKind
from programs.models import PlannedSession
from sessions import services
from sessions.models import Session, StaffAssignment
from sessions.program_rules import (
    Booked,
    PlannedInfo,
    Rule,
    RuleInfo,
    _Candidate,
    _dosing_weekly_cap,
    program_context_load,
    program_violations,
)
from tests.sessions.conftest import MONDAY, at, planned

pytestmark = pytest.mark.django_db
P = PlannedSession.Status

# The KAT plan: 1-2 preparation, then dosing 3, integration 4, dosing 5, integration 6, ...


def book_prep(enrollment, setup, sequence, start):
    return services.session_book_planned(
        planned_session=planned(enrollment, sequence),
        starts_at=start,
        room=setup["consult"][0],
        staff=[setup["therapist"]],
        by=None,
    )


def book_dosing(enrollment, setup, sequence, start, room=None):
    # The step's needs in order of their start offset, then role: nurse, prescriber, therapist.
    return services.session_book_planned(
        planned_session=planned(enrollment, sequence),
        starts_at=start,
        room=room or setup["treatment"][0],
        staff=[setup["nurse"], setup["prescriber"], setup["therapist"]],
        by=None,
    )


def book_integration(enrollment, setup, sequence, start):
    return services.session_book_planned(
        planned_session=planned(enrollment, sequence),
        starts_at=start,
        room=setup["consult"][0],
        staff=[setup["therapist"]],
        by=None,
    )


def snapshot(enrollment):
    return (
        Session.objects.count(),
        StaffAssignment.objects.count(),
        list(enrollment.planned_sessions.order_by("sequence").values_list("status", flat=True)),
    )


def refused(call, enrollment):
    before = snapshot(enrollment)
    with pytest.raises(RuleViolation) as error:
        call()
    assert snapshot(enrollment) == before
    return error.value


def test_plan_order_is_what_these_tests_assume(kat_enrollment):
    kinds = list(kat_enrollment.planned_sessions.order_by("sequence").values_list("kind", flat=True))
    assert kinds[:6] == ["preparation", "preparation", "dosing", "integration", "dosing", "integration"]


def test_booking_a_planned_session_marks_it_booked_and_cancelling_returns_it(kat_enrollment, kat_clinic_setup, clinic):
    # when
    session = book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, MONDAY, 9))

    # then
    assert planned(kat_enrollment, 1).status == P.BOOKED
    assert (session.planned_session_id, session.enrollment_id) == (planned(kat_enrollment, 1).pk, kat_enrollment.pk)
    assert (session.ends_at - session.starts_at, session.kind) == (dt.timedelta(minutes=60), "preparation")

    # when
    services.session_cancel(session_id=session.pk, by=None, reason="unwell")

    # then
    assert planned(kat_enrollment, 1).status == P.TO_BOOK


def test_a_planned_session_cannot_be_booked_twice(kat_enrollment, kat_clinic_setup, clinic):
    # given
    book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, MONDAY, 9))

    # when / then
    with pytest.raises(Conflict) as error:
        book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, MONDAY, 14))
    assert error.value.type == "already_booked"
    assert Session.objects.count() == 1


def test_completing_a_planned_session_marks_it_completed(kat_enrollment, kat_clinic_setup, clinic):
    # given
    session = book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, MONDAY, 9))

    # when
    services.session_check_in(session_id=session.pk, now=session.starts_at)
    services.session_start(session_id=session.pk, now=session.starts_at)
    services.session_complete(session_id=session.pk)

    # then
    assert planned(kat_enrollment, 1).status == P.COMPLETED


def test_dosing_before_preparation_is_refused(kat_enrollment, kat_clinic_setup, clinic):
    # given: one of two preparations booked (a day before the dosing, as the template asks)
    book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, MONDAY - dt.timedelta(days=1), 9))

    # when
    error = refused(
        lambda: book_dosing(kat_enrollment, kat_clinic_setup, 3, at(clinic, MONDAY + dt.timedelta(days=1), 9)),
        kat_enrollment,
    )

    # then
    assert error.type == "prep_before_first_dosing"
    assert error.errors == {"starts_at": ["Preparation 2 of 2 must be booked before any dosing session."]}


def test_preparation_after_the_first_dosing_is_refused(kat_enrollment, kat_clinic_setup, clinic):
    # given: one preparation a day, the first dosing a day after the last
    book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, MONDAY - dt.timedelta(days=2), 9))
    book_prep(kat_enrollment, kat_clinic_setup, 2, at(clinic, MONDAY - dt.timedelta(days=1), 9))
    dosing = book_dosing(kat_enrollment, kat_clinic_setup, 3, at(clinic, MONDAY + dt.timedelta(days=2), 9))
    services.session_cancel(
        session_id=Session.objects.get(planned_session=planned(kat_enrollment, 2)).pk, by=None, reason="moved"
    )

    # when
    error = refused(
        lambda: book_prep(kat_enrollment, kat_clinic_setup, 2, at(clinic, MONDAY + dt.timedelta(days=3), 9)),
        kat_enrollment,
    )

    # then
    assert dosing.pk
    assert error.type == "prep_before_first_dosing"


@pytest.fixture
def prepared(kat_enrollment, kat_clinic_setup, clinic):
    """Both preparations booked, one a day (Saturday and Sunday 09:00), a day before Tuesday's dosing."""
    book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, MONDAY - dt.timedelta(days=2), 9))
    book_prep(kat_enrollment, kat_clinic_setup, 2, at(clinic, MONDAY - dt.timedelta(days=1), 9))
    return kat_enrollment


def test_integration_inside_its_window_is_booked(prepared, kat_clinic_setup, clinic):
    # given: dosing Tuesday 09:00-12:00
    book_dosing(prepared, kat_clinic_setup, 3, at(clinic, MONDAY + dt.timedelta(days=1), 9))

    # when: Wednesday 12:00, exactly 24 h after the block ends
    session = book_integration(prepared, kat_clinic_setup, 4, at(clinic, MONDAY + dt.timedelta(days=2), 12))

    # then
    assert session.kind == "integration"


@pytest.mark.parametrize(
    ("days", "hour"),
    [
        (2, 11),
        (
            4,
            12,
        ),
        (4, 13),
    ],
)
def test_integration_outside_its_window_is_refused(prepared, kat_clinic_setup, clinic, days, hour):
    # given: dosing block ends Tuesday 12:00; the window is 24-72 h after
    book_dosing(prepared, kat_clinic_setup, 3, at(clinic, MONDAY + dt.timedelta(days=1), 9))
    if (days, hour) == (4, 12):
        hour = 12
        minute = 15  # 72 h 15 min
    else:
        minute = 0

    # when
    error = refused(
        lambda: book_integration(
            prepared, kat_clinic_setup, 4, at(clinic, MONDAY + dt.timedelta(days=days), hour, minute)
        ),
        prepared,
    )

    # then
    assert error.type == "integration_window"
    assert error.errors == {"starts_at": ["Integration 1 of 6 must start 24 h to 72 h after its dosing block ends."]}


def test_integration_before_its_dosing_is_booked_is_refused(prepared, kat_clinic_setup, clinic):
    error = refused(
        lambda: book_integration(prepared, kat_clinic_setup, 4, at(clinic, MONDAY + dt.timedelta(days=3), 9)), prepared
    )
    assert error.type == "integration_window"
    assert error.errors == {"starts_at": ["Integration 1 of 6 needs dosing 1 of 6 booked first."]}


def test_third_dosing_in_seven_days_is_refused(prepared, kat_clinic_setup, clinic):
    # given: dosing Tue and Thu
    book_dosing(prepared, kat_clinic_setup, 3, at(clinic, MONDAY + dt.timedelta(days=1), 9))
    book_dosing(prepared, kat_clinic_setup, 5, at(clinic, MONDAY + dt.timedelta(days=3), 9))

    # when: Saturday, inside the rolling 7 days of Tuesday
    error = refused(
        lambda: book_dosing(prepared, kat_clinic_setup, 7, at(clinic, MONDAY + dt.timedelta(days=5), 9)), prepared
    )

    # then
    assert error.type == "dosing_weekly_cap"
    assert error.errors == {"starts_at": ["At most 2 dosing sessions in any 7 days."]}


def test_third_dosing_exactly_seven_days_after_the_first_is_booked(prepared, kat_clinic_setup, clinic):
    # given
    book_dosing(prepared, kat_clinic_setup, 3, at(clinic, MONDAY + dt.timedelta(days=1), 9))
    book_dosing(prepared, kat_clinic_setup, 5, at(clinic, MONDAY + dt.timedelta(days=3), 9))

    # when: the following Tuesday 09:00, 7 days (elapsed) after the first
    session = book_dosing(prepared, kat_clinic_setup, 7, at(clinic, MONDAY + dt.timedelta(days=8), 9))

    # then
    assert session.pk


def test_dosing_min_gap_is_refused(shipped, patient, kat_clinic_setup, clinic):
    # given: the esketamine induction needs 2 days between doses; the clinic is REMS certified
    from programs.services import enrollment_create
    from tests.factories import CertificationFactory

    CertificationFactory(clinic=clinic)
    enrollment = enrollment_create(patient=patient, template=shipped["esketamine_induction_rems"], by=None)
    setup = kat_clinic_setup
    first = services.session_book_planned(
        planned_session=planned(enrollment, 1),
        starts_at=at(clinic, MONDAY, 9),
        room=setup["treatment"][0],
        staff=[setup["nurse"], setup["prescriber"]],
        by=None,
    )

    # when: 47 h later
    error = refused(
        lambda: services.session_book_planned(
            planned_session=planned(enrollment, 2),
            starts_at=first.starts_at + dt.timedelta(hours=47),
            room=setup["treatment"][0],
            staff=[setup["nurse"], setup["prescriber"]],
            by=None,
        ),
        enrollment,
    )

    # then
    assert error.type == "dosing_min_gap"
    assert error.errors == {
        "starts_at": ["Dosing sessions must start at least 48 h apart (dosing 1 of 8, Monday 07 June 2027, 09:00)."]
    }


def test_esketamine_without_rems_certification_is_refused(shipped, patient, kat_clinic_setup, clinic):
    # given: no certification
    from programs.services import enrollment_create

    enrollment = enrollment_create(patient=patient, template=shipped["esketamine_induction_rems"], by=None)
    setup = kat_clinic_setup

    # when
    error = refused(
        lambda: services.session_book_planned(
            planned_session=planned(enrollment, 1),
            starts_at=at(clinic, MONDAY, 9),
            room=setup["treatment"][0],
            staff=[setup["nurse"], setup["prescriber"]],
            by=None,
        ),
        enrollment,
    )

    # then
    assert error.type == "clinic_rems_certification_missing"


def test_room_without_the_steps_capability_is_refused(prepared, kat_clinic_setup, clinic):
    # when: dosing (needs a monitored treatment room) in a consult room
    error = refused(
        lambda: book_dosing(
            prepared,
            kat_clinic_setup,
            3,
            at(clinic, MONDAY + dt.timedelta(days=1), 9),
            room=kat_clinic_setup["consult"][1],
        ),
        prepared,
    )

    # then
    assert error.type == "room_kind"
    assert error.errors["room"] == [
        "This session needs a room of kind treatment_room, not consult_room.",
        "This session needs a room with capability monitored.",
    ]


def test_missing_required_role_is_refused(prepared, kat_clinic_setup, clinic):
    # when: the dosing's therapist slot filled by the nurse
    setup = kat_clinic_setup
    error = refused(
        lambda: services.session_book_planned(
            planned_session=planned(prepared, 3),
            starts_at=at(clinic, MONDAY + dt.timedelta(days=1), 9),
            room=setup["treatment"][0],
            staff=[setup["nurse"], setup["prescriber"], setup["nurse"]],
            by=None,
        ),
        prepared,
    )

    # then
    assert error.type == "required_roles"


# --- moving a dosing session moves its integration's window ---------------------------------------


@pytest.fixture
def dosed(prepared, kat_clinic_setup, clinic):
    """Dosing Tuesday 09:00-12:00 and its integration Wednesday 14:00."""
    dosing = book_dosing(prepared, kat_clinic_setup, 3, at(clinic, MONDAY + dt.timedelta(days=1), 9))
    integration = book_integration(prepared, kat_clinic_setup, 4, at(clinic, MONDAY + dt.timedelta(days=2), 14))
    return dosing, integration


def test_moving_a_dosing_that_keeps_its_integration_in_window_is_booked(dosed, clinic):
    # given
    dosing, integration = dosed

    # when: one hour earlier; the integration is then 27 h after the block
    moved = services.session_reschedule(
        session_id=dosing.pk, starts_at=at(clinic, MONDAY + dt.timedelta(days=1), 8), by=None
    )

    # then
    assert moved.planned_session_id == dosing.planned_session_id
    assert moved.planned_session.status == P.BOOKED
    assert Session.objects.get(pk=integration.pk).active is True


def test_moving_a_dosing_past_its_integration_is_refused_with_a_joint_proposal(dosed, clinic, prepared):
    # given
    dosing, integration = dosed
    before = snapshot(prepared)

    # when: to Thursday 09:00, after its integration
    with pytest.raises(RuleViolation) as error:
        services.session_reschedule(
            session_id=dosing.pk, starts_at=at(clinic, MONDAY + dt.timedelta(days=3), 9), by=None
        )

    # then
    assert snapshot(prepared) == before
    assert error.value.type == "integration_window"
    moves = error.value.extra["proposal"]
    assert [m["session"] for m in moves] == [dosing.pk, integration.pk]
    assert moves[0]["starts_at"] == "2027-06-10T09:00:00-04:00"
    # the earliest start 24 h after the new block ends (Thursday 12:00)
    assert moves[1]["starts_at"] == "2027-06-11T12:00:00-04:00"


def test_the_joint_proposal_books_both_moves_at_once(dosed, clinic, prepared):
    # given
    dosing, integration = dosed
    with pytest.raises(RuleViolation) as error:
        services.session_reschedule(
            session_id=dosing.pk, starts_at=at(clinic, MONDAY + dt.timedelta(days=3), 9), by=None
        )
    moves = [
        services.Move(
            session_id=m["session"],
            starts_at=dt.datetime.fromisoformat(m["starts_at"]),
            room_id=m["room"],
            staff_ids=tuple(s["staff"] for s in m["staff"]),
            telehealth=m["telehealth"],
        )
        for m in error.value.extra["proposal"]
    ]

    # when
    new_dosing, new_integration = services.sessions_reschedule_together(moves=moves, by=None)

    # then
    assert (new_dosing.rescheduled_from_id, new_integration.rescheduled_from_id) == (dosing.pk, integration.pk)
    assert new_integration.starts_at - new_dosing.block_ends_at == dt.timedelta(hours=24)
    assert set(prepared.planned_sessions.filter(sequence__in=[3, 4]).values_list("status", flat=True)) == {P.BOOKED}
    assert Session.objects.filter(active=True).count() == 4


def test_the_weekly_cap_counts_a_dosing_held_or_released_during_a_search(prepared, clinic):
    # given the plan's context with two dosing sessions held Tuesday and Thursday, judged once
    ctx = program_context_load(enrollment=prepared)
    third = planned(prepared, 7)
    saturday = at(clinic, MONDAY + dt.timedelta(days=5), 9)
    block = dt.timedelta(hours=3)
    for sequence, day in ((3, 1), (5, 3)):
        start = at(clinic, MONDAY + dt.timedelta(days=day), 9)
        ctx.place(planned(prepared, sequence).pk, start, start + block, None)
    assert [v.rule for v in program_violations(ctx, third, saturday, saturday + block)] == ["dosing_weekly_cap"]

    # when the Thursday one is released (as a search takes back a tentative placement)
    ctx.release(planned(prepared, 5).pk)

    # then Saturday is allowed, and refused again once Thursday is held again
    assert program_violations(ctx, third, saturday, saturday + block) == []
    thursday = at(clinic, MONDAY + dt.timedelta(days=3), 9)
    ctx.place(planned(prepared, 5).pk, thursday, thursday + block, None)
    assert [v.rule for v in program_violations(ctx, third, saturday, saturday + block)] == ["dosing_weekly_cap"]


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(
    others=st.lists(st.integers(min_value=0, max_value=30 * 24 * 4), max_size=8),
    start=st.integers(min_value=0, max_value=30 * 24 * 4),
    cap=st.integers(min_value=0, max_value=4),
    period_days=st.integers(min_value=1, max_value=10),
)
def test_the_weekly_cap_refuses_a_start_exactly_when_a_rolling_window_holding_it_is_over_the_cap(
    others, start, cap, period_days
):
    # given other dosing sessions and a new one, at quarter hours over a month
    base = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    quarter = dt.timedelta(minutes=15)
    period = dt.timedelta(days=period_days)
    me = PlannedInfo(0, SessionKind.DOSING, 1, 1, PlannedSession.Status.TO_BOOK, None, None, None, False)
    info = {0: me} | {
        pk: PlannedInfo(pk, SessionKind.DOSING, 1, pk, PlannedSession.Status.BOOKED, None, None, None, False)
        for pk in range(1, len(others) + 1)
    }
    booked = {pk: Booked(base + q * quarter, base + q * quarter + quarter, None) for pk, q in enumerate(others, 1)}
    ctx = SimpleNamespace(info=info, booked=booked, derived={})
    candidate = _Candidate(ctx, me, base + start * quarter, base + start * quarter + quarter)
    rule = RuleInfo(Rule.DOSING_WEEKLY_CAP, None, None, None, cap, period)

    # when judged
    refused = bool(_dosing_weekly_cap(rule, candidate))

    # then refused exactly when some window of the period that holds the new start holds more
    # than the cap (the fullest such window begins at one of the starts)
    starts = [start, *others]
    window = period // quarter
    fullest = max(sum(1 for s in starts if a <= s < a + window) for a in starts if a <= start < a + window)
    assert refused == (fullest > cap)
