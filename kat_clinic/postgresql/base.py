"""Django's PostgreSQL backend, with a health check that costs no round trip while it passes, and
times read without a Python call per value.

With CONN_HEALTH_CHECKS, Django asks a persistent connection whether it still works before its
first query of each request: `SELECT 1`, a round trip to the server. On the hot reads that was one
statement of four, and as much client CPU as any of the others.

An idle connection has nothing to read: every reply of its last statement was read with it. So
when its socket has something to read, the server has closed it (a restart, an idle timeout,
`pg_terminate_backend`, each of which also sends its error first) or sent a notice; only then is
`SELECT 1` run, as Django runs it, to decide. A socket with nothing to read passes at the cost of
one `poll()`. A link gone without the server closing it (a cable pulled) is not seen by either
check until a statement runs into it.

tests/kat_clinic/test_connection_health.py ends a connection from the server's side and checks
that the next request reconnects.

Django gives every psycopg2 cursor a `tzinfo_factory` of its own, a Python method that answers the
connection's zone (UTC here, which it also sets as the session's TimeZone) whatever the offset. The
driver calls it once per `timestamptz` value: an availability search reads about 1,500 of them, and
the calls were half its reading time. psycopg2's own default, `datetime.timezone`, is a C type that
answers the same object for the only offset such a session sends (`timezone(timedelta(0))` is
`timezone.utc`), so the cursor gets that instead. A connection with a zone of its own (DATABASES'
TIME_ZONE) keeps Django's factory.
"""

from __future__ import annotations

import datetime as dt
import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        if not base.is_psycopg3 and cursor.tzinfo_factory is not None and self.timezone is dt.UTC:
            cursor.tzinfo_factory = dt.timezone
        return cursor

    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        if not poller.poll(0):
            return True  # nothing from the server since the last statement: still open
        return super().is_usable()
