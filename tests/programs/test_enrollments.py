from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kat_clinic.api.exceptions import problem_for
from kat_clinic.errors import Conflict, RuleViolation
from programs import services
from programs.models import Enrollment, PlannedSession
from programs.selectors import enrollment_progress
from programs.services import (
    enrollment_create,
    planned_session_mark_booked,
    planned_session_mark_completed,
    planned_session_mark_to_book,
    template_clone,
    template_publish,
)
from programs.services import enrollments as enrollment_services
from tests.factories import ClinicFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_an_enrollment_keeps_its_version_when_a_newer_one_is_published(kat_template, patient, therapist):
    # given
    enrollment = enrollment_create(patient=patient, template=kat_template, by=therapist)
    draft = template_clone(template=kat_template, by=None)
    draft.steps.filter(kind="dosing").update(count=3)
    draft.steps.filter(kind="integration").update(count=3)

    # when
    template_publish(template=draft, by=None)

    # then
    enrollment.refresh_from_db()
    assert enrollment.template_id == kat_template.pk
    assert enrollment.template.state == "retired"
    assert enrollment.planned_sessions.count() == 14
    assert set(enrollment.planned_sessions.values_list("step__template_id", flat=True)) == {kat_template.pk}
    newer = enrollment_create(patient=PatientFactory(home_clinic=patient.home_clinic), template=draft, by=therapist)
    assert newer.planned_sessions.count() == 8


def test_a_second_open_enrollment_in_the_same_pathway_is_refused(iv_induction, shipped, patient, nurse):
    # given
    enrollment_create(patient=patient, template=iv_induction, by=nurse)

    # when
    with pytest.raises(Conflict) as excinfo:
        enrollment_create(patient=patient, template=shipped["iv_ketamine_booster"], by=nurse)

    # then
    assert problem_for(excinfo.value).status == 409
    assert excinfo.value.type == "already_enrolled"
    assert Enrollment.objects.filter(patient=patient).count() == 1
    assert PlannedSession.objects.count() == 6


def test_the_database_refuses_a_second_open_enrollment_when_the_python_check_is_bypassed(
    iv_induction, shipped, patient, nurse, monkeypatch
):
    # given
    enrollment_create(patient=patient, template=iv_induction, by=nurse)
    monkeypatch.setattr(enrollment_services, "_open_enrollment_exists", lambda **kwargs: False)

    # when
    with pytest.raises(Conflict) as excinfo:
        enrollment_create(patient=patient, template=shipped["iv_ketamine_booster"], by=nurse)

    # then
    assert excinfo.value.type == "already_enrolled"
    assert Enrollment.objects.filter(patient=patient).count() == 1
    assert PlannedSession.objects.count() == 6


def test_the_database_refuses_two_open_enrollments_written_directly(iv_induction, shipped, patient):
    # given
    Enrollment.objects.create(
        patient=patient, template=iv_induction, clinic=patient.home_clinic, pathway="infusion_only"
    )

    # when / then
    with pytest.raises(IntegrityError, match="enrollment_one_open_per_pathway"), transaction.atomic():
        Enrollment.objects.create(
            patient=patient,
            template=shipped["iv_ketamine_booster"],
            clinic=patient.home_clinic,
            pathway="infusion_only",
            status="paused",
        )
    assert Enrollment.objects.filter(patient=patient).count() == 1


def test_a_patient_may_hold_one_open_enrollment_per_pathway(iv_induction, kat_template, patient, nurse):
    # when
    enrollment_create(patient=patient, template=iv_induction, by=nurse)
    enrollment_create(patient=patient, template=kat_template, by=nurse)

    # then
    assert sorted(Enrollment.objects.filter(patient=patient).values_list("pathway", flat=True)) == [
        "infusion_only",
        "kat",
    ]


def test_re_enrolling_in_the_booster_after_completing_it_plans_the_next(shipped, patient, nurse):
    # given
    booster = shipped["iv_ketamine_booster"]
    first = enrollment_create(patient=patient, template=booster, by=nurse)
    services.enrollment_complete(enrollment=first, by=nurse)

    # when
    second = enrollment_create(patient=patient, template=booster, by=nurse)

    # then
    assert second.planned_sessions.count() == 1
    assert Enrollment.objects.get(pk=first.pk).status == "completed"


def test_a_draft_or_retired_template_cannot_be_enrolled(kat_template, patient, therapist):
    # given
    draft = template_clone(template=kat_template, by=None)

    # when
    with pytest.raises(Conflict) as excinfo:
        enrollment_create(patient=patient, template=draft, by=therapist)

    # then
    assert excinfo.value.type == "template_not_published"
    assert not Enrollment.objects.exists()


def test_another_clinics_own_template_is_not_offered_to_this_patient(organization, patient, therapist):
    # given
    from programs.services import template_create
    from tests.programs.factories import small_kat_spec

    elsewhere = ClinicFactory(organization=organization)
    template = template_publish(
        template=template_create(organization=organization, clinic=elsewhere, by=None, **small_kat_spec()), by=None
    )

    # when
    with pytest.raises(RuleViolation):
        enrollment_create(patient=patient, template=template, by=therapist)

    # then
    assert not Enrollment.objects.exists()


def test_pause_resume_and_withdraw_record_who_when_and_why(kat_template, patient, therapist, scheduler):
    # given
    enrollment = enrollment_create(patient=patient, template=kat_template, by=therapist)

    # when
    paused = services.enrollment_pause(enrollment=enrollment, by=scheduler, reason="Travelling for 3 weeks")

    # then
    assert (paused.status, paused.status_reason, paused.status_changed_by) == (
        "paused",
        "Travelling for 3 weeks",
        scheduler,
    )
    resumed = services.enrollment_resume(enrollment=enrollment, by=therapist)
    assert (resumed.status, resumed.status_changed_by) == ("active", therapist)
    withdrawn = services.enrollment_withdraw(enrollment=enrollment, by=therapist, reason="Moved away")
    assert withdrawn.status == "withdrawn"
    assert set(withdrawn.planned_sessions.values_list("status", flat=True)) == {"cancelled"}


