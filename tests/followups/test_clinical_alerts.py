"""Clinical alerts reach a person: in-app to the session's team and the on-call list at once, a page
to the first person on call, then the next one and the prescribers while nobody acknowledges it.

Time is driven by calling the dispatcher and the delivery with a fixed `now`, never by sleeping.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from followups.channels import OutboundMessage, Provider
from followups.engine import followup_deliver, followups_claim_due
from followups.models import FollowUp
from integration.models import AlertPolicy
from integration.services import oncall_set
from kat_clinic.roles import Role
from monitoring.models import Alert
from monitoring.services.vitals import session_vitals_evaluate
from programs.choices import StaffMode
from sessions.models import StaffAssignment
from tests.monitoring.factories import SessionFactory

pytestmark = pytest.mark.django_db

S = FollowUp.Status
CAPTURING = "tests.followups.test_clinical_alerts.CapturingProvider"
FIVE = dt.timedelta(minutes=5)


class CapturingProvider(Provider):
    """Keeps every message it is given, body included, so a test can read what a page said."""

    sent: list[OutboundMessage] = []

    def send(self, message: OutboundMessage) -> str:
        CapturingProvider.sent.append(message)
        return f"cap-{message.idempotency_key}"

    def lookup(self, idempotency_key: str) -> bool | None:
        return any(m.idempotency_key == idempotency_key for m in CapturingProvider.sent)


@pytest.fixture(autouse=True)
def pages(settings):
    settings.FOLLOWUP_SMS_PROVIDER = CAPTURING
    settings.FOLLOWUP_EMAIL_PROVIDER = CAPTURING
    settings.STAFF_APP_BASE_URL = "https://kat.example"
    CapturingProvider.sent = []
    return CapturingProvider.sent


@pytest.fixture
def team(clinic, make_staff):
    """A session in progress with its nurse and therapist; two people on call (the second reached by
    email only); one prescriber; a front-desk member who is told nothing."""
    now = timezone.now()
    nurse = make_staff(clinic, Role.NURSE, phone="+1 212 555 0101")
    therapist = make_staff(clinic, Role.THERAPIST)
    first = make_staff(clinic, Role.NURSE, phone="+1 212 555 0111")
    second = make_staff(clinic, Role.THERAPIST, user__email="second@kat.example")
    prescriber = make_staff(clinic, Role.PRESCRIBER, phone="+1 212 555 0199")
    make_staff(clinic, Role.SCHEDULER, phone="+1 212 555 0150")
    session = SessionFactory(
        patient__home_clinic=clinic,
        patient__first_name="Roberta",
        patient__last_name="Quinlan",
        starts_at=now - dt.timedelta(minutes=30),
    )
    for staff, role in ((nurse, Role.NURSE), (therapist, Role.THERAPIST)):
        StaffAssignment.objects.create(
            session=session,
            staff=staff,
            role=role,
            mode=StaffMode.PRESENT,
            starts_at=session.block_starts_at,
            ends_at=session.block_ends_at,
        )
    oncall_set(clinic_id=clinic.pk, staff_ids=[first.pk, second.pk])
    return {
        "session": session,
        "nurse": nurse,
        "therapist": therapist,
        "first": first,
        "second": second,
        "prescriber": prescriber,
    }


def _severe_bp(api, team) -> Alert:
    """The session's nurse charts 185/115 twice, five minutes apart (DOMAIN: severe on repeat)."""
    now = timezone.now().replace(microsecond=0)
    client = api(team["nurse"])
    for minutes_ago in (6, 1):
        response = client.post(
            "/api/v1/chart/vitals/",
            {
                "session": team["session"].pk,
                "measured_at": (now - dt.timedelta(minutes=minutes_ago)).isoformat(),
                "systolic_mmhg": 185,
                "diastolic_mmhg": 115,
            },
        )
        assert response.status_code == 201, response.json()
    return Alert.objects.get()


def _rows(alert: Alert, t0: dt.datetime) -> list[tuple[str, int, dt.timedelta, int]]:
    """(channel, staff id, due after t0, step) of every item of the alert, in a stable order."""
    rows = FollowUp.objects.filter(alert=alert).order_by("due_at", "channel", "staff_id")
    return [(r.channel, r.staff_id, r.due_at - t0, r.payload["step"]) for r in rows]


def _start(alert: Alert) -> dt.datetime:
    return FollowUp.objects.filter(alert=alert).order_by("due_at").first().due_at


