"""Handing work to Celery by task name, and noticing when the broker forgot what it held.

Services publish by the stable names of SPEC §8 instead of importing the tasks modules, which import the
services: the arrows go tasks → services, never back. The task is looked up in the app's registry (not
`send_task`) so that the embedded eager mode still runs it in-process.
"""

from __future__ import annotations

import logging

import redis

from config.celery import app

logger = logging.getLogger(__name__)

# A key left in the broker's Redis database: when it is gone, so is everything the broker held.
BROKER_SENTINEL = "ambacar:broker-sentinel"


def task_publish(name: str, *, args: list, task_id: str | None = None, countdown: float | None = None) -> None:
    """Publish one task; raises whatever the broker raises (callers keep the work in the database for a sweep)."""
    _task(name).apply_async(args=args, task_id=task_id, countdown=countdown, retry=False)


def tasks_run_in_process() -> bool:
    """True in the embedded mode (no REDIS_URL): a task runs inside apply_async, and a countdown is ignored."""
    return bool(app.conf.task_always_eager)


def _task(name: str):
    try:
        return app.tasks[name]
    except KeyError:
        # A worker imports the tasks modules at start-up; the web process on its first publish (autodiscovery).
        app.loader.import_default_modules()
        return app.tasks[name]


def broker_was_reset() -> bool:
    """True, once, after the broker lost what it held: Redis restarted without persistence, was flushed or
    replaced. Queued messages and retry countdowns went with it, so the relay sweep hands every queued row over
    again at once instead of waiting out their lease. Also true the first time it is ever asked (harmless: a
    row handed over twice is claimed once). False without a Redis broker (tasks run in-process)."""
    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return False
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        reset = bool(client.set(BROKER_SENTINEL, "1", nx=True))
    except redis.RedisError:
        return False  # the broker is down: nothing can be handed over now anyway
    finally:
        client.close()
    if reset:
        logger.warning("the broker holds no sentinel: it lost its queues; every queued row is handed over again")
    return reset
