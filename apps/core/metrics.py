"""Prometheus metrics (SPEC §13) that stay right with any number of gunicorn and Celery processes, on any host.

Counters and histograms are kept in Redis, recorded where the event happens (the web process for requests and
acceptances, the worker for sends), summed in the process and sent at most once a second in one pipeline; `GET
/metrics` reads them back with one HGETALL and renders them with prometheus_client. Gauges (queue lengths, paused
instances, today's WhatsApp sends) are read at scrape time by the collector in apps/notifications/metrics.py.
prometheus_client's own multiprocess mode needs every process on one host sharing a directory; the web and the
workers here run in different containers.

Without Redis (`make run`, tasks in-process) the numbers live in the process. Recording never fails the caller:
with Redis unreachable it stops trying for a few seconds and the events of that time are not counted.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from django.db import transaction
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

logger = logging.getLogger(__name__)

KEY = "ambacar:metrics"
# Seconds: a provider call (SMTP, Evolution, a push service) and an HTTP request.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 100.0)
_BACKOFF_SECONDS = 5.0
# At most one pipeline per process per this many seconds.
FLUSH_SECONDS = 1.0


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str  # "counter" | "histogram"
    help: str
    labels: tuple[str, ...]


SPECS = {
    spec.name: spec
    for spec in (
        Spec(
            "ambacar_notifications_total",
            "counter",
            "Notificaciones (una por dirección y canal) que entraron en cada estado: created, sent, delivered, read, "
            "failed, retry.",
            ("channel", "status"),
        ),
        Spec(
            "ambacar_dispatches_total",
            "counter",
            "Despachos aceptados y los que llegaron a cada estado final: accepted, sent, delivered, read, failed.",
            ("status",),
        ),
        Spec(
            "ambacar_send_duration_seconds",
            "histogram",
            "Duración de cada llamada a un proveedor (SMTP, Evolution API, servicio push), con éxito o no.",
            ("channel",),
        ),
        Spec(
            "ambacar_http_requests_total",
            "counter",
            "Peticiones HTTP por ruta (el patrón de la URL), método y código de estado.",
            ("route", "method", "status"),
        ),
        Spec(
            "ambacar_http_request_duration_seconds",
            "histogram",
            "Duración de las peticiones HTTP por ruta y método.",
            ("route", "method"),
        ),
    )
}


def _field(name: str, labels: dict[str, str], suffix: str = "") -> str:
    values = "\x1f".join(str(labels[label]) for label in SPECS[name].labels)
    return f"{name}\x1e{values}\x1e{suffix}"


def _bucket(value: float) -> str:
    return next((str(le) for le in DURATION_BUCKETS if value <= le), "+Inf")


class _RedisStore:
    """Increments are summed in the process and sent at most once per FLUSH_SECONDS in one pipeline: a request pays
    no Redis round trip of its own. A timer sends what is left when no later event comes; a read and the process's
    exit send it first."""

    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.25)
        self._down_until = 0.0
        self._pending: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()
        self._flushed_at = 0.0
        self._timer: threading.Timer | None = None
        self._pid = os.getpid()
        atexit.register(self.flush)

    def add(self, increments: Iterable[tuple[str, float]]) -> None:
        if self._pid != os.getpid():  # a forked child (prefork pool): its parent's buffer and timer are not its own
            self._pid, self._pending, self._timer, self._lock = os.getpid(), defaultdict(float), None, threading.Lock()
        with self._lock:
            for field, amount in increments:
                self._pending[field] += amount
            due = time.monotonic() - self._flushed_at >= FLUSH_SECONDS
            if not due and self._timer is None:
                self._timer = threading.Timer(FLUSH_SECONDS, self.flush)
                self._timer.daemon = True
                self._timer.start()
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, defaultdict(float)
            self._flushed_at = time.monotonic()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if not pending or time.monotonic() < self._down_until:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for field, amount in pending.items():
                if float(amount).is_integer():
                    pipe.hincrby(KEY, field, int(amount))
                else:
                    pipe.hincrbyfloat(KEY, field, amount)
            pipe.execute()
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + _BACKOFF_SECONDS
            logger.warning("metrics not recorded for %ss: Redis unavailable (%s)", _BACKOFF_SECONDS, exc)

    def read(self) -> dict[str, float]:
        self.flush()  # this process's own recent events are in the answer
        return {k.decode(): float(v) for k, v in self.client.hgetall(KEY).items()}


class _LocalStore:
    def __init__(self):
        self._values: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def add(self, increments: Iterable[tuple[str, float]]) -> None:
        with self._lock:
            for field, amount in increments:
                self._values[field] += amount

    def read(self) -> dict[str, float]:
        with self._lock:
            return dict(self._values)

    def flush(self) -> None:
        pass


@lru_cache(maxsize=4)
def _store_for(url: str) -> _RedisStore | _LocalStore:
    return _RedisStore(url) if url else _LocalStore()


def store() -> _RedisStore | _LocalStore:
    return _store_for(settings.REDIS_URL or "")


def metrics_flush() -> None:
    """Send what this process buffered now (tests; a process about to stop flushes at exit by itself)."""
    store().flush()


def metrics_count(name: str, amount: int = 1, **labels: str) -> None:
    store().add([(_field(name, labels), amount)])


def metrics_count_on_commit(name: str, amount: int = 1, **labels: str) -> None:
    """Counted once the surrounding transaction commits (a rolled-back acceptance never happened)."""
    transaction.on_commit(lambda: metrics_count(name, amount, **labels))


def _observation(name: str, seconds: float, labels: dict[str, str]) -> list[tuple[str, float]]:
    return [
        (_field(name, labels, f"le={_bucket(seconds)}"), 1),
        (_field(name, labels, "sum"), seconds),
        (_field(name, labels, "count"), 1),
    ]


def metrics_observe(name: str, seconds: float, **labels: str) -> None:
    store().add(_observation(name, seconds, labels))


def metrics_http_request(*, route: str, method: str, status: int, seconds: float) -> None:
    """One request: its count and its duration, in one round trip."""
    labels = {"route": route, "method": method}
    counted = (_field("ambacar_http_requests_total", {**labels, "status": str(status)}), 1)
    store().add([counted, *_observation("ambacar_http_request_duration_seconds", seconds, labels)])


def recorded_families() -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
    """Every recorded counter and histogram, as prometheus_client metric families."""
    values: dict[str, dict[tuple[str, ...], dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for field, value in store().read().items():
        name, _, rest = field.partition("\x1e")
        label_values, _, suffix = rest.partition("\x1e")
        if name in SPECS:
            values[name][tuple(label_values.split("\x1f"))][suffix] = value
    for name, spec in SPECS.items():
        series = values.get(name, {})
        if spec.kind == "counter":
            family = CounterMetricFamily(name.removesuffix("_total"), spec.help, labels=spec.labels)
            for label_values, parts in sorted(series.items()):
                family.add_metric(list(label_values), parts.get("", 0.0))
        else:
            family = HistogramMetricFamily(name, spec.help, labels=spec.labels)
            for label_values, parts in sorted(series.items()):
                cumulative, buckets = 0.0, []
                for le in (*map(str, DURATION_BUCKETS), "+Inf"):
                    cumulative += parts.get(f"le={le}", 0.0)
                    buckets.append((le, cumulative))
                family.add_metric(list(label_values), buckets, parts.get("sum", 0.0))
        yield family
