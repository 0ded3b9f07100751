"""iCalendar feeds per staff member and per room: private, revocable, no patient identifier."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from interop.models import CalendarFeed, Disclosure, InteropSettings
from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role

pytestmark = pytest.mark.django_db


def issue(api, who, **body):
    return api(who).post("/api/v1/calendar-feeds/", body, format="json")


def fetch(api, url):
    return api().get(url.removeprefix("http://testserver"))


def events(response) -> list:
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


def test_a_therapist_subscribes_to_their_calendar(api, chart, clinic):
    # given: the therapist holds the booked integration session
    chart.booked.assignments.create(
        staff=chart.therapist,
        role=Role.THERAPIST,
        mode="exclusive",
        starts_at=chart.booked.block_starts_at,
        ends_at=chart.booked.block_ends_at,
    )

    # when
    issued = issue(api, chart.therapist, clinic=clinic.pk, staff=chart.therapist.pk)
    response = fetch(api, issued.json()["url"])

    # then
    assert issued.status_code == 201
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    [event] = events(response)
    assert str(event["uid"]) == f"session-{chart.booked.pk}@kat-clinic"
    assert str(event["summary"]) == "Integration - Chair 1"
    assert str(event["location"]) == "Chair 1"
    assert event.decoded("dtstart") == chart.booked.block_starts_at
    assert event.decoded("dtend") == chart.booked.block_ends_at


def test_a_room_feed_carries_no_patient_identifier_by_default(api, chart, clinic, scheduler):
    issued = issue(api, scheduler, clinic=clinic.pk, room=chart.room.pk)

    response = fetch(api, issued.json()["url"])

    body = response.content.decode()
    assert sorted(str(e["summary"]) for e in events(response)) == ["Dosing - Chair 1", "Integration - Chair 1"]
    for identifier in ("Ada", "Lovelace", "MRN-0042", "A.L.", str(chart.patient.date_of_birth)):
        assert identifier not in body


def test_a_clinic_may_opt_in_to_initials(api, chart, clinic, scheduler):
    InteropSettings.objects.create(clinic=clinic, calendar_shows_initials=True)
    issued = issue(api, scheduler, clinic=clinic.pk, room=chart.room.pk)

    response = fetch(api, issued.json()["url"])

    assert sorted(str(e["summary"]) for e in events(response)) == [
        "Dosing (A.L.) - Chair 1",
        "Integration (A.L.) - Chair 1",
    ]


def test_a_revoked_feed_stops_working(api, chart, clinic, scheduler):
    # given
    issued = issue(api, scheduler, clinic=clinic.pk, room=chart.room.pk).json()

    # when
    revoked = api(scheduler).post(f"/api/v1/calendar-feeds/{issued['id']}/revoke/")
    response = fetch(api, issued["url"])

    # then
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert response.status_code == 404
    assert Disclosure.objects.count() == 0


def test_issuing_again_replaces_the_previous_url(api, chart, clinic):
    first = issue(api, chart.nurse, clinic=clinic.pk, staff=chart.nurse.pk).json()
    second = issue(api, chart.nurse, clinic=clinic.pk, staff=chart.nurse.pk).json()

    assert fetch(api, first["url"]).status_code == 404
    assert fetch(api, second["url"]).status_code == 200
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1


def test_only_the_hash_of_the_token_is_stored(api, chart, clinic):
    issued = issue(api, chart.nurse, clinic=clinic.pk, staff=chart.nurse.pk).json()
    token = issued["url"].rstrip("/").rsplit("/", 1)[1]

    feed = CalendarFeed.objects.get()

    assert len(token) >= 40
    assert token not in feed.token_sha256


def test_a_nurse_cannot_issue_a_colleagues_or_a_rooms_calendar(api, chart, clinic):
    colleague = issue(api, chart.nurse, clinic=clinic.pk, staff=chart.therapist.pk)
    room = issue(api, chart.nurse, clinic=clinic.pk, room=chart.room.pk)

    assert (colleague.status_code, room.status_code) == (403, 403)
    assert CalendarFeed.objects.count() == 0


def test_a_calendar_fetch_is_recorded_as_a_disclosure_to_the_calendar(api, chart, clinic, scheduler):
    issued = issue(api, scheduler, clinic=clinic.pk, room=chart.room.pk).json()

    fetch(api, issued["url"])

    disclosure = Disclosure.objects.get()
    assert disclosure.channel == "calendar"
    assert disclosure.recipient == f"calendar:room:{chart.room.pk}"
    assert sorted(disclosure.resource_ids) == sorted([chart.held.pk, chart.booked.pk])
    assert disclosure.patient_ids == [chart.patient.pk]
    audit = AuditEvent.objects.get(request_id=disclosure.request_id)
    assert (audit.resource_type, audit.outcome, audit.user_id) == ("disclosure:calendar_feed", "success", None)
