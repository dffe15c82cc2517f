"""The whole product on this machine, with every piece a fault can be injected into (bench/fault_injection.py).

A private PostgreSQL cluster (initdb in a temporary folder, its own port: it can be stopped without touching
anyone else's database), a private redis-server (no persistence, as in CI), gunicorn serving config.wsgi, a Celery
worker started as the README starts it, Celery Beat with the seeded DatabaseScheduler schedule, and in this
process the fake Evolution API and a real SMTP server (aiosmtpd), both answering after a provider-like latency.

Only this script's own processes are started, stopped and killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import io
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.evolution_server import EvolutionServer  # noqa: E402

TOKEN = re.compile(r"Cliente (F\d{6})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Postgres:
    """A PostgreSQL cluster of our own, stopped and started at will."""

    def __init__(self, root: Path):
        self.bindir = self._bindir()
        self.root = root / "pg"
        self.root.mkdir()
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self.as_postgres:
            os.chown(self.root, pwd.getpwnam("postgres").pw_uid, -1)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/ambacar"

    @staticmethod
    def _bindir() -> Path:
        found = os.environ.get("PG_BINDIR") or (shutil.which("initdb") and str(Path(shutil.which("initdb")).parent))
        if not found:
            versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
            found = str(Path(versions[-1]).parent) if versions else ""
        if not found:
            raise RuntimeError("no se encontró initdb de PostgreSQL (defina PG_BINDIR)")
        return Path(found)

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.root / "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.start()
        import psycopg

        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE ambacar")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.root / "data"), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", mode, "-w", "stop")


class Redis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server no está instalado")
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([server, *args], stdout=subprocess.DEVNULL)
        wait_for(lambda: _listening(self.port), timeout=10, what="redis-server")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


class Inbox:
    """aiosmtpd handler: accepts every message after `latency` seconds and counts it by its token."""

    def __init__(self, latency: float):
        self.latency = latency
        self.tokens: Counter[str] = Counter()
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.latency)
        found = TOKEN.search(envelope.content.decode("utf-8", errors="replace"))
        with self._lock:
            self.count += 1
            if found:
                self.tokens[found.group(1)] += 1
        return "250 Message accepted for delivery"


class Stack:
    """Everything, started in order; `close()` stops what is still running."""

    def __init__(self, *, latency: float = 0.02, lease: int = 20, task_limit: int = 10, sweep_every: int = 5):
        self.tmp = Path(tempfile.mkdtemp(prefix="ambacar-faults-"))
        os.chmod(self.tmp, 0o755)
        self.latency, self.lease, self.task_limit, self.sweep_every = latency, lease, task_limit, sweep_every
        self.postgres = Postgres(self.tmp)
        self.redis = Redis()
        self.web_port = free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        self.evolution: EvolutionServer | None = None
        self.smtp = None
        self.inbox = Inbox(latency)
        self.api_key = ""

    # --- set-up ------------------------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DEBUG="false",
            SECRET_KEY="fault-injection-secret-key-not-for-production",
            INTERNAL_API_SECRET_KEY="fault-injection-internal",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            DATABASE_URL=self.postgres.url,
            REDIS_URL=self.redis.url,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.smtp_port),
            EMAIL_TIMEOUT="3",
            DEFAULT_FROM_EMAIL="Ambacar Service <notificaciones@ambacar.test>",
            EVOLUTION_API_URL=self.evolution.url,
            EVOLUTION_API_KEY="fault-key",
            EVOLUTION_INSTANCE="ambacar",
            EVOLUTION_TIMEOUT="3",
            PUSH_TIMEOUT="3",
            NOTIFICATION_RETRY_BASE_SECONDS="1",
            # Pacing protects a real number; here it would stretch 1,000 sends over an hour. Its own proof is in
            # tests/e2e/test_whatsapp_protection.py.
            WHATSAPP_MIN_INTERVAL_SECONDS="0",
            WHATSAPP_MAX_JITTER_SECONDS="0",
            WHATSAPP_DAILY_CAP="1000000",
            NOTIFICATION_TASK_TIME_LIMIT=str(self.task_limit),
            NOTIFICATION_STUCK_AFTER_SECONDS=str(self.lease),
            LOG_LEVEL="INFO",
        )
        return env

    def start(self) -> Stack:
        from aiosmtpd.controller import Controller

        self.postgres.init()
        self.redis.start()
        self.evolution = EvolutionServer(apikey="fault-key", instance="ambacar", latency=self.latency).start()
        self.smtp_port = free_port()
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()
        os.environ.update(self.env())
        import logging

        import django

        django.setup()
        logging.getLogger().setLevel(logging.WARNING)  # this process reports; the services log to their files
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._prepare_database()
        self.start_web()
        self.start_worker()
        self.start_beat()
        return self

    def _prepare_database(self) -> None:
        from django.core.management import call_command
        from django_celery_beat.models import IntervalSchedule, PeriodicTask
        from rest_framework_api_key.models import APIKey

        from apps.notifications.models import CustomerContactInfo

        call_command("migrate", verbosity=0)
        call_command("seed_initial_data", verbosity=0, stdout=io.StringIO())
        _, self.api_key = APIKey.objects.create_key(name="fault-injection")
        CustomerContactInfo.objects.create(
            customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
        )
        # Beat's schedule, compressed with the lease: the stuck-row sweep runs every few seconds instead of every
        # 15 minutes. The relay keeps its seeded minute.
        every, _ = IntervalSchedule.objects.get_or_create(every=self.sweep_every, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.filter(name="retry_failed_notifications").update(interval=every)

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "a")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill reaches its children too
        )
        self.procs[name] = proc
        return proc

    def start_web(self) -> None:
        self._spawn(
            "web",
            [
                "gunicorn",
                "-c",
                "config/gunicorn.conf.py",
                "config.wsgi",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{self.web_port}",
                "--timeout",
                "30",
            ],
        )
        wait_for(lambda: _listening(self.web_port), timeout=30, what="gunicorn")

    def start_worker(self) -> None:
        log = self.tmp / "worker.log"
        mark = log.stat().st_size if log.exists() else 0
        self._spawn(
            "worker",
            ["celery", "-A", "config", "worker", "-l", "info", "-Q", "notifications,sync,maintenance",
             "--pool=threads", "--concurrency=4", "-n", f"faults-{os.getpid()}@%h"],
        )  # fmt: skip
        wait_for(lambda: b" ready." in log.read_bytes()[mark:], timeout=60, what="the worker")

    def kill_worker(self) -> None:
        """SIGKILL to the worker's whole process group: no warm shutdown, no ack, nothing cleaned up."""
        proc = self.procs.pop("worker")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def start_beat(self) -> None:
        self._spawn(
            "beat",
            ["celery", "-A", "config", "beat", "-l", "info", "--scheduler",
             "django_celery_beat.schedulers:DatabaseScheduler", "-s", str(self.tmp / "beat-schedule")],
        )  # fmt: skip

    def close(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if self.smtp is not None:
            self.smtp.stop()
        if self.evolution is not None:
            self.evolution.stop()
        self.redis.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with contextlib.suppress(subprocess.CalledProcessError):
            self.postgres.stop("immediate")
        if os.environ.get("FAULTS_KEEP_LOGS"):
            print(f"logs: {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # --- what the providers got ----------------------------------------------------------------------------------
    def whatsapp_tokens(self) -> Counter[str]:
        return Counter(m.group(1) for _, text in self.evolution.sent_texts() if (m := TOKEN.search(text or "")))

    def email_tokens(self) -> Counter[str]:
        return Counter(self.inbox.tokens)
