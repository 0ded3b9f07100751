"""The suite's two database roles (a pytest plugin, loaded by tests/conftest.py).

`default` is the owner: pytest-django creates, migrates and flushes the test database through it,
and the tests arrange their worlds through it. The `runtime` alias is the least-privilege role the
web, worker and beat use in production, on the same test database. Every thread other than the
main one (live servers and their request threads, Celery workers started with `start_worker`,
the concurrency tests' threads) gets its `default` connection as the runtime role, so what runs
"as the service" in a test runs with the service's privileges.
"""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import call_command

RUNTIME_ALIAS = "runtime"


def runtime_settings_for_default():
    """The runtime alias's settings, on the (test) database `default` points at."""
    from django.db import connections

    runtime = connections.settings[RUNTIME_ALIAS]
    default = connections.settings["default"]
    runtime["NAME"] = default["NAME"]
    # DRF and the request handler read these from the connection of alias "default".
    return {**runtime, "ATOMIC_REQUESTS": default["ATOMIC_REQUESTS"]}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After pytest-django built the test database as the owner: the runtime role and its grants."""
    from django.db import connections

    with django_db_blocker.unblock():
        call_command("create_runtime_role", stdout=io.StringIO())
    connections.settings[RUNTIME_ALIAS]["NAME"] = connections.settings["default"]["NAME"]
    yield


@pytest.fixture(scope="session", autouse=True)
def _threads_connect_as_the_runtime_role():
    from django.db import connections
    from django.db.utils import load_backend

    original = connections.create_connection

    def create_connection(alias):
        if alias == "default" and threading.current_thread() is not threading.main_thread():
            settings_dict = runtime_settings_for_default()
            return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
        return original(alias)

    connections.create_connection = create_connection
    yield
    connections.create_connection = original


@pytest.fixture
def runtime_connection(django_db_setup):
    """The raw connection of the runtime role (tests must allow the alias: databases=[..., "runtime"])."""
    from django.db import connections

    connections.settings[RUNTIME_ALIAS]["NAME"] = connections.settings["default"]["NAME"]
    connection = connections[RUNTIME_ALIAS]
    yield connection
    connection.close()
