"""Pacing and daily caps of each WhatsApp sender (Evolution instance), shared by every worker (SPEC §13).

Evolution API drives an ordinary WhatsApp account with no limiter of its own, and numbers that send machine-timed
bursts get banned. So the sends of one instance are spread on a timeline kept in Redis:

- `reserve` gives a notification its slot: the later of now and the instance's next free slot, which then moves
  on by the minimum interval plus a random jitter. The slot belongs to the notification (a redelivered task, or
  the same row coming back later, gets the same one), so a row that waits its turn never loses its place.
- `begin` is the gate right before the request: it refuses (with how long to wait) while the last send of the
  instance is less than the minimum interval ago, and past the day's cap; otherwise it records the send. This is
  what guarantees the gap whatever the slots say: a worker that was late for its slot cannot crowd the next one.
- `end` runs once the request has returned: it moves the instance's last send to now (never back). `begin`
  stamps the time before the request leaves, and a busy worker (threads pool) may take a few milliseconds
  between the gate and the request; measured from the end, the next send waits a whole interval after this one
  reached the provider, so the provider never sees two sends closer than the interval.

Nothing is locked: a worker killed while holding a slot leaves a gap in the timeline, never a stuck instance.
Times are Redis's clock (TIME inside the scripts), so workers on machines with skewed clocks agree. Without
Redis (`make run`: tasks run in-process) the same rules hold inside the one process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import redis
from django.conf import settings
from django.utils import timezone

PREFIX = "ambacar:wa"
SLOT_TTL = 6 * 3600  # a slot nobody came back for is forgotten
DAY_TTL = 2 * 86400

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local held = redis.call('GET', KEYS[2])
if held then return {held, tostring(now)} end
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], tostring(start + tonumber(ARGV[1])), 'EX', ARGV[2])
redis.call('SET', KEYS[2], tostring(start), 'EX', ARGV[2])
return {tostring(start), tostring(now)}
"""

_BEGIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local ready = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1])
if now < ready then return {'wait', tostring(ready - now)} end
local sent = tonumber(redis.call('GET', KEYS[2]) or '0')
if sent >= tonumber(ARGV[2]) then return {'cap', tostring(sent)} end
redis.call('SET', KEYS[1], tostring(now), 'EX', ARGV[3])
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('DEL', KEYS[3])
return {'go', tostring(sent + 1), tostring(now)}
"""

_END = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if now > last then redis.call('SET', KEYS[1], tostring(now), 'EX', ARGV[1]) end
return tostring(math.max(now, last))
"""


@dataclass(frozen=True)
class Slot:
    start: float  # when the send may start (seconds, the pacer's clock)
    now: float  # the pacer's clock when the slot was given

    @property
    def wait(self) -> float:
        return max(0.0, self.start - self.now)


@dataclass(frozen=True)
class Admission:
    verdict: str  # "go" (recorded as sent), "wait" (seconds in `value`), "cap" (the day's sends in `value`)
    value: float
    at: float = 0.0  # "go": when it was admitted (the pacer's clock)


def _day(today: date | None = None) -> str:
    return (today or timezone.localdate()).isoformat()


class RedisPacer:
    def __init__(self, client: redis.Redis):
        self.client = client
        self._reserve = client.register_script(_RESERVE)
        self._begin = client.register_script(_BEGIN)
        self._end = client.register_script(_END)

    def reserve(self, instance: str, notification_id: str, gap: float) -> Slot:
        keys = [f"{PREFIX}:next:{instance}", f"{PREFIX}:slot:{instance}:{notification_id}"]
        start, now = self._reserve(keys=keys, args=[gap, SLOT_TTL])
        return Slot(float(start), float(now))

    def begin(self, instance: str, notification_id: str, *, min_interval: float, cap: int) -> Admission:
        keys = [
            f"{PREFIX}:last:{instance}",
            f"{PREFIX}:day:{instance}:{_day()}",
            f"{PREFIX}:slot:{instance}:{notification_id}",
        ]
        verdict, value, *at = self._begin(keys=keys, args=[min_interval, cap, DAY_TTL])
        verdict = verdict.decode() if isinstance(verdict, bytes) else verdict
        return Admission(verdict, float(value), float(at[0]) if at else 0.0)

    def end(self, instance: str) -> float:
        return float(self._end(keys=[f"{PREFIX}:last:{instance}"], args=[DAY_TTL]))

    def sent_today(self, instance: str) -> int:
        return int(self.client.get(f"{PREFIX}:day:{instance}:{_day()}") or 0)


class LocalPacer:
    """The same rules for one process (tasks run in-process when REDIS_URL is not set). Its clock is monotonic:
    only intervals matter inside one process, and they must not jump with the wall clock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        self._slots: dict[tuple[str, str], float] = {}
        self._last: dict[str, float] = {}
        self._days: dict[tuple[str, str], int] = {}

    def reserve(self, instance: str, notification_id: str, gap: float) -> Slot:
        with self._lock:
            now = time.monotonic()
            held = self._slots.get((instance, notification_id))
            if held is not None:
                return Slot(held, now)
            start = max(now, self._next.get(instance, 0.0))
            self._next[instance] = start + gap
            self._slots[(instance, notification_id)] = start
            return Slot(start, now)

    def begin(self, instance: str, notification_id: str, *, min_interval: float, cap: int) -> Admission:
        with self._lock:
            now = time.monotonic()
            ready = self._last.get(instance, 0.0) + min_interval
            if now < ready:
                return Admission("wait", ready - now)
            day = (instance, _day())
            if self._days.get(day, 0) >= cap:
                return Admission("cap", self._days[day])
            self._last[instance] = now
            self._days[day] = self._days.get(day, 0) + 1
            self._slots.pop((instance, notification_id), None)
            return Admission("go", self._days[day], now)

    def end(self, instance: str) -> float:
        with self._lock:
            self._last[instance] = max(self._last.get(instance, 0.0), time.monotonic())
            return self._last[instance]

    def sent_today(self, instance: str) -> int:
        with self._lock:
            return self._days.get((instance, _day()), 0)


@lru_cache(maxsize=4)
def _pacer_for(url: str) -> RedisPacer | LocalPacer:
    if not url:
        return LocalPacer()
    return RedisPacer(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5))


def pacer() -> RedisPacer | LocalPacer:
    """The pacer of this process: Redis when REDIS_URL is set (shared by every worker), else in-process."""
    return _pacer_for(settings.REDIS_URL or "")
