"""Fixtures shared by the whole suite. Tests run against the machine's real PostgreSQL and Redis."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from kat_clinic.roles import Role
from tests.factories import ClinicFactory, OrganizationFactory, PatientFactory, StaffFactory

# The browser harness; the owner and runtime database roles (live servers and workers under test
# use the runtime role).
pytest_plugins = ["tests.browser", "tests.runtime_role"]

# Tests that start real Celery workers, a private redis-server or a browser run one after another
# on one xdist worker (`--dist loadgroup`), so at most one of them loads the machine at a time.
SERIAL_MARKERS = ("worker", "browser")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(item.get_closest_marker(name) for name in SERIAL_MARKERS):
            item.add_marker(pytest.mark.xdist_group("serial"))


# Rate limits the suite's own traffic never reaches (schemathesis sends hundreds of requests per
# token); tests of the throttles set low rates themselves (tests/security/test_throttling.py).
SUITE_THROTTLE_RATE = "1000000/min"


@pytest.fixture(scope="session", autouse=True)
def _unthrottled_suite_with_a_private_cache():
    """The suite's cache keys live in a namespace of this process, so two suites (or two xdist
    processes) on one Redis never count each other's requests; throttles are set out of reach."""
    from django.conf import settings
    from django.test import override_settings

    caches = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], SUITE_THROTTLE_RATE)
    rest_framework = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    with override_settings(CACHES=caches, REST_FRAMEWORK=rest_framework):
        yield


@pytest.fixture(autouse=True)
def _isolated_celery_queue(settings):
    """Each test publishes to its own queue, so a demo worker on the same Redis never eats its tasks."""
    from kat_clinic.celery import app

    queue = f"test-{uuid.uuid4().hex[:12]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    yield queue
    app.conf.task_default_queue = previous


@pytest.fixture(autouse=True)
def _first_session_of_each_test_is_now():
    """The charting SessionFactory counts days back per session; restart it for every test, in
    every directory that uses it, so each test's first session is the one in progress now
    (charting refuses times outside a session's booked block and margin)."""
    from tests.monitoring.factories import SessionFactory

    SessionFactory.reset_sequence()


@pytest.fixture
def organization(db):
    return OrganizationFactory()


@pytest.fixture
def clinic(organization):
    return ClinicFactory(organization=organization, name="Midtown", slug="midtown", timezone="America/New_York")


@pytest.fixture
def other_clinic(organization):
    return ClinicFactory(organization=organization, name="Brooklyn", slug="brooklyn", timezone="America/New_York")


@pytest.fixture
def make_staff(organization):
    """make_staff(clinic, Role.NURSE, ...) -> StaffMember holding those roles at that clinic."""

    def make(clinic, *roles, **kwargs):
        return StaffFactory(organization=organization, roles=list(roles), roles__clinic=clinic, **kwargs)

    return make


@pytest.fixture
def api():
    """api(user_or_staff) -> an APIClient authenticated as that user; api() -> anonymous."""

    def make(who=None):
        client = APIClient()
        if who is not None:
            user = getattr(who, "user", who)
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def admin_staff(clinic, make_staff):
    return make_staff(clinic, Role.ADMIN)


@pytest.fixture
def scheduler(clinic, make_staff):
    return make_staff(clinic, Role.SCHEDULER)


@pytest.fixture
def nurse(clinic, make_staff):
    return make_staff(clinic, Role.NURSE)


@pytest.fixture
def prescriber(clinic, make_staff):
    return make_staff(clinic, Role.PRESCRIBER)


@pytest.fixture
def therapist(clinic, make_staff):
    return make_staff(clinic, Role.THERAPIST)


@pytest.fixture
def patient(clinic):
    return PatientFactory(home_clinic=clinic)
