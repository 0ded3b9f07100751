"""The database connection's health check (kat_clinic/postgresql): an idle connection the server
still holds passes without a statement; one the server has ended fails, and the next use connects
again."""

from __future__ import annotations

import select

import pytest
from django.db import connection
from django.db.utils import load_backend

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def own_connection():
    """A connection of its own to the test database, as a web process holds one between requests."""
    wrapper = load_backend(connection.settings_dict["ENGINE"]).DatabaseWrapper(
        {**connection.settings_dict, "CONN_HEALTH_CHECKS": True}, alias=connection.alias
    )
    yield wrapper
    wrapper.close()


def _last_statement_of(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_given_an_idle_connection_then_it_passes_without_a_statement(own_connection):
    # given a connection whose last statement was this one
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
    pid = own_connection.connection.get_backend_pid()

    # when checked
    usable = own_connection.is_usable()

    # then it passes, and the server saw no other statement (Django's check sends SELECT 1)
    assert usable is True
    assert _last_statement_of(pid) == "SELECT 'the last statement'"
    assert connection.settings_dict["ENGINE"] == "kat_clinic.postgresql"


def test_given_a_connection_the_server_ended_then_it_fails_and_the_next_use_connects_again(own_connection):
    # given a connection that the server ends (a restart, an idle timeout, an administrator)
    own_connection.ensure_connection()
    pid = own_connection.connection.get_backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    # (the server ends it a moment later: wait until its socket has something to read)
    select.select([own_connection.connection.fileno()], [], [], 10)

    # when checked, as Django checks before a request's first statement
    usable = own_connection.is_usable()
    own_connection.health_check_done = False
    own_connection.close_if_health_check_failed()

    # then it failed and was closed; the next statement runs on a new connection
    assert usable is False
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
