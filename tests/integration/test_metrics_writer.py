"""The process's metrics writer (apps.core.metrics): sums kept in the process reach Redis exactly once — on its
own clock, when Redis comes back, at a normal exit — and a forked child never writes its parent's sums again."""

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
    url = redis_db_url(redis_or_fail(), WRITER_DB)
    redis.Redis.from_url(url).delete(KEY)
    return url


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
    deadline = time.monotonic() + 5
    while written(url, field) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
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
