"""The process's metrics writer (apps.core.metrics): sums kept in the process reach Redis at most once — on its
own clock, when Redis comes back, at a normal exit; a write Redis did not confirm is never sent again, a forked
child never writes its parent's sums, and the writer outlives a failed write."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from apps.core.metrics import KEY, _RedisStore
from tests.services import redis_db_url, redis_or_fail

ROOT = Path(__file__).resolve().parents[2]
WRITER_DB = 8


@pytest.fixture
def url():
    return redis_db_url(redis_or_fail(), WRITER_DB)  # each test's field is its own: nothing to clear


@pytest.fixture
def field():
    return f"test_writer\x1e{uuid.uuid4().hex}\x1e"


def written(url: str, field: str) -> float:
    return float(redis.Redis.from_url(url).hget(KEY, field) or 0)


def test_sums_wait_in_the_process_until_written_in_one_round_trip(url, field):
    store = _RedisStore(url, flush_ms=60_000)
    store.add([(field, 1), (field, 2)])
    store.add([(field, 0.5)])
    assert written(url, field) == 0
    store.flush()
    assert written(url, field) == 3.5
    store.flush()  # nothing left: written once
    assert written(url, field) == 3.5


def test_the_writer_thread_writes_on_its_own_clock(url, field):
    store = _RedisStore(url, flush_ms=50)
    store.add([(field, 1)])
    wait_until(lambda: written(url, field) == 1)
    assert written(url, field) == 1


def test_with_redis_unreachable_the_sums_are_kept_and_written_once_it_is_back(url, field):
    store = _RedisStore("redis://127.0.0.1:1/0", flush_ms=60_000)
    store.add([(field, 2)])
    store.flush()  # refused: kept
    store.add([(field, 3)])
    store.client = redis.Redis.from_url(url)
    store._down_until = 0.0  # the back-off after the failure has passed
    store.flush()
    assert written(url, field) == 5


def test_a_write_redis_did_not_confirm_is_not_sent_again(url, field, monkeypatch):
    store = _RedisStore(url, flush_ms=60_000)
    original = redis.client.Pipeline.execute

    def applied_then_late(self, *args, **kwargs):  # Redis applied it; its answer came after the socket timeout
        original(self, *args, **kwargs)
        raise redis.TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(redis.client.Pipeline, "execute", applied_then_late)
    store.add([(field, 1)])
    store.flush()
    monkeypatch.undo()
    store._down_until = 0.0  # the back-off after the failure has passed
    store.add([(field, 2)])
    store.flush()
    assert written(url, field) == 3


def test_the_writer_thread_outlives_a_failed_write(url, field, monkeypatch):
    store = _RedisStore(url, flush_ms=20)
    send, calls = store._send, []

    def fails_once(increments):
        calls.append(dict(increments))
        if len(calls) == 1:
            raise ValueError("a bug in one write")
        send(increments)

    monkeypatch.setattr(store, "_send", fails_once)
    store.add([(field, 1)])  # lost with the write that failed
    wait_until(lambda: calls)
    store.add([(field, 2)])
    wait_until(lambda: written(url, field) == 2)
    assert written(url, field) == 2


def wait_until(condition, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_with_flush_ms_zero_the_caller_writes(url, field):
    _RedisStore(url, flush_ms=0).add([(field, 1), (field, 1)])
    assert written(url, field) == 2


def test_a_forked_child_does_not_write_its_parents_sums(url, field):
    store = _RedisStore(url, flush_ms=60_000)
    store.add([(field, 1)])
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's exit status is what the parent checks
        try:
            store.add([(field, 10)])
            store.flush()
        finally:
            os._exit(0)
    assert os.waitpid(child, 0)[1] == 0
    assert written(url, field) == 10  # the child's own
    store.flush()
    assert written(url, field) == 11


def test_a_process_that_exits_normally_writes_what_it_summed(url, field):
    program = (
        f"from apps.core.metrics import _RedisStore\n_RedisStore({url!r}, flush_ms=60_000).add([({field!r}, 7)])\n"
    )
    subprocess.run([sys.executable, "-c", program], cwd=ROOT, check=True, timeout=60)
    assert written(url, field) == 7


def test_a_prefork_child_that_shuts_down_writes_what_it_summed(url, field, monkeypatch):
    """Billiard's children leave with os._exit (no atexit): config/celery.py writes on worker_process_shutdown."""
    from celery import signals

    from apps.core import metrics

    store = _RedisStore(url, flush_ms=3_600_000)
    monkeypatch.setattr(metrics, "store", lambda: store)
    store.add([(field, 4)])
    signals.worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
    assert written(url, field) == 4
