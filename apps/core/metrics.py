"""Prometheus metrics (SPEC §13) that stay right with any number of gunicorn and Celery processes, on any host.

Counters and histograms are kept in Redis, recorded where the event happens (the web process for requests and
acceptances, the worker for sends) with one pipelined round trip (one per request: apps.core.middleware batches);
`GET /metrics` reads them back with one HGETALL and renders them with prometheus_client. Gauges (queue lengths,
paused instances, today's WhatsApp sends) are read at scrape time by the collector in
apps/notifications/metrics.py. prometheus_client's own multiprocess mode needs every process on one host sharing a
directory; the web and the workers here run in different containers.

Without Redis (`make run`, tasks in-process) the numbers live in the process. Recording never fails the caller:
with Redis unreachable it stops trying for a few seconds and the events of that time are not counted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.25)
        self._down_until = 0.0

    def add(self, increments: Iterable[tuple[str, float]]) -> None:
        if time.monotonic() < self._down_until:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for field, amount in increments:
                if float(amount).is_integer():
                    pipe.hincrby(KEY, field, int(amount))
                else:
                    pipe.hincrbyfloat(KEY, field, amount)
            pipe.execute()
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + _BACKOFF_SECONDS
            logger.warning("metrics not recorded for %ss: Redis unavailable (%s)", _BACKOFF_SECONDS, exc)

    def read(self) -> dict[str, float]:
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


@lru_cache(maxsize=4)
def _store_for(url: str) -> _RedisStore | _LocalStore:
    return _RedisStore(url) if url else _LocalStore()


def store() -> _RedisStore | _LocalStore:
    return _store_for(settings.REDIS_URL or "")


class _Batch(threading.local):
    increments: list[tuple[str, float]] | None = None


_batch = _Batch()


@contextmanager
def metrics_batch() -> Iterator[None]:
    """Everything recorded inside (a request's acceptance counters and its own count and latency) goes to Redis in
    one pipeline at the end, instead of one round trip each. Nested batches join the outer one."""
    if _batch.increments is not None:
        yield
        return
    _batch.increments = []
    try:
        yield
    finally:
        increments, _batch.increments = _batch.increments, None
        if increments:
            store().add(increments)


def _record(increments: list[tuple[str, float]]) -> None:
    if _batch.increments is not None:
        _batch.increments.extend(increments)
    else:
        store().add(increments)


def metrics_count(name: str, amount: int = 1, **labels: str) -> None:
    _record([(_field(name, labels), amount)])


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
    _record(_observation(name, seconds, labels))


def metrics_http_request(*, route: str, method: str, status: int, seconds: float) -> None:
    """One request: its count and its duration, in one round trip."""
    labels = {"route": route, "method": method}
    counted = (_field("ambacar_http_requests_total", {**labels, "status": str(status)}), 1)
    _record([counted, *_observation("ambacar_http_request_duration_seconds", seconds, labels)])


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
