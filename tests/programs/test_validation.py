"""Two stages: on save each part must make sense alone; on publish the whole must be complete."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from kat_clinic.api.exceptions import problem_for
from kat_clinic.errors import RuleViolation
from programs.models import ProgramTemplate, StaffNeed, TemplateRule, TemplateStep
from programs.services import template_create, template_publish, template_update
from tests.programs.factories import small_kat_spec

pytestmark = pytest.mark.django_db


def _create(organization, spec):
    return template_create(organization=organization, by=None, **spec)


def _refused_on_save(organization, spec) -> dict:
    with pytest.raises(RuleViolation) as excinfo:
        _create(organization, spec)
    assert problem_for(excinfo.value).status == 422
    assert ProgramTemplate.objects.count() == 0
    assert TemplateStep.objects.count() == 0
    assert StaffNeed.objects.count() == 0
    assert TemplateRule.objects.count() == 0
    return excinfo.value.errors


def _refused_on_publish(organization, spec) -> dict:
    template = _create(organization, spec)
    with pytest.raises(RuleViolation) as excinfo:
        template_publish(template=template, by=None)
    template.refresh_from_db()
    assert template.state == "draft"
    assert template.published_at is None
    return excinfo.value.errors


def test_a_complete_template_is_saved_then_published(organization):
    # when
    template = _create(organization, small_kat_spec())
    published = template_publish(template=template, by=None)

    # then
    assert (published.state, published.version) == ("published", 1)
    assert published.steps.count() == 3
    assert StaffNeed.objects.filter(step__template=published).count() == 4
    assert published.rules.get(kind="integration_window").step.position == 3


def test_a_block_shorter_than_its_session_is_refused_on_save(organization):
    # given
    spec = small_kat_spec()
    spec["steps"][1]["session_minutes"] = 200

    # when
    errors = _refused_on_save(organization, spec)

    # then
    assert errors == {
        "steps.1.block_minutes": [
            "The block (180 min) must be at least as long as the session (200 min): "
            "it includes monitoring and recovery."
        ]
    }


def test_a_session_of_zero_minutes_is_refused_on_save(organization):
    # given
    spec = small_kat_spec()
    spec["steps"][0]["session_minutes"] = 0

    # when
    errors = _refused_on_save(organization, spec)

    # then
    assert errors == {"steps.0.session_minutes": ["The session must last more than 0 minutes."]}


def test_an_integration_window_that_closes_before_it_opens_is_refused_on_save(organization):
    # given
    spec = small_kat_spec()
    spec["rules"][1]["max_interval"] = dt.timedelta(hours=12)

    # when
    errors = _refused_on_save(organization, spec)

    # then
    assert errors == {"rules.1.max_interval": ["The window must end after it starts."]}


def test_a_gap_the_weekly_cap_cannot_satisfy_is_refused_on_save(organization):
    # given: 4 days apart, 2 a week is possible, 3 a week never
    spec = small_kat_spec()
    spec["rules"][2]["max_count"] = 3
    spec["rules"].append({"kind": "dosing_min_gap", "step_position": 2, "min_interval": dt.timedelta(days=4)})

    # when
    errors = _refused_on_save(organization, spec)

    # then
    assert errors == {
        "rules.3.min_interval": [
            "With 4 day(s) between sessions, 3 sessions never fit in 7 day(s): shorten the gap or lower the cap."
        ]
    }


def test_a_role_that_does_not_exist_is_refused_on_save(organization):
    # given
    spec = small_kat_spec()
    spec["steps"][1]["staff_needs"][1]["role"] = "surgeon"

    # when
    errors = _refused_on_save(organization, spec)

    # then
    assert errors == {"steps.1.staff_needs.1.role": ["'surgeon' is not a known role."]}


def test_a_staff_need_past_the_end_of_the_block_is_refused_on_save(organization):
    # given
    spec = small_kat_spec()
    spec["steps"][1]["staff_needs"][0]["end_offset_minutes"] = 200

    # when
    errors = _refused_on_save(organization, spec)

    # then
    assert errors == {
        "steps.1.staff_needs.0.end_offset_minutes": ["The need ends at 200 min, after the end of the block (180 min)."]
    }


def test_a_rule_pointing_at_a_missing_step_is_refused_on_save(organization):
    # given
    spec = small_kat_spec()
    spec["rules"][1]["step_position"] = 9

    # when
    errors = _refused_on_save(organization, spec)

    # then
    assert errors == {"rules.1.step_position": ["No step at position 9."]}


def test_an_invalid_update_of_a_draft_changes_nothing(organization):
    # given
    template = _create(organization, small_kat_spec())
    steps = copy.deepcopy(small_kat_spec()["steps"])
    steps[0]["block_minutes"] = 10

    # when
    with pytest.raises(RuleViolation) as excinfo:
        template_update(template=template, name="Renamed", steps=steps)

    # then
    assert "steps.0.block_minutes" in excinfo.value.errors
    template.refresh_from_db()
    assert template.name == "KAT short course"
    assert list(template.steps.values_list("block_minutes", flat=True)) == [60, 180, 60]


def test_an_integration_step_without_a_dosing_step_before_it_is_refused_on_publish(organization):
    # given
    spec = small_kat_spec()
    spec["steps"][1]["position"], spec["steps"][2]["position"] = 3, 2
    spec["rules"][1]["step_position"] = 2
    spec["rules"][2]["step_position"] = 3

    # when
    errors = _refused_on_publish(organization, spec)

    # then: errors name the steps in stored order (by position), as the API shows them
    assert errors == {"steps.1.position": ["An integration step needs a dosing step before it."]}


def test_an_integration_step_without_a_window_rule_is_refused_on_publish(organization):
    # given
    spec = small_kat_spec()
    del spec["rules"][1]

    # when
    errors = _refused_on_publish(organization, spec)

    # then
    assert errors == {"rules": ["Integration step 3 needs an integration_window rule."]}


def test_dosing_without_consent_is_refused_on_publish(organization):
    # given
    spec = small_kat_spec()
    spec["prerequisites"] = [p for p in spec["prerequisites"] if p["kind"] != "consent"]

    # when
    errors = _refused_on_publish(organization, spec)

    # then
    assert errors == {"prerequisites": ["Dosing sessions need the 'consent' prerequisite."]}


def test_a_weight_based_dose_without_a_recent_weight_is_refused_on_publish(organization):
    # given
    spec = small_kat_spec()
    spec["prerequisites"] = [p for p in spec["prerequisites"] if p["kind"] != "weight_recent"]

    # when
    errors = _refused_on_publish(organization, spec)

    # then
    assert errors == {"prerequisites": ["A dose in mg/kg needs a recent weight: add 'weight_recent'."]}


def test_a_dosing_step_without_a_medication_is_refused_on_publish(organization):
    # given
    spec = small_kat_spec()
    spec["steps"][1]["medication"] = ""

    # when
    errors = _refused_on_publish(organization, spec)

    # then
    assert errors == {"steps.1.medication": ["A dosing step says which medication is given."]}


def test_esketamine_without_rems_enrollment_is_refused_on_publish(organization):
    # given
    spec = small_kat_spec()
    spec["steps"][1].update(medication="esketamine", route="intranasal", dose_mg_per_kg=None, dose_mg=84)

    # when
    errors = _refused_on_publish(organization, spec)

    # then
    assert errors == {"prerequisites": ["Esketamine requires REMS enrollment: add 'rems_enrollment'."]}


def test_an_unknown_scale_slipped_in_by_sql_is_refused_on_publish(organization):
    # given
    template = _create(organization, small_kat_spec())
    template.scale_schedule.update(scale="beck")

    # when
    with pytest.raises(RuleViolation) as excinfo:
        template_publish(template=template, by=None)

    # then
    assert excinfo.value.errors == {"scale_schedule.0.scale": ["'beck' is not a known rating scale."]}
    template.refresh_from_db()
    assert template.state == "draft"


def test_a_template_without_steps_is_refused_on_publish(organization):
    # given
    spec = {"name": "Empty", "pathway": "kat"}

    # when
    errors = _refused_on_publish(organization, spec)

    # then
    assert errors == {"steps": ["A program needs at least one step."]}
