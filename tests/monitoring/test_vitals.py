from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kat_clinic.errors import RuleViolation
from monitoring.models import Alert, VitalSign, VitalThresholdRule
from monitoring.services.vitals import session_vitals_evaluate, vitals_record
from tests.monitoring.factories import VitalFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)


def _bp(minutes: float, systolic: int, diastolic: int) -> dict:
    return {"measured_at": T0 + dt.timedelta(minutes=minutes), "systolic_mmhg": systolic, "diastolic_mmhg": diastolic}


def _hr(minutes: float, bpm: int) -> dict:
    return {"measured_at": T0 + dt.timedelta(minutes=minutes), "heart_rate_bpm": bpm}


def _spo2(minutes: float, percent: int) -> dict:
    return {"measured_at": T0 + dt.timedelta(minutes=minutes), "spo2_percent": percent}


CASES = [
    # severe BP on two readings >= 5 min apart (>= 180/110)
    ("bp 180/100 twice 5 min apart: at the limit", [_bp(0, 180, 100), _bp(5, 180, 100)], ["bp_severe_repeated"]),
    ("bp 179/109 twice: just under", [_bp(0, 179, 109), _bp(5, 179, 109)], []),
    ("bp 181/100 twice: just over", [_bp(0, 181, 100), _bp(5, 181, 100)], ["bp_severe_repeated"]),
    ("diastolic 110 alone twice", [_bp(0, 150, 110), _bp(5, 150, 110)], ["bp_severe_repeated"]),
    ("severe BP 4 min 59 s apart", [_bp(0, 185, 100), _bp(4 + 59 / 60, 185, 100)], []),
    ("severe BP interrupted by a normal reading", [_bp(0, 185, 100), _bp(3, 130, 80), _bp(6, 185, 100)], []),
    # critical BP, any reading (>= 200/120)
    ("bp 200/100: at the limit", [_bp(0, 200, 100)], ["bp_critical"]),
    ("bp 199/119: just under", [_bp(0, 199, 119)], []),
    ("bp 150/120: diastolic at the limit", [_bp(0, 150, 120)], ["bp_critical"]),
    # HR > 120 sustained 5 min
    ("hr 120 for 5 min: at the limit, not above", [_hr(0, 120), _hr(5, 120)], []),
    ("hr 121 for 5 min: just over", [_hr(0, 121), _hr(2.5, 125), _hr(5, 121)], ["hr_sustained"]),
    ("hr 121 for 4 min: not sustained", [_hr(0, 121), _hr(4, 121)], []),
    ("hr 121 then 119: run broken", [_hr(0, 121), _hr(3, 119), _hr(5, 121)], []),
    # SpO2 < 92
    ("spo2 92: at the limit", [_spo2(0, 92)], []),
    ("spo2 91: just under", [_spo2(0, 91)], ["spo2_low"]),
]


@pytest.mark.parametrize(("label", "readings", "kinds"), CASES, ids=[c[0] for c in CASES])
def test_threshold_rules_at_under_and_over_their_limits(label, readings, kinds, session, nurse):
    # when
    vitals_record(session=session, by=nurse, readings=readings)

    # then
    assert sorted(Alert.objects.values_list("kind", flat=True)) == kinds


def test_a_severe_bp_episode_that_also_crosses_critical_raises_both_rules_once(session, nurse):
    vitals_record(session=session, by=nurse, readings=[_bp(0, 205, 100), _bp(5, 210, 125), _bp(10, 185, 100)])
    assert sorted(Alert.objects.values_list("kind", flat=True)) == ["bp_critical", "bp_severe_repeated"]


def test_a_late_entered_reading_completes_an_episode(session, nurse):
    # given: a severe reading, then a normal one 10 min later; no alert yet
    vitals_record(session=session, by=nurse, readings=[_bp(0, 185, 100), _bp(10, 130, 80)])
    assert not Alert.objects.exists()

    # when: the reading taken at 5 min is entered late
    vitals_record(session=session, by=nurse, readings=[_bp(5, 186, 101)])

    # then
    alert = Alert.objects.get()
    assert alert.kind == "bp_severe_repeated"
    assert alert.episode_started_at == T0
    assert alert.session_id == session.pk


