"""The shared version of the configuration: kept in the cache, announced on a Redis channel, heard by each process.

config_cache compares its snapshot with this version on every request. Reading it with a GET per request was a
tenth of a dispatch through gunicorn (docs/benchmarks.md §1e). Instead each process runs one daemon thread that
subscribes to the version's channel, reads the version once Redis confirms the subscription (so a change between
the two is not missed), and keeps what it hears: every bump SETs the version and PUBLISHes it. The thread reads the
version again every HEARTBEAT_SECONDS, which also catches a publish it missed.

A request trusts what the thread heard only while the thread heard something in the last TRUST_SECONDS (a message
or its own read); otherwise it reads the version itself, as before. So a connection cut without notice, Redis
restarting, a lost publish or a thread not started yet never serve a stale snapshot for more than TRUST_SECONDS.
Another process hears a change when Redis delivers the message, about a millisecond after the bump returns; the
bumping process knows the new version at once.

Without Redis (`make run`, one process) the cache is the process's memory and is read directly, as before.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid

from django.core.cache import cache, caches

from apps.core.cache import default_cache_redis

logger = logging.getLogger(__name__)

VERSION_KEY = "ambacar:config-version"  # in Django's cache (its prefix and pickling)
HEARTBEAT_SECONDS = 1.0
TRUST_SECONDS = 3.0
RECONNECT_SECONDS = 1.0


class _Heard:
    """What this process's listener heard: (version, monotonic time heard), or None while it cannot be trusted."""

    pid: int | None = None
    listener: object | None = None  # the running listener's token: a listener whose token is replaced stops
    state: tuple[str | None, float] | None = None
    lock = threading.Lock()


def config_version_channel(client) -> str:
    """Where the raw version is published after each SET. Channels are server-wide, not per database: named after
    the database and the cache's key, so two deployments sharing a Redis server do not hear each other."""
    return f"{cache.make_key(VERSION_KEY)}@db{client.connection_pool.connection_kwargs.get('db', 0)}"


def config_version_read() -> tuple[bool, str | None]:
    """(trusted, version): the version every process compares; untrusted when it can be neither heard nor read."""
    heard = _heard()
    if heard is not None:
        return True, heard[0]
    try:
        return True, cache.get(VERSION_KEY)
    except Exception:  # Redis down: better one database read per request than a snapshot nobody can invalidate
        logger.warning("config cache: the version cannot be read; reading the database")
        return False, None


def config_version_announce() -> None:
    """A new version for every process: SET, then PUBLISH to the listeners."""
    version = uuid.uuid4().hex
    try:
        cache.set(VERSION_KEY, version, None)
    except Exception:  # Redis down: the other processes read the database while they cannot see the version
        logger.warning("config cache: the version could not be bumped")
        return
    state = _Heard.state
    if state is not None and _Heard.pid == os.getpid():
        _Heard.state = (version, state[1])  # this process must not wait for its own message
    client = default_cache_redis()
    if client is None:
        return
    try:
        client.publish(config_version_channel(client), version)
    except Exception:  # the listeners' next read (HEARTBEAT_SECONDS) finds the version anyway
        logger.warning("config cache: the new version could not be published")


def _heard() -> tuple[str | None, float] | None:
    if _Heard.pid != os.getpid():
        _listener_start()
        return None
    state = _Heard.state
    if state is None or time.monotonic() - state[1] > TRUST_SECONDS:
        return None
    return state


def config_version_listener_restart() -> None:
    """Stop this process's listener; the next read starts a new one (the tests start each case from nothing)."""
    with _Heard.lock:
        _Heard.pid = _Heard.listener = _Heard.state = None


def _listener_start() -> None:
    client = default_cache_redis()
    # This thread's cache backend, shared with the listener (the Redis one is thread-safe): its reads take a
    # connection of the same pool instead of a pool of the listener's own.
    backend = caches["default"]
    with _Heard.lock:
        if _Heard.pid == os.getpid():
            return
        # A forked child (a gunicorn worker, a prefork child) starts its own listener: threads do not survive fork.
        token = object()
        _Heard.pid, _Heard.listener, _Heard.state = os.getpid(), token, None
        if client is None:
            return
        try:
            threading.Thread(
                target=_listen_forever, args=(client, backend, token), name="config-version", daemon=True
            ).start()
        except RuntimeError as exc:  # no thread to be had (a container's pid limit): requests read the version
            logger.warning("config cache: version listener not started (%s)", exc)


def _listen_forever(client, backend, token: object) -> None:
    failing = False
    while _Heard.listener is token:
        try:
            _listen(client, backend, token)
        except Exception as exc:  # Redis down or the connection cut: requests read the version meanwhile
            if not failing:
                logger.warning("config cache: version listener disconnected (%s); requests read the version", exc)
            failing = True
        else:
            failing = False
        if _Heard.listener is token:
            _Heard.state = None
            time.sleep(RECONNECT_SECONDS)


def _listen(client, backend, token: object) -> None:
    pubsub = client.pubsub()
    try:
        channel = config_version_channel(client)
        pubsub.subscribe(channel)
        # Only once Redis confirms the subscription is a change announced after the first read sure to be heard.
        confirmation = pubsub.get_message(timeout=HEARTBEAT_SECONDS * 5)
        if confirmation is None or confirmation["type"] != "subscribe":
            raise ConnectionError(f"no confirmation of the subscription to {channel}")
        read_at = 0.0
        while _Heard.listener is token:
            now = time.monotonic()
            if now - read_at >= HEARTBEAT_SECONDS:
                # Also catches a publish this connection missed (cut and restored without notice).
                version, read_at = backend.get(VERSION_KEY), now
                _heard_set(token, version)
            message = pubsub.get_message(timeout=HEARTBEAT_SECONDS)
            if message is not None and message["type"] == "message":
                data = message["data"]
                _heard_set(token, data.decode() if isinstance(data, bytes) else data)
    finally:
        pubsub.close()


def _heard_set(token: object, version: str | None) -> None:
    if _Heard.listener is token:  # a listener being replaced must not overwrite what its successor heard
        _Heard.state = (version, time.monotonic())
