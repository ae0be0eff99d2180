"""The Redis cache, failing soft: with Redis down, a read misses and a write is dropped.

Nothing the register promises lives in the cache (rate limits and queued work are in the
database), so a cache that is down may cost speed, never an action: Django's own Redis backend
raises on a refused connection, which would turn every page that touches the cache into a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")
_DOWN = (RedisConnectionError, RedisTimeoutError)


class FailSoftRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` that answers as an empty cache when Redis
    cannot be reached."""

    def _soft(self, call: Callable[[], T], fallback: T) -> T:
        try:
            return call()
        except _DOWN as error:
            logger.warning("Cache unavailable (%s); carrying on without it.", error)
            return fallback

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._soft(lambda: RedisCache.add(self, key, value, timeout, version), False)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._soft(lambda: RedisCache.get(self, key, default, version), default)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._soft(lambda: RedisCache.set(self, key, value, timeout, version), None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._soft(lambda: RedisCache.touch(self, key, timeout, version), False)

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._soft(lambda: RedisCache.delete(self, key, version), False)

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._soft(lambda: RedisCache.get_many(self, keys, version), {})

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._soft(lambda: RedisCache.has_key(self, key, version), False)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        # As if the key had just been created: a counter kept in a cache that is down counts 1.
        return self._soft(lambda: RedisCache.incr(self, key, delta, version), delta)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        # Django's contract: the keys that could not be stored.
        return self._soft(lambda: RedisCache.set_many(self, data, timeout, version), list(data))

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._soft(lambda: RedisCache.delete_many(self, keys, version), None)

    def clear(self) -> None:
        self._soft(lambda: RedisCache.clear(self), None)