def test_re_evaluating_or_extending_an_episode_raises_no_duplicate(session, nurse):
    # given
    vitals_record(session=session, by=nurse, readings=[_spo2(10, 90), _spo2(15, 89)])
    assert Alert.objects.count() == 1

    # when: evaluated again, and a late reading extends the episode backwards
    session_vitals_evaluate(session=session)
    vitals_record(session=session, by=nurse, readings=[_spo2(5, 90)])

    # then
    assert Alert.objects.count() == 1


def test_a_new_episode_after_recovery_raises_a_new_alert(session, nurse):
    vitals_record(session=session, by=nurse, readings=[_spo2(0, 90), _spo2(5, 97), _spo2(10, 89)])
    assert Alert.objects.filter(kind="spo2_low").count() == 2


def test_clinic_thresholds_replace_the_defaults(session, nurse, clinic):
    # given
    VitalThresholdRule.objects.create(clinic=clinic, kind="spo2_low", spo2_percent=94)

    # when
    vitals_record(session=session, by=nurse, readings=[_spo2(0, 93)])

    # then
    assert Alert.objects.get().details["limits"] == {"spo2_percent": 94}


def test_given_a_clinic_threshold_when_a_reading_is_posted_then_it_is_judged_by_the_rule_read_with_the_session(
    api, nurse, session, clinic
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # given
    VitalThresholdRule.objects.create(clinic=clinic, kind="spo2_low", spo2_percent=94)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = api(nurse).post(
            "/api/v1/chart/vitals/", {"session": session.pk, "measured_at": T0.isoformat(), "spo2_percent": 93}
        )

    # then the clinic's limit raised the alert, and the rules were read by the session's locking read
    assert response.status_code == 201, response.json()
    assert Alert.objects.get().details["limits"] == {"spo2_percent": 94}
    (read,) = [q["sql"] for q in queries.captured_queries if '"monitoring_vitalthresholdrule"' in q["sql"]]
    assert read.startswith('SELECT "clinic_sessions_session"."id"')
    assert read.endswith('FOR UPDATE OF "clinic_sessions_session"')


def test_batch_from_a_monitor_is_idempotent_on_the_reading_id(api, nurse, session, django_capture_on_commit_callbacks):
    # given
    readings = [
        {
            "measured_at": (T0 + dt.timedelta(minutes=i)).isoformat(),
            "systolic_mmhg": 120,
            "diastolic_mmhg": 80,
            "heart_rate_bpm": 70,
            "spo2_percent": 98,
            "source": "device",
            "device_reading_id": f"m1-{i}",
        }
        for i in range(3)
    ]
    client = api(nurse)

    # when
    first = client.post("/api/v1/chart/vitals/batch/", {"session": session.pk, "readings": readings})
    again = client.post("/api/v1/chart/vitals/batch/", {"session": session.pk, "readings": readings + readings[:1]})

    # then
    assert (first.status_code, first.json()["created"], first.json()["duplicates"]) == (200, 3, 0)
    assert (again.status_code, again.json()["created"], again.json()["duplicates"]) == (200, 0, 4)
    assert VitalSign.objects.filter(session=session).count() == 3


def test_a_breach_in_a_batch_raises_an_alert_notified_after_commit(
    api, nurse, session, django_capture_on_commit_callbacks
):
    # given
    readings = [{"measured_at": T0.isoformat(), "spo2_percent": 88, "source": "device", "device_reading_id": "x1"}]

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(nurse).post("/api/v1/chart/vitals/batch/", {"session": session.pk, "readings": readings})

    # then
    alert = Alert.objects.get()
    assert response.json()["alerts"] == [alert.pk]
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("reading", "field"),
    [
        ({"spo2_percent": 101}, "spo2_percent"),
        ({"systolic_mmhg": 120, "diastolic_mmhg": 120}, "diastolic_mmhg"),
        ({"systolic_mmhg": 120, "diastolic_mmhg": 130}, "diastolic_mmhg"),
        ({"systolic_mmhg": 120}, "diastolic_mmhg"),
        ({"heart_rate_bpm": 400}, "heart_rate_bpm"),
        ({"temperature_c": "50.0"}, "temperature_c"),
        ({}, "non_field_errors"),
    ],
)
def test_impossible_values_are_refused_and_nothing_stored(api, nurse, session, reading, field):
    # when
    response = api(nurse).post(
        "/api/v1/chart/vitals/", {"session": session.pk, "measured_at": T0.isoformat(), **reading}
    )

    # then
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not VitalSign.objects.exists()


