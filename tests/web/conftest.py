"""Browser tests of the web app: the built app (web/dist, `make web`) served by the live server,
driven by the suite's Playwright harness (tests/browser.py)."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from kat_clinic.roles import Role
from sessions.models import Session
from tests.sessions.conftest import NURSE_SHARED, kat_clinic_setup, shipped, works_every_day  # noqa: F401

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture
def built_app():
    """The built web app; `make test` builds it (`make web`) before the suite runs."""
    index = settings.WEB_DIST_DIR / "index.html"
    if not index.exists() or not settings.STATICFILES_DIRS:
        message = "web/dist is not built (or was built after Django started): run `make web` first."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return index


@pytest.fixture
def app_login(page, built_app):
    """app_login(staff) -> the page, signed in through the app's own login screen, on the day board."""

    def login(staff, path: str = "/"):
        page.goto(path)
        page.get_by_label("Username").fill(staff.user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("navigation", name="Main").wait_for()
        return page

    return login


@pytest.fixture
def scheduler_staff(clinic, make_staff):
    return make_staff(clinic, Role.SCHEDULER)


@pytest.fixture
def round_the_clock_nurse(clinic, make_staff):
    """A nurse who works every hour of every day, so a session can be booked 'soon' whatever the hour."""
    return works_every_day(make_staff(clinic, Role.NURSE), clinic, start=dt.time(0, 0), end=dt.time(23, 59))


# Zones tried in order; their offsets are never more than 5 hours apart around the globe, so at any
# hour one of them has a local clock between 06:00 and 12:00.
DAYTIME_ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Pacific/Auckland",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/London",
)


@pytest.fixture
def clinic_in_daytime(clinic):
    """The clinic, moved (if need be) to a zone where it is now between 06:00 and 12:00, so a session
    booked soon() ends the same local day whatever hour the suite runs at (working hours and the
    day board are per local day). New York is kept when it is morning there."""
    now = timezone.now()
    clinic.timezone = next(z for z in DAYTIME_ZONES if 6 <= now.astimezone(ZoneInfo(z)).hour < 12)
    clinic.save(update_fields=["timezone"])
    return clinic


def soon(minutes: int = 60) -> dt.datetime:
    """A quarter-hour boundary at least `minutes` from now."""
    t = timezone.now() + dt.timedelta(minutes=minutes)
    return t.replace(minute=(t.minute // 15) * 15, second=0, microsecond=0) + dt.timedelta(minutes=15)


def local_date(session: Session, clinic) -> str:
    return session.starts_at.astimezone(clinic.tz).date().isoformat()


__all__ = ["NURSE_SHARED", "local_date", "soon"]
