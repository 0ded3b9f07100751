"""The chart's gate and discharge status, judged over the rows the chart reads once, are the ones
`gate_status` and `discharge_status` give, in every state a session goes through, each state's
unmet items named; and the chart reads each of those rows once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.models import (
    ChecklistOverride,
    Escalation,
    SedationScore,
    SessionAttestation,
    VitalSign,
)
from monitoring.selectors.chart import chart_statuses, session_chart
from monitoring.selectors.chart_reads import ChartReads
from monitoring.selectors.gate import discharge_status, gate_status
from tests.monitoring.factories import VitalFactory, dose_given, recovered

pytestmark = pytest.mark.django_db


def _no_dose(session, nurse, prescriber):
    pass


def _dosed_and_waiting(session, nurse, prescriber):
    dose_given(session, nurse, prescriber, minutes_ago=20, medication="ketamine", route="im")


def _dosed_and_recovered(session, nurse, prescriber):
    dose_given(session, nurse, prescriber, minutes_ago=90, medication="ketamine", route="im")
    recovered(session, nurse)
    SessionAttestation.objects.filter(session=session).update(escort_present=True)


def _esketamine_without_the_40_minute_pressure(session, nurse, prescriber):
    dose_given(session, nurse, prescriber, minutes_ago=70, medication="esketamine", route="intranasal")


def _esketamine_with_the_40_minute_pressure_and_recovered(session, nurse, prescriber):
    dose_given(session, nurse, prescriber, minutes_ago=130, medication="esketamine", route="intranasal")
    VitalFactory(session=session, entered_by=nurse, measured_at=timezone.now() - dt.timedelta(minutes=88))
    recovered(session, nurse)
    SessionAttestation.objects.filter(session=session).update(escort_present=True)


def _recovered_but_the_good_readings_entered_in_error(session, nurse, prescriber):
    dose_given(session, nurse, prescriber, minutes_ago=90, medication="ketamine", route="im")
    VitalFactory(
        session=session,
        entered_by=nurse,
        measured_at=timezone.now() - dt.timedelta(minutes=30),
        systolic_mmhg=150,
        diastolic_mmhg=95,
        spo2_percent=91,
    )
    SedationScore.objects.create(
        session=session, measured_at=timezone.now() - dt.timedelta(minutes=30), moaas=3, recorded_by=nurse
    )
    recovered(session, nurse, minutes_ago=2)
    VitalSign.objects.filter(session=session, measured_at__gte=timezone.now() - dt.timedelta(minutes=15)).update(
        entered_in_error_at=timezone.now(), entered_in_error_by=nurse, entered_in_error_reason="Other patient's cuff"
    )
    SedationScore.objects.filter(session=session, moaas=5).update(
        entered_in_error_at=timezone.now(), entered_in_error_by=nurse, entered_in_error_reason="Other patient"
    )


def _pressure_above_the_hold_before_the_dose(session, nurse, prescriber):
    VitalFactory(
        session=session,
        entered_by=nurse,
        measured_at=timezone.now() - dt.timedelta(minutes=1),
        systolic_mmhg=162,
        diastolic_mmhg=97,
    )


def _a_dose_entered_in_error_only(session, nurse, prescriber):
    dose_given(
        session,
        nurse,
        prescriber,
        minutes_ago=30,
        medication="ketamine",
        route="im",
        entered_in_error_at=timezone.now(),
        entered_in_error_by=nurse,
        entered_in_error_reason="Wrong patient's chart",
    )


def _transferred_to_emergency_care(session, nurse, prescriber):
    dose_given(session, nurse, prescriber, minutes_ago=30, medication="ketamine", route="im")
    Escalation.objects.create(
        session=session,
        kind=Escalation.Kind.EMERGENCY_TRANSFER,
        occurred_at=timezone.now() - dt.timedelta(minutes=5),
        description="BP 210/125 after 25 minutes.",
        destination="County General ED",
        recorded_by=nurse,
    )


def _overridden_at_both_stages(session, nurse, prescriber):
    dose_given(session, nurse, prescriber, minutes_ago=20, medication="ketamine", route="im")
    SessionAttestation.objects.filter(session=session).update(escort_name="", escort_present=False)
    for stage, item in (("gate", "ride_confirmed"), ("discharge", "sedation"), ("discharge", "escort_present")):
        ChecklistOverride.objects.create(
            session=session, stage=stage, item=item, reason="Prescriber's judgement", overridden_by=prescriber
        )


STATES = [
    _no_dose,
    _dosed_and_waiting,
    _dosed_and_recovered,
    _esketamine_without_the_40_minute_pressure,
    _esketamine_with_the_40_minute_pressure_and_recovered,
    _recovered_but_the_good_readings_entered_in_error,
    _pressure_above_the_hold_before_the_dose,
    _a_dose_entered_in_error_only,
    _transferred_to_emergency_care,
    _overridden_at_both_stages,
]


# What each state leaves unmet (gate, discharge): the comparison above is of statuses that say something.
UNMET = {
    _no_dose: ([], []),
    _dosed_and_waiting: ([], ["monitoring_time", "sedation"]),
    _dosed_and_recovered: ([], []),
    _esketamine_without_the_40_minute_pressure: (["rems_enrollment"], ["monitoring_time", "bp_at_40_min", "sedation"]),
    _esketamine_with_the_40_minute_pressure_and_recovered: (["rems_enrollment"], []),
    _recovered_but_the_good_readings_entered_in_error: (["predose_vitals"], ["vitals_in_limits", "sedation"]),
    _pressure_above_the_hold_before_the_dose: (["predose_vitals"], []),
    _a_dose_entered_in_error_only: ([], []),
    _transferred_to_emergency_care: ([], []),
    _overridden_at_both_stages: ([], ["monitoring_time"]),
}


@pytest.mark.parametrize("state", STATES, ids=lambda f: f.__name__.strip("_"))
def test_the_charts_statuses_are_the_ones_read_for_themselves(ready_session, nurse, prescriber, state):
    # given a session in this state
    state(ready_session, nurse, prescriber)
    session = type(ready_session).objects.select_related("clinic", "patient").get(pk=ready_session.pk)

    # when the statuses are computed from the rows the chart read, and each by itself
    from_the_chart = chart_statuses(session=session, reads=ChartReads(session))
    by_themselves = (gate_status(session=session), discharge_status(session=session))

    # then they are the same
    assert from_the_chart == by_themselves
    gate, discharge = from_the_chart
    assert ([i["item"] for i in gate["unmet"]], [i["item"] for i in discharge["unmet"]]) == UNMET[state]


def test_the_chart_reads_each_of_the_rows_its_statuses_judge_once(ready_session, nurse, prescriber):
    # given a dosed session with an override at each stage
    _overridden_at_both_stages(ready_session, nurse, prescriber)
    session = type(ready_session).objects.select_related("clinic", "patient").get(pk=ready_session.pk)

    # when the whole chart is read
    with CaptureQueriesContext(connection) as queries:
        chart = session_chart(session=session)

    # then each of those tables is read once, and the statuses carry the overrides
    def reads(table: str) -> int:
        return sum(
            1 for q in queries.captured_queries if f'FROM "{table}"' in q["sql"] or f'JOIN "{table}"' in q["sql"]
        )

    assert [
        reads("monitoring_doseadministration"),
        reads("monitoring_sessionattestation"),
        reads("monitoring_checklistoverride"),
        reads("monitoring_escalation"),
        reads("monitoring_vitalsign"),
        reads("monitoring_sedationscore"),
        reads("monitoring_chartingpolicy"),
        reads("monitoring_vitalthresholdrule"),
    ] == [1, 1, 1, 1, 1, 1, 1, 1]
    assert [i["item"] for i in chart["gate"]["overridden"]] == ["ride_confirmed"]
    assert sorted(i["item"] for i in chart["discharge"]["overridden"]) == ["escort_present", "sedation"]
