"""Prometheus metrics (SPEC §13) that stay right with any number of gunicorn and Celery processes, on any host.

Counters and histograms are kept in Redis, recorded where the event happens (the web process for requests and
acceptances, the worker for sends), summed in each process and written by a background thread once a second
(METRICS_FLUSH_MS), so neither a request nor a send waits on Redis for them;
`GET /metrics` reads them back with one HGETALL and renders them with prometheus_client. Gauges (queue lengths,
paused instances, today's WhatsApp sends) are read at scrape time by the collector in
apps/notifications/metrics.py. prometheus_client's own multiprocess mode needs every process on one host sharing a
directory; the web and the workers here run in different containers.

Without Redis (`make run`, tasks in-process) the numbers live in the process. Recording never fails the caller:
with Redis unreachable the sums stay in the process and the writer tries again every few seconds.
"""

from __future__ import annotations

import atexit
import logging
import os
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
    """Increments are summed in the process and written by one background thread every `flush_ms`: one MULTI/EXEC
    per interval whatever the traffic, instead of a round trip in every request and every send. A process that
    exits normally writes what it has (atexit; Celery's prefork children on worker_process_shutdown,
    config/celery.py); one that is killed loses what it had not written: one interval, or, while Redis is
    unreachable, everything kept since. Sums are kept for later only when nothing of them reached Redis (it did not
    answer a PING); a write that was sent and not confirmed is dropped, never sent twice. `flush_ms` 0 writes in the
    caller."""

    def __init__(self, url: str, flush_ms: int):
        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.25)
        self._interval = flush_ms / 1000
        self._down_until = 0.0
        self._start_empty()
        # A forked child (a gunicorn worker, a prefork child) must not write its parent's sums a second time.
        os.register_at_fork(after_in_child=self._start_empty)
        atexit.register(self.flush)

    def _start_empty(self) -> None:
        self._lock = threading.Lock()  # guards _pending and _flusher
        self._writing = threading.Lock()  # one write at a time: flush() returns once what was summed is in Redis
        self._pending: dict[str, float] = defaultdict(float)
        self._flusher: threading.Thread | None = None

    def add(self, increments: Iterable[tuple[str, float]]) -> None:
        if not self._interval:
            if time.monotonic() >= self._down_until:
                self._send(_summed_into(defaultdict(float), increments))
            return
        with self._lock:
            _summed_into(self._pending, increments)
            if self._flusher is not None:
                return
            self._flusher = threading.Thread(target=self._flush_forever, name="metrics-flush", daemon=True)
        try:
            self._flusher.start()
        except RuntimeError as exc:  # no thread to be had (a container's pid limit): the next add tries again
            logger.warning("metrics writer not started (%s); the sums wait in the process", exc)
            with self._lock:
                self._flusher = None

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self._interval)
            try:
                self.flush()
            except Exception:  # the writer must outlive anything one write does; what it held is counted lost
                logger.exception("metrics write failed")

    def flush(self) -> None:
        with self._writing:
            with self._lock:
                pending, self._pending = self._pending, defaultdict(float)
            if not pending:
                return
            if not self._reachable():
                with self._lock:
                    _summed_into(self._pending, pending.items())
                return
            self._send(pending)

    def _reachable(self) -> bool:
        if time.monotonic() < self._down_until:
            return False
        try:
            self.client.ping()
            return True
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + _BACKOFF_SECONDS
            logger.warning("metrics kept in the process for %ss: Redis unavailable (%s)", _BACKOFF_SECONDS, exc)
            return False

    def _send(self, increments: dict[str, float]) -> None:
        """One MULTI/EXEC. Once sent, a failure (a reply later than the socket timeout, a command refused inside
        EXEC) leaves it unknown whether Redis applied it: those sums are dropped, not counted a second time."""
        try:
            pipe = self.client.pipeline(transaction=True)
            for field, amount in increments.items():
                if float(amount).is_integer():
                    pipe.hincrby(KEY, field, int(amount))
                else:
                    pipe.hincrbyfloat(KEY, field, amount)
            pipe.execute()
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + _BACKOFF_SECONDS
            logger.warning("metrics of one write not recorded: Redis did not confirm it (%s)", exc)

    def read(self) -> dict[str, float]:
        self.flush()
        return {k.decode(): float(v) for k, v in self.client.hgetall(KEY).items()}


def _summed_into(sums: dict[str, float], increments: Iterable[tuple[str, float]]) -> dict[str, float]:
    for field, amount in increments:
        sums[field] += amount
    return sums


class _LocalStore:
    def __init__(self):
        self._values: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def add(self, increments: Iterable[tuple[str, float]]) -> None:
        with self._lock:
            _summed_into(self._values, increments)

    def read(self) -> dict[str, float]:
        with self._lock:
            return dict(self._values)

    def flush(self) -> None:
        """Nothing to write: the numbers live in the process."""


@lru_cache(maxsize=4)
def _store_for(url: str, flush_ms: int) -> _RedisStore | _LocalStore:
    return _RedisStore(url, flush_ms) if url else _LocalStore()


def store() -> _RedisStore | _LocalStore:
    return _store_for(settings.REDIS_URL or "", settings.METRICS_FLUSH_MS)


def metrics_flush() -> None:
    """Write what this process has summed and not yet written (a worker that stops, a test about to read)."""
    store().flush()


class _Batch(threading.local):
    increments: list[tuple[str, float]] | None = None


_batch = _Batch()


@contextmanager
def metrics_batch() -> Iterator[None]:
    """Everything recorded inside (a request's acceptance counters and its own count and latency; a send's) reaches
    the store in one call at the end: one lock, or one round trip with METRICS_FLUSH_MS=0. Nested batches join the
    outer one."""
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
    """One request: its count and its duration."""
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
