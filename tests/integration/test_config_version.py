"""The configuration version heard from Redis (apps/notifications/services/config_version.py): no read per request
while the listener hears (counted in test_dispatch_speed.py), a change heard by another process, and a read per
request whenever hearing fails."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from apps.notifications.services import config_version
from apps.notifications.services.config_version import (
    VERSION_KEY,
    config_version_channel,
    config_version_listener_restart,
)
from tests.integration.conftest import version_heard as heard
from tests.services import free_port, unavailable

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def listener():
    if not settings.REDIS_URL:
        unavailable("the version is heard from Redis only with REDIS_URL")
    config_version_listener_restart()
    yield
    config_version_listener_restart()


def test_a_published_version_is_heard_without_a_read(monkeypatch):
    monkeypatch.setattr(config_version, "HEARTBEAT_SECONDS", 60.0)  # no periodic read can be what found it
    heard()
    # Published only, never stored: only the message can carry it.
    client = cache._cache.get_client(write=True)
    client.publish(config_version_channel(client), "heard-not-read")
    assert heard("heard-not-read") == "heard-not-read"


def test_a_missed_publish_is_found_by_the_periodic_read(monkeypatch):
    monkeypatch.setattr(config_version, "HEARTBEAT_SECONDS", 0.05)
    heard()
    cache.set(VERSION_KEY, "stored-not-published", None)
    assert heard("stored-not-published") == "stored-not-published"


def test_the_announcing_process_knows_its_version_at_once():
    heard()
    config_version.config_version_announce()
    assert config_version.config_version_read() == (True, cache.get(VERSION_KEY))


def test_another_process_hears_an_announced_change():
    """A second Python process, its own listener: it prints what it heard before and after this process's bump."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().startswith("listening"), "the child's listener heard nothing"
        config_version.config_version_announce()
        announced = cache.get(VERSION_KEY)
        child.stdin.write(f"{announced}\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == f"heard {announced}"
    finally:
        child.kill()
        child.wait()


CHILD = """
import sys, time
import django
django.setup()
from apps.notifications.services import config_version as cv
cv.config_version_read()
deadline = time.monotonic() + 10
while cv._heard() is None and time.monotonic() < deadline:
    time.sleep(0.005)
print("listening" if cv._heard() is not None else "deaf", flush=True)
cv.HEARTBEAT_SECONDS = 60.0  # what it hears next comes by message, not by its periodic read
expected = sys.stdin.readline().strip()
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    state = cv._heard()
    if state is not None and state[0] == expected:
        print("heard", expected, flush=True)
        break
    time.sleep(0.001)
else:
    print("missed", cv._Heard.state, flush=True)
"""


def test_an_unheard_version_is_read_by_the_request(monkeypatch, redis_commands):
    """Nothing heard for TRUST_SECONDS (a cut connection, a thread that never started): the request reads it."""
    heard()
    cache.set(VERSION_KEY, "read-by-the-request", None)
    monkeypatch.setattr(config_version, "TRUST_SECONDS", -1.0)
    redis_commands.clear()
    assert config_version.config_version_read() == (True, "read-by-the-request")
    assert len(redis_commands) == 1 and "GET" in redis_commands[0], redis_commands


def test_a_listener_that_cannot_connect_leaves_the_requests_reading(monkeypatch):
    import redis

    dead = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(config_version, "default_cache_redis", lambda: dead)
    cache.set(VERSION_KEY, "read-while-deaf", None)
    for _ in range(3):
        assert config_version.config_version_read() == (True, "read-while-deaf")
        time.sleep(0.3)
    assert config_version._Heard.state is None


def test_a_forked_process_starts_its_own_listener(monkeypatch):
    heard()
    monkeypatch.setattr(config_version.os, "getpid", lambda: -1)  # as a child after fork sees itself
    assert config_version._heard() is None  # nothing it inherited is trusted
    assert config_version._Heard.pid == -1 and config_version._Heard.state is None


def test_another_redis_database_is_not_heard():
    """Two deployments on one Redis server, in two databases: channels are server-wide, the names are not."""
    import redis

    heard()
    client = cache._cache.get_client(write=True)
    kwargs = client.connection_pool.connection_kwargs
    other = redis.Redis(connection_pool=redis.ConnectionPool(**{**kwargs, "db": kwargs.get("db", 0) + 1}))
    assert config_version_channel(other) != config_version_channel(client)
    # Only this database's channel is subscribed by this process's listener.
    assert client.pubsub_numsub(config_version_channel(other)) == [(config_version_channel(other).encode(), 0)]
    assert client.pubsub_numsub(config_version_channel(client))[0][1] >= 1