def test_illegal_enrollment_transitions_are_refused_and_change_nothing(kat_template, patient, therapist):
    # given
    enrollment = enrollment_create(patient=patient, template=kat_template, by=therapist)
    services.enrollment_complete(enrollment=enrollment, by=therapist)
    before = Enrollment.objects.get(pk=enrollment.pk)

    # when
    with pytest.raises(Conflict) as excinfo:
        services.enrollment_resume(enrollment=enrollment, by=therapist)

    # then
    assert excinfo.value.type == "illegal_transition"
    after = Enrollment.objects.get(pk=enrollment.pk)
    assert (after.status, after.status_changed_at) == (before.status, before.status_changed_at)


def test_pausing_without_a_reason_is_refused(kat_template, patient, therapist):
    # given
    enrollment = enrollment_create(patient=patient, template=kat_template, by=therapist)

    # when
    with pytest.raises(RuleViolation) as excinfo:
        services.enrollment_pause(enrollment=enrollment, by=therapist, reason="  ")

    # then
    assert excinfo.value.errors == {"reason": ["A reason is required."]}
    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"


def test_planned_session_status_changes_are_idempotent(kat_template, patient, therapist):
    # given
    enrollment = enrollment_create(patient=patient, template=kat_template, by=therapist)
    first = enrollment.planned_sessions.get(sequence=1)

    # when / then
    assert planned_session_mark_booked(planned_session=first) is True
    assert planned_session_mark_booked(planned_session=first) is False
    assert planned_session_mark_to_book(planned_session=first) is True
    assert planned_session_mark_to_book(planned_session=first) is False
    assert planned_session_mark_booked(planned_session=first) is True
    assert planned_session_mark_completed(planned_session=first) is True
    assert planned_session_mark_completed(planned_session=first) is False
    assert planned_session_mark_to_book(planned_session=first) is False
    assert PlannedSession.objects.get(pk=first.pk).status == "completed"


def test_progress_counts_each_step_and_names_the_next_session(kat_template, patient, therapist):
    # given
    enrollment = enrollment_create(patient=patient, template=kat_template, by=therapist)
    sessions = {p.sequence: p for p in enrollment.planned_sessions.all()}
    planned_session_mark_booked(planned_session=sessions[1])
    planned_session_mark_completed(planned_session=sessions[1])
    planned_session_mark_booked(planned_session=sessions[2])
    planned_session_mark_booked(planned_session=sessions[3])

    # when
    progress = enrollment_progress(enrollment=enrollment)

    # then
    assert [(s["label"], s["planned"], s["completed"], s["booked"], s["to_book"]) for s in progress["steps"]] == [
        ("Preparation session", 2, 1, 1, 0),
        ("Dosing session", 6, 0, 1, 5),
        ("Integration session", 6, 0, 0, 6),
    ]
    assert progress["next_session"].sequence == 4
    assert progress["next_session"].linked_dosing_id == sessions[3].pk
    assert progress["totals"] == {"to_book": 11, "booked": 2, "completed": 1, "cancelled": 0}
    assert progress["booster_due_from"] is None
    assert [p.kind for p in progress["prerequisites"]] == [
        "consent",
        "contraindication_screen",
        "fasting_confirmed",
        "ride_confirmed",
        "weight_recent",
    ]


def test_the_booster_falls_due_4_to_6_weeks_after_the_last_induction_infusion(iv_induction, patient, nurse):
    # given: clinic in New York; the last infusion completed 2026-03-02 15:00 UTC
    enrollment = enrollment_create(patient=patient, template=iv_induction, by=nurse)
    enrollment.planned_sessions.update(
        status="completed", status_changed_at=dt.datetime(2026, 2, 20, 15, tzinfo=dt.UTC)
    )
    enrollment.planned_sessions.filter(sequence=6).update(status_changed_at=dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC))

    # when
    progress = enrollment_progress(enrollment=enrollment)

    # then
    assert progress["booster_due_from"] == dt.date(2026, 3, 30)
    assert progress["booster_due_until"] == dt.date(2026, 4, 13)
    assert progress["next_session"] is None


def test_no_booster_is_due_while_infusions_remain(iv_induction, patient, nurse):
    # given
    enrollment = enrollment_create(patient=patient, template=iv_induction, by=nurse)
    enrollment.planned_sessions.exclude(sequence=6).update(status="completed", status_changed_at=timezone.now())

    # when
    progress = enrollment_progress(enrollment=enrollment)

    # then
    assert (progress["booster_due_from"], progress["booster_due_until"]) == (None, None)
    assert progress["next_session"].sequence == 6


def test_sessions_to_book_come_in_plan_order_with_their_staff_needs(
    kat_template, patient, therapist, django_assert_num_queries
):
    # given
    from programs.selectors import planned_sessions_to_book

    enrollment = enrollment_create(patient=patient, template=kat_template, by=therapist)
    planned_session_mark_booked(planned_session=enrollment.planned_sessions.get(sequence=1))

    # when
    with django_assert_num_queries(3):
        rows = [
            (p.sequence, p.step.label, sorted(n.role for n in p.step.staff_needs.all()))
            for p in planned_sessions_to_book(enrollment=enrollment)
        ]

    # then
    assert rows[:3] == [
        (2, "Preparation session", ["therapist"]),
        (3, "Dosing session", ["nurse", "prescriber", "therapist"]),
        (4, "Integration session", ["therapist"]),
    ]
    assert len(rows) == 13
