"""The admin as a clinic admin sees it: names, times, widgets, and what is kept for developers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from kat_clinic.admin_widgets import human_duration, parse_duration
from kat_clinic.models import ClinicCertification, Licence, Room
from sessions.models import Session
from tests.factories import RoomFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clinic_admin(plain_storage):
    user = UserFactory(username="clinic-admin", is_staff=True, is_superuser=False)
    user.user_permissions.set(Permission.objects.all())  # every model permission, still not a superuser
    return _client(user)


@pytest.fixture
def superuser(plain_storage):
    return _client(UserFactory(username="root", is_staff=True, is_superuser=True))


DEVELOPER_PATHS = [
    "/admin/axes/accessattempt/",
    "/admin/knox/authtoken/",
    "/admin/django_celery_beat/periodictask/",
    "/admin/otp_totp/totpdevice/",
]


def test_a_clinic_admin_sees_no_developer_sections_even_holding_their_permissions(clinic_admin):
    # when
    index = clinic_admin.get("/admin/")

    # then
    assert index.status_code == 200
    sections = {app["app_label"] for app in index.context["app_list"]}
    assert {"axes", "knox", "django_celery_beat", "otp_totp", "pghistory"}.isdisjoint(sections)
    assert {"programs", "clinic_sessions", "kat_clinic"} <= sections
    assert [clinic_admin.get(path).status_code for path in DEVELOPER_PATHS] == [403, 403, 403, 403]


def test_a_superuser_still_sees_the_developer_sections(superuser):
    index = superuser.get("/admin/")
    assert {"axes", "knox", "django_celery_beat", "otp_totp"} <= {app["app_label"] for app in index.context["app_list"]}
    assert [superuser.get(path).status_code for path in DEVELOPER_PATHS] == [200, 200, 200, 200]


def test_the_index_names_models_in_correct_plurals_and_view_site_leads_to_the_api_docs(superuser):
    # when
    index = superuser.get("/admin/")

    # then
    names = {m["object_name"]: m["name"] for app in index.context["app_list"] for m in app["models"]}
    assert names["WorkingHours"] == "Working hours"
    assert names["SchedulingPolicy"] == "Scheduling policies"
    assert names["OnCallEntry"] == "On-call entries"
    assert names["BreakGlassAccess"] == "Break-glass access"
    assert index.context["site_url"] == "/api/v1/docs/"


def test_a_new_york_session_shows_its_new_york_time_with_the_zone(superuser, clinic, patient):
    # given: 8 a.m. in New York on a summer day is 12:00 UTC
    starts = dt.datetime(2027, 6, 7, 8, 0, tzinfo=clinic.tz)
    session = Session.objects.create(
        clinic=clinic,
        patient=patient,
        kind="dosing",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        block_starts_at=starts,
        block_ends_at=starts + dt.timedelta(hours=2),
    )

    # when
    listing = superuser.get("/admin/clinic_sessions/session/").content.decode()
    page = superuser.get(f"/admin/clinic_sessions/session/{session.pk}/change/").content.decode()

    # then
    assert "Mon 7 Jun 2027, 8 a.m. EDT" in listing
    assert "Mon 7 Jun 2027, 8 a.m. EDT" in page
    assert "9 a.m. EDT" in page  # its end
    assert "12 p.m." not in listing and "noon" not in listing


def test_room_capabilities_are_checkboxes_and_saved_as_chosen(superuser, clinic):
    # given
    room = RoomFactory(clinic=clinic, name="Chair 1", kind=Room.Kind.INFUSION_CHAIR, capabilities=[])
    url = f"/admin/kat_clinic/room/{room.pk}/change/"

    # when
    form_html = superuser.get(url).content.decode()
    saved = superuser.post(
        url,
        {
            "clinic": clinic.pk,
            "name": "Chair 1",
            "kind": Room.Kind.INFUSION_CHAIR,
            "capabilities": ["iv", "monitored"],
            "active": "on",
        },
    )

    # then
    assert 'type="checkbox" name="capabilities" value="iv"' in form_html
    assert saved.status_code == 302
    room.refresh_from_db()
    assert sorted(room.capabilities) == ["iv", "monitored"]


def test_the_clinic_time_zone_is_a_choice_among_the_iana_zones(superuser, clinic):
    # when
    page = superuser.get(f"/admin/kat_clinic/clinic/{clinic.pk}/change/").content.decode()

    # then: a text box backed by the list of zones, typed into to narrow it
    assert 'list="timezone-choices"' in page
    assert '<option value="America/Chicago">' in page


def test_certifications_and_licences_read_as_words(clinic):
    certification = ClinicCertification(
        clinic=clinic,
        kind="dea_site",
        identifier="RK1234567",
        valid_from=dt.date(2026, 1, 1),
        expires_on=dt.date(2029, 1, 31),
    )
    staff = StaffFactory(organization=clinic.organization)
    licence = Licence(staff=staff, kind="rn", state="NY", number="123456", expires_on=dt.date(2028, 6, 30))
    assert str(certification) == "DEA site registration RK1234567, valid 2026-01-01 to 2029-01-31"
    assert str(licence) == "Registered nurse NY 123456, expires 2028-06-30"


@pytest.mark.parametrize(
    ("typed", "seconds", "shown"),
    [
        ("24 h", 86400, "24 h"),
        ("3 days", 3 * 86400, "3 days"),
        ("1 day 12 h", 36 * 3600, "36 h"),
        ("90 min", 5400, "90 min"),
        ("2 weeks", 14 * 86400, "14 days"),
    ],
)
def test_intervals_are_typed_and_shown_in_days_hours_and_minutes(typed, seconds, shown):
    assert parse_duration(typed) == dt.timedelta(seconds=seconds)
    assert human_duration(dt.timedelta(seconds=seconds)) == shown


@pytest.mark.parametrize("typed", ["1 day, 0:00:00", "soon", "3 fortnights", "24"])
def test_an_interval_the_admin_cannot_read_is_refused(typed):
    with pytest.raises(ValueError):
        parse_duration(typed)
