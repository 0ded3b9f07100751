"""A clinic's charting policy and vital thresholds, read together in one statement, or with a session
in the session's own statement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from monitoring.models import ChartingPolicy, ThresholdRuleKind, VitalThresholdRule
from monitoring.selectors.policy import (
    charting_rules,
    policy_for,
    session_charting_rules,
    thresholds_for,
    with_charting_rules,
)
from sessions.models import Session
from tests.factories import ClinicFactory, PatientFactory
from tests.monitoring.factories import SessionFactory

pytestmark = pytest.mark.django_db

DEFAULTS = {
    ThresholdRuleKind.PREDOSE_HOLD: {"systolic_mmhg": 140, "diastolic_mmhg": 90},
    ThresholdRuleKind.BP_SEVERE_REPEATED: {"systolic_mmhg": 180, "diastolic_mmhg": 110, "minutes": 5},
    ThresholdRuleKind.BP_CRITICAL: {"systolic_mmhg": 200, "diastolic_mmhg": 120},
    ThresholdRuleKind.HR_SUSTAINED: {"heart_rate_bpm": 120, "minutes": 5},
    ThresholdRuleKind.SPO2_LOW: {"spo2_percent": 92},
}


def test_given_a_clinic_with_no_rows_then_the_defaults_unsaved(django_assert_num_queries):
    # given
    clinic = ClinicFactory()

    # when
    with django_assert_num_queries(1):
        policy, limits = charting_rules(clinic.pk)

    # then
    assert policy.pk is None
    assert policy.clinic_id == clinic.pk
    assert (policy.weight_max_age_days, policy.fasting_hours_ketamine, policy.session_margin_minutes) == (
        30,
        Decimal("6.0"),
        120,
    )
    assert limits == DEFAULTS


def test_given_a_policy_row_and_rules_then_both_come_back_from_one_statement(django_assert_num_queries):
    # given a clinic's own policy, a rule that narrows a default and one that switches a rule off
    clinic, other = ClinicFactory(), ClinicFactory()
    stored = ChartingPolicy.objects.create(
        clinic=clinic, weight_max_age_days=14, fasting_hours_ketamine=Decimal("8.5"), session_margin_minutes=45
    )
    VitalThresholdRule.objects.create(clinic=clinic, kind=ThresholdRuleKind.SPO2_LOW, spo2_percent=94)
    VitalThresholdRule.objects.create(clinic=clinic, kind=ThresholdRuleKind.HR_SUSTAINED, active=False)
    VitalThresholdRule.objects.create(clinic=other, kind=ThresholdRuleKind.BP_CRITICAL, systolic_mmhg=190)

    # when
    with django_assert_num_queries(1):
        policy, limits = charting_rules(clinic)

    # then the policy is the stored row, column for column, and saved
    assert policy.pk == stored.pk
    assert not policy._state.adding
    for field in ChartingPolicy._meta.concrete_fields:
        assert getattr(policy, field.attname) == getattr(ChartingPolicy.objects.get(pk=stored.pk), field.attname), (
            field.attname
        )
    assert policy.fasting_hours_ketamine == Decimal("8.5")
    # and the thresholds are the defaults under the clinic's own rows (not the other clinic's)
    assert limits == {
        **DEFAULTS,
        ThresholdRuleKind.SPO2_LOW: {"spo2_percent": 94},
        ThresholdRuleKind.HR_SUSTAINED: None,
    }
    # and the two readers answer the same
    assert policy_for(clinic.pk).weight_max_age_days == 14
    assert thresholds_for(clinic=clinic) == limits


def test_given_a_changed_rule_then_the_next_read_sees_it():
    # given a rule read once (the statement is compiled once, the values are read every time)
    clinic = ClinicFactory()
    rule = VitalThresholdRule.objects.create(clinic=clinic, kind=ThresholdRuleKind.SPO2_LOW, spo2_percent=94)
    assert charting_rules(clinic).limits[ThresholdRuleKind.SPO2_LOW] == {"spo2_percent": 94}

    # when it changes
    rule.spo2_percent = 90
    rule.save()

    # then the next read answers the change
    assert charting_rules(clinic).limits[ThresholdRuleKind.SPO2_LOW] == {"spo2_percent": 90}


def _session_with_rules(session_id: int):
    return with_charting_rules(Session.objects.filter(pk=session_id)).get()


def test_given_a_session_read_with_its_charting_rules_then_they_are_the_clinics_exactly_without_a_query(
    django_assert_num_queries,
):
    # given a clinic's own policy (decimals that are not the defaults), a narrowed rule and a rule
    # switched off, and another clinic's rule
    clinic, other = ClinicFactory(), ClinicFactory()
    ChartingPolicy.objects.create(
        clinic=clinic,
        weight_max_age_days=14,
        fasting_hours_ketamine=Decimal("8.5"),
        fasting_hours_esketamine=Decimal("10.0"),
        esketamine_older_adult_first_dose_mg=Decimal("28.0"),
        session_margin_minutes=45,
    )
    VitalThresholdRule.objects.create(clinic=clinic, kind=ThresholdRuleKind.SPO2_LOW, spo2_percent=94)
    VitalThresholdRule.objects.create(clinic=clinic, kind=ThresholdRuleKind.HR_SUSTAINED, active=False)
    VitalThresholdRule.objects.create(clinic=other, kind=ThresholdRuleKind.BP_CRITICAL, systolic_mmhg=190)
    session = _session_with_rules(SessionFactory(patient=PatientFactory(home_clinic=clinic)).pk)

    # when
    with django_assert_num_queries(0):
        policy, limits = session_charting_rules(session)

    # then each column is what the clinic's own read gives, of the same type (a decimal, not a float)
    read = charting_rules(clinic)
    assert (policy.pk, policy._state.adding) == (read.policy.pk, False)
    for field in ChartingPolicy._meta.concrete_fields:
        mine, theirs = getattr(policy, field.attname), getattr(read.policy, field.attname)
        assert (mine, type(mine)) == (theirs, type(theirs)), field.attname
    assert str(policy.fasting_hours_ketamine) == "8.5"
    assert str(policy.esketamine_older_adult_first_dose_mg) == "28.00"
    assert (
        limits
        == read.limits
        == {
            **DEFAULTS,
            ThresholdRuleKind.SPO2_LOW: {"spo2_percent": 94},
            ThresholdRuleKind.HR_SUSTAINED: None,
        }
    )


def test_given_a_clinic_with_no_rows_then_a_session_read_with_its_rules_has_the_defaults_unsaved(
    django_assert_num_queries,
):
    # given
    clinic = ClinicFactory()
    session = _session_with_rules(SessionFactory(patient=PatientFactory(home_clinic=clinic)).pk)

    # when
    with django_assert_num_queries(0):
        policy, limits = session_charting_rules(session)

    # then
    assert (policy.pk, policy.clinic_id, policy.fasting_hours_ketamine) == (None, clinic.pk, Decimal("6.0"))
    assert limits == DEFAULTS


def test_given_a_session_read_any_other_way_then_its_rules_are_read(django_assert_num_queries):
    # given
    clinic = ClinicFactory()
    VitalThresholdRule.objects.create(clinic=clinic, kind=ThresholdRuleKind.SPO2_LOW, spo2_percent=94)
    session = Session.objects.get(pk=SessionFactory(patient=PatientFactory(home_clinic=clinic)).pk)

    # when / then
    with django_assert_num_queries(1):
        assert session_charting_rules(session).limits[ThresholdRuleKind.SPO2_LOW] == {"spo2_percent": 94}