def _run(at: dt.datetime) -> dict[int, str]:
    """One dispatcher pass and the deliveries it hands out, all at `at`: {follow-up id: outcome}."""
    return {pk: followup_deliver(followup_id=pk, claim=claim, now=at) for pk, claim in followups_claim_due(now=at)}


def _sent_to(alert: Alert) -> set[tuple[str, int]]:
    return set(FollowUp.objects.filter(alert=alert, status=S.SENT).values_list("channel", "staff_id"))


def test_a_severe_bp_tells_the_session_team_and_the_on_call_list_and_pages_the_first_on_call(api, team):
    # when
    alert = _severe_bp(api, team)

    # then: in-app at once to the nurse, the therapist and both on call; a page to the first on call
    # now, to the second after 5 minutes, to the prescriber after 10 (the default minutes)
    t0 = _start(alert)
    nurse, therapist, first, second, prescriber = (
        team[k].pk for k in ("nurse", "therapist", "first", "second", "prescriber")
    )
    assert alert.kind == Alert.Kind.BP_SEVERE_REPEATED
    assert sorted(_rows(alert, t0)) == sorted(
        [
            ("in_app", first, dt.timedelta(0), 0),
            ("in_app", second, dt.timedelta(0), 0),
            ("in_app", nurse, dt.timedelta(0), 0),
            ("in_app", therapist, dt.timedelta(0), 0),
            ("sms", first, dt.timedelta(0), 0),
            ("email", second, FIVE, 1),
            ("in_app", prescriber, 2 * FIVE, 2),
            ("sms", prescriber, 2 * FIVE, 2),
        ]
    )
    assert FollowUp.objects.filter(alert=alert, status=S.PENDING).count() == 8


def test_phq9_item_9_entered_by_a_clinician_reaches_the_team_and_pages_the_on_call(api, team):
    # when: the therapist records a PHQ-9 with item 9 answered 1 in the session
    response = api(team["therapist"]).post(
        "/api/v1/chart/scale-responses/",
        {
            "patient": team["session"].patient_id,
            "session": team["session"].pk,
            "scale": "phq9",
            "answers": [1, 1, 0, 1, 0, 0, 1, 0, 1],
        },
    )

    # then
    assert response.status_code == 201, response.json()
    alert = Alert.objects.get()
    assert alert.kind == Alert.Kind.PHQ9_ITEM9
    t0 = _start(alert)
    at_once = {(channel, staff) for channel, staff, due, _ in _rows(alert, t0) if due == dt.timedelta(0)}
    assert at_once == {
        ("in_app", team["first"].pk),
        ("in_app", team["second"].pk),
        ("in_app", team["nurse"].pk),
        ("in_app", team["therapist"].pk),
        ("sms", team["first"].pk),
    }


def test_the_page_carries_a_link_into_the_app_and_nothing_about_the_patient(api, team, pages):
    # given
    alert = _severe_bp(api, team)

    # when
    outcomes = _run(_start(alert))

    # then
    assert sorted(outcomes.values()) == ["sent"] * 5
    [page] = pages
    assert (page.channel, page.to) == ("sms", "+1 212 555 0111")
    assert page.body == (
        f"Midtown: an urgent alert needs you. Open it and acknowledge it in the app: https://kat.example/alerts/{alert.pk}"
    )
    assert page.subject == "Midtown: urgent alert"
    for private in ("Roberta", "Quinlan", "185", "115", "blood pressure", alert.message):
        assert private.lower() not in f"{page.subject} {page.body}".lower()


def test_a_page_names_the_clinic_as_patients_see_it_and_never_waits_on_its_name(api, team, clinic, pages):
    # given: a clinic whose name names the treatment, and no patient-facing name to use instead
    clinic.name, clinic.patient_facing_name = "Midtown Ketamine Center", ""
    clinic.save()
    alert = _severe_bp(api, team)

    # when
    _run(_start(alert))

    # then: the page still goes out, without the clinic's name
    [page] = pages
    assert (page.subject, page.body) == (
        "Urgent alert",
        f"An urgent alert needs you. Open it and acknowledge it in the app: https://kat.example/alerts/{alert.pk}",
    )


