"""The cache and the broker keep one redis-py client instead of building one per command (apps/core/cache.py,
apps/core/broker.py), against the real Redis: same client while the pool lives, a new one on the new pool after
kombu drops its pools (after a fork, on close), and messages still go through."""

import pytest
from django.conf import settings
from kombu import Connection

from apps.core.broker import Transport
from apps.core.cache import RedisCache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="Redis only with REDIS_URL")


def test_the_cache_keeps_one_client_per_pool():
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-redis-clients"})
    first = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is first
    cache.set("k", {"v": 1}, 30)
    assert cache.get("k") == {"v": 1}
    cache.delete("k")


def test_the_broker_channel_keeps_one_client_until_kombu_drops_its_pools():
    with Connection(settings.REDIS_URL, transport=Transport) as connection:
        channel = connection.default_channel
        with channel.conn_or_acquire() as a, channel.conn_or_acquire() as b:
            assert a is b and a.connection_pool is channel.pool
        channel._disconnect_pools()  # what kombu does after a fork
        with channel.conn_or_acquire() as c:
            assert c is not a and c.connection_pool is channel.pool


def test_messages_go_through_the_transport():
    with Connection(settings.REDIS_URL, transport=Transport) as connection:
        queue = connection.SimpleQueue("test-redis-clients")
        try:
            queue.put({"n": 1})
            queue.put({"n": 2})
            got = [queue.get(timeout=2), queue.get(timeout=2)]
            for message in got:
                message.ack()
            assert [m.payload for m in got] == [{"n": 1}, {"n": 2}]
        finally:
            queue.queue.delete()
            queue.close()


def test_the_project_publishes_through_it():
    from config.celery import app

    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, Transport)
