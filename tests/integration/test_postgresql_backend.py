"""The health check of apps/core/postgresql: no round trip on a healthy idle connection, and a connection the
server closed is still found unusable and replaced at the next request."""

import time

import psycopg
import pytest
from django.db import connection

from tests.services import postgres_or_fail

pytestmark = pytest.mark.django_db(transaction=True)  # an idle connection: not inside the test's transaction


@pytest.fixture(autouse=True)
def on_postgresql():
    postgres_or_fail()
    assert connection.settings_dict["ENGINE"] == "apps.core.postgresql"


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    s = connection.settings_dict
    with psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"], host=s["HOST"], port=s["PORT"], autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def health_checks_sent(monkeypatch):
    """Django's own check: a `SELECT 1` on a psycopg cursor of the connection, outside Django's cursor wrapper."""
    sent = []
    real = psycopg.Cursor.execute

    def spy(self, query, *args, **kwargs):
        if str(query) == "SELECT 1":
            sent.append(query)
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", spy)
    return sent


def test_a_healthy_idle_connection_is_usable_without_a_round_trip(health_checks_sent):
    backend_pid()
    assert connection.is_usable() is True
    assert health_checks_sent == []


def test_a_connection_the_server_closed_is_replaced_at_the_next_request(health_checks_sent):
    old = backend_pid()
    terminate(old)
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:  # the server's goodbye reaches the socket
        time.sleep(0.01)
    assert connection.is_usable() is False
    assert health_checks_sent, "a socket with something to read is checked the way Django checks it"

    # What Django does at the start of a request (request_started), then the request's first statement.
    connection.health_check_enabled, connection.health_check_done = True, False
    assert backend_pid() != old


def test_a_connection_inside_a_transaction_is_checked_as_django_does(health_checks_sent):
    backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            assert connection.is_usable() is True
        finally:
            cursor.execute("ROLLBACK")
    assert len(health_checks_sent) == 1
