"""Django's Redis cache, with one redis-py client per connection pool instead of one per command.

Django's RedisCacheClient builds a `redis.Redis` for every get/set; redis-py 8 fills ~170 response callbacks in its
constructor, about 0.2 ms on this project's machines, more than the GET it serves (docs/benchmarks.md §1c). A client
is only a handle on its pool (thread-safe, fork-aware), so one per pool does the same work. Selected in settings:
`CACHES["default"]["BACKEND"] = "apps.core.cache.RedisCache"`.
"""

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient


def default_cache_redis() -> redis.Redis | None:
    """The redis-py client behind the default cache when it is this RedisCache (None for any other cache): for what
    Django's cache API has no verb for, like PUBLISH and SUBSCRIBE."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)
