from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from monitoring.models import Alert, ScaleResponse
from monitoring.scales import ScaleAnswerError, score
from monitoring.selectors.scales import scale_trend
from monitoring.services.scales import scale_response_record


def _items(total: int, count: int, item_max: int, last_zero: bool = False) -> list[int]:
    """Answers summing to `total`, filled from item 1 (the last item left at 0 when asked)."""
    answers = [0] * count
    fillable = count - 1 if last_zero else count
    for i in range(fillable):
        answers[i] = min(item_max, total)
        total -= answers[i]
    assert total == 0
    return answers


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (24, "severe"),
    ],
)
def test_phq9_bands_at_every_edge(total, band):
    # when
    result = score("phq9", _items(total, 9, 3, last_zero=True))

    # then
    assert (result.total, result.severity, result.high_risk) == (total, band, False)
    assert (result.loinc_panel, result.loinc_total, result.item_loinc) == ("44249-1", "44261-6", {"9": "44260-8"})


def test_phq9_maximum_is_27_severe_and_high_risk():
    result = score("phq9", [3] * 9)
    assert (result.total, result.severity, result.high_risk) == (27, "severe", True)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands_at_every_edge(total, band):
    result = score("gad7", _items(total, 7, 3))
    assert (result.total, result.severity, result.loinc_total) == (total, band, "70274-6")


@pytest.mark.parametrize(
    ("total", "band"), [(0, "below_threshold"), (32, "below_threshold"), (33, "probable_ptsd"), (80, "probable_ptsd")]
)
def test_pcl5_probable_ptsd_at_the_default_cutoff(total, band):
    assert score("pcl5", _items(total, 20, 4)).severity == band


def test_pcl5_cutoff_is_configurable():
    assert score("pcl5", _items(31, 20, 4), pcl5_cutoff=31).severity == "probable_ptsd"


@pytest.mark.parametrize(
    ("answers", "severity", "high_risk"),
    [
        ({"q1": False, "q2": False, "q3": False, "q4": False, "q5": False, "q6": False}, "none", False),
        ({"q1": True, "q2": True, "q3": False, "q4": False, "q5": False, "q6": False}, "low", False),
        ({"q1": True, "q2": True, "q3": True, "q4": False, "q5": False, "q6": False}, "moderate", False),
        (
            {"q1": False, "q2": False, "q3": False, "q4": False, "q5": False, "q6": True, "q6_recent": False},
            "moderate",
            False,
        ),
        ({"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": False}, "high", True),
        ({"q1": True, "q2": True, "q3": True, "q4": False, "q5": True, "q6": False}, "high", True),
        (
            {"q1": False, "q2": False, "q3": False, "q4": False, "q5": False, "q6": True, "q6_recent": True},
            "high",
            True,
        ),
    ],
)
def test_cssrs_screener_risk_levels(answers, severity, high_risk):
    result = score("cssrs", answers)
    assert (result.severity, result.high_risk, result.total, result.loinc_panel) == (
        severity,
        high_risk,
        None,
        "93373-9",
    )


@pytest.mark.parametrize(
    ("scale", "answers", "bad"),
    [
        ("phq9", [0] * 8, "answers"),
        ("phq9", [0] * 8 + [4], "item_9"),
        ("phq9", [0] * 8 + [-1], "item_9"),
        ("phq9", [0] * 8 + [True], "item_9"),
        ("phq9", [0] * 8 + ["1"], "item_9"),
        ("gad7", [0] * 8, "answers"),
        ("pcl5", [0] * 19 + [5], "item_20"),
        ("cssrs", {"q1": True}, "q2"),
        ("cssrs", {"q1": False, "q2": False, "q3": False, "q4": False, "q5": False, "q6": True}, "q6_recent"),
    ],
)
def test_answers_that_do_not_fit_the_scale_are_refused(scale, answers, bad):
    with pytest.raises(ScaleAnswerError) as refused:
        score(scale, answers)
    assert bad in refused.value.errors


@pytest.mark.django_db
def test_phq9_item_9_raises_a_high_priority_alert_at_once(api, therapist, session, django_capture_on_commit_callbacks):
    # given
    body = {"patient": session.patient_id, "session": session.pk, "scale": "phq9", "answers": [1] * 8 + [1]}

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(therapist).post("/api/v1/chart/scale-responses/", body)

    # then
    assert response.status_code == 201
    assert (response.json()["total"], response.json()["severity"], response.json()["high_risk"]) == (9, "mild", True)
    alert = Alert.objects.get()
    assert (alert.kind, alert.priority, alert.session_id, alert.patient_id) == (
        "phq9_item9",
        "high",
        session.pk,
        session.patient_id,
    )
    assert alert.scale_response_id == response.json()["id"]
    assert len(callbacks) == 1  # the notification is handed to Celery only after commit


@pytest.mark.django_db
def test_a_positive_cssrs_raises_an_alert(therapist, patient):
    # when
    scale_response_record(
        patient=patient,
        scale="cssrs",
        by=therapist,
        source="clinician",
        answers={"q1": True, "q2": True, "q3": True, "q4": True, "q5": True, "q6": False},
    )

    # then
    assert Alert.objects.get().kind == "cssrs_positive"


@pytest.mark.django_db
def test_phq9_item_9_at_zero_raises_no_alert(therapist, patient):
    scale_response_record(patient=patient, scale="phq9", answers=[3] * 8 + [0], by=therapist, source="clinician")
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_invalid_answers_are_refused_with_every_bad_item_and_nothing_stored(api, therapist, patient):
    # when
    response = api(therapist).post(
        "/api/v1/chart/scale-responses/",
        {"patient": patient.pk, "scale": "phq9", "answers": [0, 9, 0, 0, 0, 0, 0, 0, 7]},
    )

    # then
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"item_2", "item_9"}
    assert not ScaleResponse.objects.exists()


@pytest.mark.django_db
def test_trend_reports_baseline_latest_response_and_remission(api, therapist, patient):
    # given: 20 at baseline, then 10 (a 50 % drop), then 4
    now = timezone.now()
    for days_ago, total in ((20, 20), (10, 10), (1, 4)):
        response = scale_response_record(
            patient=patient, scale="phq9", answers=_items(total, 9, 3, last_zero=True), by=therapist, source="clinician"
        )
        ScaleResponse.objects.filter(pk=response.pk).update(completed_at=now - dt.timedelta(days=days_ago))

    # when
    body = api(therapist).get(f"/api/v1/chart/scale-responses/trend/?patient={patient.pk}").json()

    # then
    assert len(body) == 1
    trend = body[0]
    assert (trend["baseline"], trend["latest"], trend["response"], trend["remission"]) == (20, 4, True, True)
    assert trend["change_percent"] == "80.0"
    assert [p["total"] for p in trend["points"]] == [20, 10, 4]


@pytest.mark.django_db
def test_a_drop_just_under_half_is_not_a_response(therapist, patient):
    # given
    first = scale_response_record(
        patient=patient, scale="phq9", answers=_items(20, 9, 3, True), by=therapist, source="clinician"
    )
    second = scale_response_record(
        patient=patient, scale="phq9", answers=_items(11, 9, 3, True), by=therapist, source="clinician"
    )
    ScaleResponse.objects.filter(pk=first.pk).update(completed_at=timezone.now() - dt.timedelta(days=7))
    first.refresh_from_db()

    # when
    trend = scale_trend(responses=[first, second], scale="phq9")

    # then
    assert (trend.response, trend.remission) == (False, False)
