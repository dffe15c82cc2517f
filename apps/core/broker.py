"""kombu's Redis transport, with one redis-py client per channel for its commands instead of one per command.

kombu's Redis channel builds a `redis.Redis` for every publish, ack and queue-size check (`conn_or_acquire`); redis-py
8 fills ~170 response callbacks in that constructor, about 0.2 ms here, more than the LPUSH it serves
(docs/benchmarks.md §1c). A client is only a handle on the channel's pool (thread-safe, fork-aware), so one per channel
does the same commands on the same connections. Selected by `CELERY_BROKER_TRANSPORT` in settings when the broker is
Redis (redis://; with rediss:// kombu turns TLS on from the scheme's name, so the stock transport stays); kombu takes an
explicit transport over the URL's scheme and still reads host, port, database and `ssl_*` options from the URL.
"""

from contextlib import contextmanager

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _command_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        if self._command_client is None:
            self._command_client = self._create_client()
        yield self._command_client

    def _disconnect_pools(self):
        # After a fork or on close kombu drops its pools; the next command gets a client on the new one. Cleared
        # after the pools, so that a command of another thread in between cannot keep a client on the old pool.
        super()._disconnect_pools()
        self._command_client = None


class Transport(kombu_redis.Transport):
    Channel = Channel
