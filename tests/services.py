"""Reaching the real services the integration and end-to-end tests need.

With CI=true a missing service is a failure, never a skip (the CI contract); on a laptop the test skips
with the reason, so `make test` stays usable without PostgreSQL or Redis.
"""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str):
    if in_ci():
        pytest.fail(f"CI=true y falta un servicio: {reason}", pytrace=False)
    pytest.skip(reason)


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"


def redis_or_fail() -> str:
    import redis

    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        unavailable(f"Redis no responde en {url}: {exc}")
    return url


def postgres_or_fail() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        unavailable("esta prueba necesita PostgreSQL: defina DATABASE_URL=postgres://...")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dead_broker():
    """Celery publishes to a port where nothing listens (Redis down), and does not run tasks in-process."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        app._pool = None
        app.amqp._producer_pool = None


def database_url_for_test_db() -> str:
    """The URL of the test database pytest-django created, for a worker process."""
    from django.db import connection

    s = connection.settings_dict
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}{port}/{s['NAME']}"


def redis_db_url(url: str, db: int) -> str:
    parsed = urlparse(url)
    return parsed._replace(path=f"/{db}").geturl()
