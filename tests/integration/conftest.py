"""Fixtures several integration modules share: the seeded catalog, the seed example's customer, the default taller's
staff, and the counters of SQL statements and Redis round trips (counts, not times: issue 13)."""

import threading
import time

import pytest
import redis
from django.core.management import call_command

from apps.notifications.models import CustomerContactInfo, Taller, TallerChannelConfig
from config.celery import app
from tests.factories import BODEGA, JEFE


@pytest.fixture
def seeded(db):
    call_command("seed_initial_data", verbosity=0)


@pytest.fixture
def staff(seeded, fake_senders):
    """The default taller's staff: three WhatsApp numbers (one written locally) and two emails."""
    taller = Taller.objects.get(is_default=True)
    TallerChannelConfig.objects.filter(taller=taller, channel="whatsapp").update(
        staff_recipients=[JEFE, "0992222222", BODEGA]  # a local format is normalised to E.164
    )
    TallerChannelConfig.objects.filter(taller=taller, channel="email").update(
        staff_recipients=["jefe@taller.ec", "bodega@taller.ec"]
    )
    return fake_senders


@pytest.fixture
def customer(seeded):
    """The customer of the seed's dispatch example (`customer-001`), reachable by WhatsApp and email."""
    return CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )


def version_heard(expected=None, *, within: float = 10.0):
    """What this process's configuration-version listener heard, once it heard `expected` (or anything); the test
    fails after `within` seconds (apps/notifications/services/config_version.py)."""
    from apps.notifications.services import config_version

    deadline = time.monotonic() + within
    config_version._heard()  # starts the listener
    while time.monotonic() < deadline:
        state = config_version._heard()
        if state is not None and (expected is None or state[0] == expected):
            return state[0]
        time.sleep(0.005)
    pytest.fail(f"the listener did not hear {expected or 'anything'} in {within} s ({config_version._Heard.state})")


class Statements:
    """A `connection.execute_wrapper` that records every statement."""

    def __init__(self):
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)


@pytest.fixture
def redis_commands(monkeypatch):
    """Every command redis-py sends from the test's thread (a pipeline is one round trip: one entry). The metrics
    writer's thread (apps.core.metrics) writes on its own clock, outside what a request or a send waits for."""
    sent: list[str] = []
    original = redis.connection.AbstractConnection.send_packed_command
    caller = threading.current_thread()

    def spy(self, command, check_health=True):
        if threading.current_thread() is caller:
            sent.append(repr(command)[:80])
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", spy)
    return sent


@pytest.fixture
def queued_only():
    """Tasks go to the broker and stay there (no worker), as a web process or a worker publishes in production."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous
    app.control.purge()


@pytest.fixture
def own_metrics_store(settings, monkeypatch):
    """A metrics store for this test alone, whose writer waits an hour: the test decides when its sums are written.
    The process's own store first writes what earlier tests left, so none of it lands in the middle."""
    from apps.core import metrics

    if not settings.REDIS_URL:
        pytest.skip("metrics go to Redis only with REDIS_URL")
    metrics.store().flush()
    own = metrics._RedisStore(settings.REDIS_URL, flush_ms=3_600_000)
    monkeypatch.setattr(metrics, "store", lambda: own)
    return own