def test_an_unacknowledged_alert_goes_to_the_next_on_call_then_the_prescribers_after_the_clinics_minutes(
    api, team, clinic, pages
):
    # given: this clinic escalates after 7 minutes
    AlertPolicy.objects.create(clinic=clinic, escalation_minutes=7)
    alert = _severe_bp(api, team)
    t0 = _start(alert)
    first, second, prescriber = team["first"].pk, team["second"].pk, team["prescriber"].pk

    # when / then: at once, the in-app items and the first page
    _run(t0)
    assert _sent_to(alert) == {
        ("in_app", first),
        ("in_app", second),
        ("in_app", team["nurse"].pk),
        ("in_app", team["therapist"].pk),
        ("sms", first),
    }
    # a second before the clinic's 7 minutes: nothing more
    assert _run(t0 + dt.timedelta(minutes=7) - dt.timedelta(seconds=1)) == {}
    # at 7 minutes: the next person on call, by email
    assert list(_run(t0 + dt.timedelta(minutes=7)).values()) == ["sent"]
    assert ("email", second) in _sent_to(alert)
    # at 14 minutes: the prescriber, in-app and paged
    assert sorted(_run(t0 + dt.timedelta(minutes=14)).values()) == ["sent", "sent"]
    assert {("in_app", prescriber), ("sms", prescriber)} <= _sent_to(alert)
    assert [(p.channel, p.to) for p in pages] == [
        ("sms", "+1 212 555 0111"),
        ("email", "second@kat.example"),
        ("sms", "+1 212 555 0199"),
    ]
    # and the alert is still open: it stays so until someone acknowledges it
    alert.refresh_from_db()
    assert (alert.acknowledged_at, alert.notified_at) == (None, t0)


def test_acknowledging_the_alert_stops_the_escalation(api, team, pages):
    # given: the first page went out
    alert = _severe_bp(api, team)
    t0 = _start(alert)
    _run(t0)

    # when: the first on call acknowledges it on the Alerts screen
    response = api(team["first"]).post(f"/api/v1/chart/alerts/{alert.pk}/acknowledge/")

    # then: no later step goes out, however late the dispatcher runs
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == team["first"].pk
    assert _run(t0 + dt.timedelta(hours=1)) == {}
    assert [p.to for p in pages] == ["+1 212 555 0111"]
    statuses = sorted(FollowUp.objects.filter(alert=alert).values_list("channel", "staff_id", "status"))
    assert statuses == sorted(
        [
            ("in_app", team["first"].pk, S.ACKNOWLEDGED),
            ("in_app", team["second"].pk, S.ACKNOWLEDGED),
            ("in_app", team["nurse"].pk, S.ACKNOWLEDGED),
            ("in_app", team["therapist"].pk, S.ACKNOWLEDGED),
            ("sms", team["first"].pk, S.SENT),
            ("email", team["second"].pk, S.CANCELLED),
            ("in_app", team["prescriber"].pk, S.CANCELLED),
            ("sms", team["prescriber"].pk, S.CANCELLED),
        ]
    )
    assert set(
        FollowUp.objects.filter(alert=alert, status=S.ACKNOWLEDGED).values_list("acknowledged_by", flat=True)
    ) == {team["first"].pk}


def test_a_step_that_fires_after_the_alert_was_acknowledged_checks_and_does_not_page(api, team, pages):
    # given: the second step is claimed, then the alert is acknowledged behind the engine's back
    # (no cancellation of the step), as a race between the two would leave it
    alert = _severe_bp(api, team)
    t0 = _start(alert)
    _run(t0)
    later = t0 + FIVE
    [(pk, claim)] = followups_claim_due(now=later)
    Alert.objects.filter(pk=alert.pk).update(acknowledged_at=later, acknowledged_by=team["nurse"])

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=later)

    # then
    assert outcome == "cancelled"
    step = FollowUp.objects.get(pk=pk)
    assert (step.staff_id, step.status, step.last_error) == (team["second"].pk, S.CANCELLED, "alert acknowledged")
    assert [p.to for p in pages] == ["+1 212 555 0111"]


def test_a_redelivered_page_is_sent_once(api, team, pages):
    # given: the first page was claimed and delivered
    alert = _severe_bp(api, team)
    t0 = _start(alert)
    claims = followups_claim_due(now=t0)
    page = FollowUp.objects.get(alert=alert, channel="sms", staff=team["first"])
    [claim] = [c for pk, c in claims if pk == page.pk]
    first = followup_deliver(followup_id=page.pk, claim=claim, now=t0)

    # when: the broker hands the same task over again, and the dispatcher runs again
    again = followup_deliver(followup_id=page.pk, claim=claim, now=t0)
    rerun = followups_claim_due(now=t0 + dt.timedelta(seconds=1))

    # then
    assert (first, again) == ("sent", "stale")
    assert page.pk not in {pk for pk, _ in rerun}
    assert [p.idempotency_key for p in pages] == [f"clinical_alert:a{alert.pk}:page:{team['first'].pk}"]


