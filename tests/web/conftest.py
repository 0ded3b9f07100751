"""Browser tests of the web app: the built app (web/dist, `make web`) served by the live server,
driven by the suite's Playwright harness (tests/browser.py)."""

from __future__ import annotations

import datetime as dt
import os

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


def soon(minutes: int = 60) -> dt.datetime:
    """A quarter-hour boundary at least `minutes` from now."""
    t = timezone.now() + dt.timedelta(minutes=minutes)
    return t.replace(minute=(t.minute // 15) * 15, second=0, microsecond=0) + dt.timedelta(minutes=15)


def local_date(session: Session, clinic) -> str:
    return session.starts_at.astimezone(clinic.tz).date().isoformat()


__all__ = ["NURSE_SHARED", "local_date", "soon"]
