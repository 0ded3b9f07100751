"""A write's readings are judged from the last all-clear reading before them, not over the whole
session: the same alerts as judging every reading each time, whatever order the readings arrive in.

The property test replays random sessions (readings in random batches, late entries, missing
measures, ties in time) twice: once judging every reading after each batch, once judging only the
window, and compares the alerts raised. The database tests check that a write reads no further back
than the window, and that a correction still judges the whole session.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.models import Alert, VitalSign
from monitoring.selectors.policy import DEFAULT_THRESHOLDS
from monitoring.services.corrections import chart_entry_mark_in_error
from monitoring.services.vitals import (
    after_all_clear,
    episodes_to_alert,
    session_breaches,
    threshold_rules,
    vitals_record,
)
from tests.monitoring.factories import VitalFactory

Row = namedtuple("Row", ["pk", "measured_at", "systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent"])
T0 = dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)
LIMITS = {kind: dict(values) for kind, values in DEFAULT_THRESHOLDS.items()}

# Values on both sides of each default limit (severe BP 180/110, critical 200/120, HR 120, SpO2 92),
# or the measure missing, as on a manual reading of one measure.
blood_pressures = st.sampled_from([None, (128, 80), (179, 109), (180, 100), (150, 110), (200, 100), (150, 120)])
heart_rates = st.sampled_from([None, 80, 120, 121, 140])
saturations = st.sampled_from([None, 97, 92, 91, 85])
readings = st.tuples(st.integers(min_value=0, max_value=40), blood_pressures, heart_rates, saturations).filter(
    lambda r: r[1] is not None or r[2] is not None or r[3] is not None
)
sessions = st.lists(st.lists(readings, min_size=1, max_size=6), min_size=1, max_size=8)


def judge(rows: list, alerts: dict[str, list]) -> None:
    """Raise (record) an alert per new episode, as session_vitals_evaluate does."""
    for kind, episode, _ in episodes_to_alert(session_breaches(readings=rows, limits=LIMITS), alerts):
        alerts.setdefault(kind, []).append(episode[0].measured_at)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=sessions)
def test_judging_the_window_raises_the_same_alerts_as_judging_every_reading(batches):
    rules = threshold_rules(LIMITS)
    stored: list[Row] = []
    every_reading: dict[str, list] = {}
    window_only: dict[str, list] = {}
    pk = 0
    for batch in batches:
        new = []
        for minute, bp, hr, spo2 in batch:
            pk += 1
            systolic, diastolic = bp or (None, None)
            new.append(Row(pk, T0 + dt.timedelta(minutes=minute), systolic, diastolic, hr, spo2))
        stored.extend(new)
        in_order = sorted(stored, key=lambda r: (r.measured_at, r.pk))
        since = min((r.measured_at, r.pk) for r in new)

        judge(in_order, every_reading)
        judge(after_all_clear(reversed(in_order), since=since, rules=rules), window_only)

    assert {k: sorted(v) for k, v in window_only.items()} == {k: sorted(v) for k, v in every_reading.items()}


def test_the_window_starts_after_the_last_all_clear_reading_before_the_new_ones():
    # given: all clear at 0, SpO2 low at 5, all clear at 10, a reading missing SpO2 at 15, new at 20
    rules = threshold_rules(LIMITS)
    rows = [
        Row(1, T0, 128, 80, 80, 97),
        Row(2, T0 + dt.timedelta(minutes=5), 128, 80, 80, 90),
        Row(3, T0 + dt.timedelta(minutes=10), 128, 80, 80, 97),
        Row(4, T0 + dt.timedelta(minutes=15), 128, 80, 80, None),
        Row(5, T0 + dt.timedelta(minutes=20), 128, 80, 80, 97),
    ]

    # when
    window = after_all_clear(reversed(rows), since=(rows[4].measured_at, 5), rules=rules)

    # then: 15 is not all clear (no SpO2), 10 is
    assert [r.pk for r in window] == [4, 5]


def test_with_no_all_clear_reading_before_the_new_ones_the_window_is_every_reading():
    rules = threshold_rules(LIMITS)
    rows = [Row(1, T0, 128, 80, None, 97), Row(2, T0 + dt.timedelta(minutes=5), 128, 80, 80, 97)]

    window = after_all_clear(reversed(rows), since=(rows[1].measured_at, 2), rules=rules)

    assert [r.pk for r in window] == [1, 2]


@pytest.mark.django_db
def test_given_an_unjudged_episode_long_before_when_a_new_reading_arrives_then_only_the_window_is_judged(
    session, nurse
):
    # given: SpO2 89 % at 0-2 min stored without being judged (as if judged under older limits),
    # then all-clear readings every 2 minutes up to 16 min
    VitalFactory(session=session, measured_at=session.block_starts_at, spo2_percent=89, entered_by=nurse)
    for minute in range(2, 18, 2):
        VitalFactory(
            session=session,
            measured_at=session.block_starts_at + dt.timedelta(minutes=minute),
            systolic_mmhg=128,
            diastolic_mmhg=80,
            heart_rate_bpm=80,
            spo2_percent=97,
            entered_by=nurse,
        )

    # when: a low reading at 18 min
    vitals_record(
        session=session,
        by=nurse,
        readings=[{"measured_at": session.block_starts_at + dt.timedelta(minutes=18), "spo2_percent": 90}],
    )

    # then: the new episode alerts; the one before the all-clear readings is not read again
    assert list(Alert.objects.values_list("kind", "episode_started_at")) == [
        ("spo2_low", session.block_starts_at + dt.timedelta(minutes=18))
    ]


@pytest.mark.django_db
def test_given_a_correction_when_it_is_judged_then_every_reading_of_the_session_is(session, nurse):
    # given: the same unjudged episode, and a reading to correct
    VitalFactory(session=session, measured_at=session.block_starts_at, spo2_percent=89, entered_by=nurse)
    wrong = VitalFactory(
        session=session, measured_at=session.block_starts_at + dt.timedelta(minutes=10), entered_by=nurse
    )

    # when
    chart_entry_mark_in_error(entry=wrong, by=nurse, reason="Wrong patient's monitor", operation="vitals.write")

    # then
    assert VitalSign.objects.get(pk=wrong.pk).entered_in_error_at is not None
    assert list(Alert.objects.values_list("kind", "episode_started_at")) == [("spo2_low", session.block_starts_at)]