def test_charting_the_same_episode_again_plans_nothing_new(api, team):
    # given
    alert = _severe_bp(api, team)
    before = sorted(FollowUp.objects.values_list("idempotency_key", flat=True))

    # when: the rules are evaluated again over the same readings
    session_vitals_evaluate(session=team["session"])

    # then
    assert Alert.objects.get().pk == alert.pk
    assert sorted(FollowUp.objects.values_list("idempotency_key", flat=True)) == before


def test_acknowledging_the_in_app_item_acknowledges_the_alert(api, team):
    # given
    alert = _severe_bp(api, team)
    t0 = _start(alert)
    _run(t0)
    item = FollowUp.objects.get(alert=alert, channel="in_app", staff=team["nurse"])

    # when
    response = api(team["nurse"]).post(f"/api/v1/followups/{item.pk}/acknowledge/")

    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["acknowledged_by"]) == ("acknowledged", team["nurse"].pk)
    alert.refresh_from_db()
    assert alert.acknowledged_by_id == team["nurse"].pk
    assert not FollowUp.objects.filter(alert=alert, status__in=FollowUp.OPEN_STATUSES).exists()


def test_a_therapist_cannot_acknowledge_a_clinical_alert_from_the_queue(api, team):
    # given: therapists read alerts but do not acknowledge them (acknowledging unblocks dosing)
    alert = _severe_bp(api, team)
    _run(_start(alert))
    item = FollowUp.objects.get(alert=alert, channel="in_app", staff=team["therapist"])
    before = sorted(FollowUp.objects.values_list("pk", "status"))

    # when
    response = api(team["therapist"]).post(f"/api/v1/followups/{item.pk}/acknowledge/")

    # then
    assert response.status_code == 403
    assert response.json()["type"] == "urn:kat-clinic:problem:role_required"
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    assert sorted(FollowUp.objects.values_list("pk", "status")) == before


def test_with_nobody_on_call_the_prescribers_are_told_and_paged_at_once(api, team, clinic):
    # given
    oncall_set(clinic_id=clinic.pk, staff_ids=[])

    # when
    alert = _severe_bp(api, team)

    # then
    t0 = _start(alert)
    prescriber = team["prescriber"].pk
    assert sorted(_rows(alert, t0)) == sorted(
        [
            ("in_app", team["nurse"].pk, dt.timedelta(0), 0),
            ("in_app", team["therapist"].pk, dt.timedelta(0), 0),
            ("in_app", prescriber, dt.timedelta(0), 0),
            ("sms", prescriber, dt.timedelta(0), 0),
        ]
    )


def test_a_page_goes_out_in_the_clinics_quiet_hours(api, team, clinic, pages):
    # given: 03:00 at the clinic tomorrow, inside its quiet hours (which hold back patient messages)
    alert = _severe_bp(api, team)
    night = dt.datetime.combine(clinic.local_date() + dt.timedelta(days=1), dt.time(3, 0), tzinfo=clinic.tz)

    # when
    _run(night)

    # then: every step is due by then, and each went out
    assert len(pages) == 3
    assert FollowUp.objects.filter(alert=alert, status=S.SENT).count() == 8


def test_the_escalation_of_an_alert_is_listed_for_the_clinic_clinicians(api, team, django_assert_max_num_queries):
    # given
    alert = _severe_bp(api, team)
    _run(_start(alert))

    # when: the therapist (told in-app, not paged) reads who was told
    with django_assert_max_num_queries(12):
        response = api(team["therapist"]).get(f"/api/v1/followups/?alert={alert.pk}&page_size=50")

    # then
    assert response.status_code == 200
    rows = {(r["channel"], r["staff"]): (r["status"], r["staff_name"], r["alert"]) for r in response.json()["results"]}
    assert len(rows) == 8
    first = team["first"]
    assert rows[("sms", first.pk)] == ("sent", str(first), alert.pk)
    assert rows[("email", team["second"].pk)][0] == "pending"
