"""Django's PostgreSQL backend whose health check costs no round trip (`ENGINE = "apps.core.postgresql"`).

With CONN_HEALTH_CHECKS Django runs `SELECT 1` on a kept connection at the start of every request, so that a
connection the server closed (a restart, `pg_terminate_backend`, `idle_session_timeout`, a pooler recycling it) is
replaced instead of failing the request. That round trip was 2–4 % of a dispatch (docs/benchmarks.md §1e). A server
that closes a connection says so on its socket (an error message, then end of file), which makes the idle socket
readable; a healthy idle connection has nothing to read. So the socket is polled without waiting, and only a
readable one (or one not idle) is checked with Django's `SELECT 1`. What neither check sees quickly is a server
that vanished without closing (a host powered off): the first statement waits for TCP either way.
"""

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper
from psycopg import pq


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            poller = select.poll()
            poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
            said_something = bool(poller.poll(0))
        except (OSError, ValueError):  # the socket is gone
            return False
        return super().is_usable() if said_something else True
