"""End-to-end fixtures: a real Celery worker process on Redis and PostgreSQL, a real SMTP server
(aiosmtpd) and the fake Evolution API, all on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller

from tests.fakes.evolution_server import EvolutionServer
from tests.services import database_url_for_test_db, free_port, postgres_or_fail, redis_db_url, redis_or_fail

ROOT = Path(__file__).resolve().parents[2]
E2E_REDIS_DB = 12


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def evolution():
    with EvolutionServer(apikey="e2e-key", instance="ambacar") as server:
        yield server


@contextmanager
def broker(url: str):
    """Point this process's Celery app at `url` and stop running tasks eagerly."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield app
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        app._pool = None
        app.amqp._producer_pool = None


def worker_env(*, broker_url: str, smtp_port: int, evolution_url: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="e2e-secret-key",
        INTERNAL_API_SECRET_KEY="e2e-internal",
        DATABASE_URL=database_url_for_test_db(),
        DB_CONN_MAX_AGE="0",
        REDIS_URL=broker_url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5",
        DEFAULT_FROM_EMAIL="Ambacar Service <notificaciones@ambacar.test>",
        EVOLUTION_API_URL=evolution_url,
        EVOLUTION_API_KEY="e2e-key",
        EVOLUTION_INSTANCE="ambacar",
        EVOLUTION_TIMEOUT="3",
        NOTIFICATION_RETRY_BASE_SECONDS="1",
        WHATSAPP_MIN_INTERVAL_SECONDS="0",
        WHATSAPP_MAX_JITTER_SECONDS="0",
        LOG_LEVEL="INFO",
        WORKER_TASK_LOG_LEVEL="INFO",  # tests wait on Celery's "succeeded" lines
    )
    env.update(extra)
    return env


@contextmanager
def running_worker(*, broker_url: str, smtp_port: int, evolution_url: str, log_path: Path, **extra_env: str):
    """A `celery -A config worker` process, as the README starts it, until the block ends (`extra_env` adds to or
    overrides its environment)."""
    log = open(log_path, "w+")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-l",
            "info",
            "-Q",
            "notifications,sync,maintenance",
            "--pool=threads",
            "--concurrency=4",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"e2e-{os.getpid()}-{log_path.stem}@%h",
        ],  # fmt: skip
        cwd=ROOT,
        env=worker_env(broker_url=broker_url, smtp_port=smtp_port, evolution_url=evolution_url, **extra_env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: "ready" in log_path.read_text(), timeout=60, what="the worker to be ready")
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


@pytest.fixture
def channels(transactional_db, smtp_server, evolution, settings):
    """This process plans with the same channel settings the worker sends with."""
    from apps.notifications.adapters import reset_senders

    postgres_or_fail()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EVOLUTION_API_URL = evolution.url
    settings.EVOLUTION_API_KEY, settings.EVOLUTION_INSTANCE = "e2e-key", "ambacar"
    reset_senders()
    yield
    reset_senders()


@pytest.fixture
def e2e(channels, smtp_server, evolution, tmp_path):
    """A worker process on Redis plus everything it talks to."""
    broker_url = redis_db_url(redis_or_fail(), E2E_REDIS_DB)
    redis.Redis.from_url(broker_url).flushdb()
    log_path = tmp_path / "worker.log"
    with (
        running_worker(
            broker_url=broker_url, smtp_port=smtp_server.port, evolution_url=evolution.url, log_path=log_path
        ),
        broker(broker_url),
    ):
        yield type("E2E", (), {"smtp": smtp_server, "evolution": evolution, "broker_url": broker_url, "log": log_path})


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
