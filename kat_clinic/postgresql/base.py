"""Django's PostgreSQL backend, with a health check that costs no round trip while it passes.

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
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        if not poller.poll(0):
            return True  # nothing from the server since the last statement: still open
        return super().is_usable()
