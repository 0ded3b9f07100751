from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from programs.catalog import install_shipped_templates
from programs.models import PlannedSession, ProgramTemplate
from programs.services import enrollment_create

pytestmark = pytest.mark.django_db


def _plan(enrollment):
    return [
        (
            p.sequence,
            p.kind,
            p.occurrence,
            p.linked_dosing.sequence if p.linked_dosing else None,
            p.window_min,
            p.window_max,
        )
        for p in PlannedSession.objects.filter(enrollment=enrollment)
        .select_related("linked_dosing")
        .order_by("sequence")
    ]


def test_the_four_shipped_templates_are_published(shipped):
    # then
    assert sorted((t.name, t.state, t.version) for t in shipped.values()) == [
        ("Esketamine induction (REMS)", "published", 1),
        ("IV ketamine booster", "published", 1),
        ("IV ketamine induction", "published", 1),
        ("Ketamine-assisted therapy", "published", 1),
    ]


def test_installing_twice_creates_nothing_more(organization, shipped):
    # when
    created = install_shipped_templates(organization=organization)
    call_command("seed_program_templates", organization=organization.slug)

    # then
    assert created == []
    assert ProgramTemplate.objects.filter(organization=organization).count() == 4


def test_kat_plan_interleaves_each_integration_after_its_dosing(kat_template, patient, therapist):
    # when
    enrollment = enrollment_create(patient=patient, template=kat_template, by=therapist)

    # then
    h24, h72 = dt.timedelta(hours=24), dt.timedelta(hours=72)
    assert _plan(enrollment) == [
        (1, "preparation", 1, None, None, None),
        (2, "preparation", 2, None, None, None),
        (3, "dosing", 1, None, None, None),
        (4, "integration", 1, 3, h24, h72),
        (5, "dosing", 2, None, None, None),
        (6, "integration", 2, 5, h24, h72),
        (7, "dosing", 3, None, None, None),
        (8, "integration", 3, 7, h24, h72),
        (9, "dosing", 4, None, None, None),
        (10, "integration", 4, 9, h24, h72),
        (11, "dosing", 5, None, None, None),
        (12, "integration", 5, 11, h24, h72),
        (13, "dosing", 6, None, None, None),
        (14, "integration", 6, 13, h24, h72),
    ]
    assert enrollment.status == "active"
    assert enrollment.pathway == "kat"
    assert set(PlannedSession.objects.filter(enrollment=enrollment).values_list("status", flat=True)) == {"to_book"}


def test_kat_dosing_step_needs_a_therapist_for_the_whole_block(kat_template):
    # given
    dosing = kat_template.steps.get(kind="dosing")

    # then
    assert (dosing.count, dosing.session_minutes, dosing.block_minutes, dosing.route) == (6, 150, 180, "im")
    assert sorted((n.role, n.mode, n.start_offset_minutes, n.end_offset_minutes) for n in dosing.staff_needs.all()) == [
        ("nurse", "shared", 0, 100),
        ("prescriber", "present", 0, 180),
        ("therapist", "exclusive", 0, 180),
    ]
    cap = kat_template.rules.get(kind="dosing_weekly_cap")
    assert (cap.max_count, cap.period, cap.step_id) == (2, dt.timedelta(days=7), dosing.pk)


def test_iv_induction_plans_six_infusions_with_gap_cap_and_booster(iv_induction, patient, nurse):
    # when
    enrollment = enrollment_create(patient=patient, template=iv_induction, by=nurse)

    # then
    assert _plan(enrollment) == [(n, "dosing", n, None, None, None) for n in range(1, 7)]
    infusion = iv_induction.steps.get()
    assert (infusion.session_minutes, infusion.block_minutes, infusion.infusion_minutes) == (40, 100, 40)
    assert (infusion.route, infusion.dose_mg_per_kg) == ("iv", Decimal("0.500"))
    rules = {r.kind: (r.min_interval, r.max_interval, r.max_count, r.period) for r in iv_induction.rules.all()}
    assert rules == {
        "dosing_min_gap": (dt.timedelta(days=1), None, None, None),
        "dosing_weekly_cap": (None, None, 3, dt.timedelta(days=7)),
        "booster_due": (dt.timedelta(weeks=4), dt.timedelta(weeks=6), None, None),
    }


def test_esketamine_plans_eight_monitored_doses_gated_by_rems(shipped, patient, nurse):
    # given
    template = shipped["esketamine_induction_rems"]

    # when
    enrollment = enrollment_create(patient=patient, template=template, by=nurse)

    # then
    assert _plan(enrollment) == [(n, "dosing", n, None, None, None) for n in range(1, 9)]
    step = template.steps.get()
    assert (step.first_dose_mg, step.dose_mg, step.block_minutes, step.medication) == (
        Decimal("56.00"),
        Decimal("84.00"),
        120,
        "esketamine",
    )
    assert sorted((n.role, n.mode) for n in step.staff_needs.all()) == [("nurse", "shared"), ("prescriber", "present")]
    assert "rems_enrollment" in set(template.prerequisites.values_list("kind", flat=True))


def test_iv_booster_plans_one_infusion(shipped, patient, nurse):
    # when
    enrollment = enrollment_create(patient=patient, template=shipped["iv_ketamine_booster"], by=nurse)

    # then
    assert _plan(enrollment) == [(1, "dosing", 1, None, None, None)]