@pytest.mark.parametrize(
    "values",
    [{"spo2_percent": 101}, {"systolic_mmhg": 120, "diastolic_mmhg": 121}, {"heart_rate_bpm": 0}],
)
def test_the_database_refuses_impossible_values_too(session, nurse, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        VitalFactory(session=session, entered_by=nurse, **{"systolic_mmhg": 120, "diastolic_mmhg": 80, **values})
    assert not VitalSign.objects.exists()


@pytest.mark.parametrize(
    ("reading", "errors"),
    [
        ({"systolic_mmhg": 120}, {"diastolic_mmhg": ["Blood pressure needs both systolic and diastolic."]}),
        ({"systolic_mmhg": 120, "diastolic_mmhg": 120}, {"diastolic_mmhg": ["Diastolic must be below systolic."]}),
        ({}, {"non_field_errors": ["A reading measures something."]}),
        (
            {"heart_rate_bpm": 80, "source": "device"},
            {"device_reading_id": ["A reading from a monitor carries the monitor's reading id."]},
        ),
    ],
)
def test_given_a_broken_reading_when_recorded_directly_then_a_rule_names_it_and_nothing_is_stored(
    session, nurse, reading, errors
):
    # given a whole reading, then the broken one, in one batch
    readings = [_hr(0, 80), {"measured_at": T0 + dt.timedelta(minutes=1), **reading}]

    # when the service is called without the API's serializer (its caller's transaction is then
    # rolled back: the service joins it without a savepoint)
    with pytest.raises(RuleViolation) as refused, transaction.atomic():
        vitals_record(session=session, by=nurse, readings=readings, batch=True)

    # then the refusal names the reading's fields by its place, and neither reading is stored
    assert refused.value.type == "vital_reading_invalid"
    assert refused.value.errors == {f"readings.1.{field}": messages for field, messages in errors.items()}
    assert not VitalSign.objects.exists()


def test_given_a_diastolic_alone_then_the_rule_names_both_of_its_problems(session, nurse):
    with pytest.raises(RuleViolation) as refused, transaction.atomic():
        vitals_record(session=session, by=nurse, readings=[{"measured_at": T0, "diastolic_mmhg": 80}])
    assert refused.value.errors == {
        "diastolic_mmhg": ["Blood pressure needs both systolic and diastolic."],
        "non_field_errors": ["A reading measures something."],  # a diastolic measures nothing alone
    }
    assert not VitalSign.objects.exists()


def test_alerts_are_acknowledged_once(api, nurse, session):
    # given
    vitals_record(session=session, by=nurse, readings=[_spo2(0, 88)])
    alert = Alert.objects.get()
    client = api(nurse)

    # when
    first = client.post(f"/api/v1/chart/alerts/{alert.pk}/acknowledge/")
    second = client.post(f"/api/v1/chart/alerts/{alert.pk}/acknowledge/")

    # then
    assert (first.status_code, second.status_code) == (200, 409)
    alert.refresh_from_db()
    assert alert.acknowledged_by_id == nurse.pk


def test_session_staff_see_its_alerts_and_the_scheduler_does_not(api, nurse, therapist, scheduler, session):
    # given
    vitals_record(session=session, by=nurse, readings=[_spo2(0, 88)])

    # when
    seen = api(therapist).get(f"/api/v1/chart/alerts/?session={session.pk}")
    refused = api(scheduler).get(f"/api/v1/chart/alerts/?session={session.pk}")

    # then
    assert [a["kind"] for a in seen.json()["results"]] == ["spo2_low"]
    assert refused.status_code == 403


def test_a_resent_single_device_reading_answers_with_the_stored_one(api, nurse, session):
    body = {
        "session": session.pk,
        "measured_at": T0.isoformat(),
        "spo2_percent": 97,
        "source": "device",
        "device_reading_id": "r-1",
    }
    client = api(nurse)
    first, again = client.post("/api/v1/chart/vitals/", body), client.post("/api/v1/chart/vitals/", body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert VitalSign.objects.count() == 1


def test_a_reading_reads_the_session_once_by_its_own_row_only_in_scope_and_locked(api, nurse, session):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # when a nurse records a reading
    with CaptureQueriesContext(connection) as queries:
        response = api(nurse).post(
            "/api/v1/chart/vitals/",
            {"session": session.pk, "measured_at": T0.isoformat(), "systolic_mmhg": 118, "diastolic_mmhg": 76},
        )

    # then it is stored, and the session was read once: the body's scope check and the service's
    # lock are one statement, of its own row alone (neither the clinic's row nor the patient's: of
    # the clinic, only the charting rules are read, by its id)
    assert response.status_code == 201
    assert VitalSign.objects.get(pk=response.json()["id"]).systolic_mmhg == 118
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "clinic_sessions_session"' in q["sql"]]
    assert len(reads) == 1
    assert "JOIN" not in reads[0]
    assert '"clinic_sessions_session"."clinic_id" = ANY(' in reads[0]
    assert reads[0].endswith('FOR UPDATE OF "clinic_sessions_session"')
    assert reads[0].endswith('FOR UPDATE OF "clinic_sessions_session"')
    assert not [q for q in queries.captured_queries if 'FROM "kat_clinic_patient"' in q["sql"]]
    assert not [q for q in queries.captured_queries if '"kat_clinic_clinic"."timezone"' in q["sql"]]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("abc", "Incorrect type. Expected pk value, received str."),
        (True, "Incorrect type. Expected pk value, received bool."),
        ([1], "Incorrect type. Expected pk value, received list."),
        (2**63, f'Invalid pk "{2**63}" - object does not exist.'),
        (-1, 'Invalid pk "-1" - object does not exist.'),
    ],
)
def test_a_reading_naming_no_session_is_refused_as_drf_words_it_and_stores_nothing(api, nurse, session, given, message):
    # when
    response = api(nurse).post(
        "/api/v1/chart/vitals/",
        {"session": given, "measured_at": T0.isoformat(), "systolic_mmhg": 118, "diastolic_mmhg": 76},
    )

    # then
    assert response.status_code == 400
    assert response.json()["errors"]["session"] == [message]
    assert not VitalSign.objects.exists()


def test_a_reading_for_another_clinics_session_is_refused_as_if_it_did_not_exist(api, nurse, other_clinic):
    from tests.factories import PatientFactory
    from tests.monitoring.factories import SessionFactory

    # given a session of a clinic where the nurse has no role
    theirs = SessionFactory(patient=PatientFactory(home_clinic=other_clinic))

    # when
    response = api(nurse).post(
        "/api/v1/chart/vitals/",
        {"session": theirs.pk, "measured_at": T0.isoformat(), "systolic_mmhg": 118, "diastolic_mmhg": 76},
    )

    # then
    assert response.status_code == 400
    assert response.json()["errors"]["session"] == [f'Invalid pk "{theirs.pk}" - object does not exist.']
    assert not VitalSign.objects.exists()
