"""The cache backend: Django's Redis cache, falling back to this process's memory while Redis is down.

Redis holds what may be lost: API throttle counters, the survey pages' rate limits, the balance
page's drawn charts. None of it is worth an error page, so a Redis that cannot be reached (refused,
timed out) must not turn into a 500: each call that fails is answered from a per-process memory
cache instead, with one logged warning, and for RETRY_AFTER seconds this process does not try
Redis again (so a Redis that hangs costs one socket timeout, not one per call). Limits then hold
per process rather than across processes: weaker, but still limits; cached sections are drawn
again. Once RETRY_AFTER has passed the next call tries Redis again.

Django's cache handler gives each thread its own backend object, so the "down" mark is per thread;
the fallback memory (a LocMemCache keyed by the Redis location) is shared by the process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

RETRY_AFTER = 30.0  # seconds this thread answers from memory after Redis failed
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

T = TypeVar("T")


class FallbackRedisCache(RedisCache):
    """RedisCache whose every call falls back to process memory when Redis cannot be reached."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        # LocMemCache instances with one name share their storage within the process.
        self.fallback = LocMemCache(f"redis-fallback:{server}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self.down_until = 0.0

    def _either(self, redis_call: Callable[[], T], memory_call: Callable[[], T]) -> T:
        if time.monotonic() < self.down_until:
            return memory_call()
        try:
            return redis_call()
        except UNREACHABLE as exc:
            self.down_until = time.monotonic() + RETRY_AFTER
            log.warning("cache: Redis unreachable (%s); this process uses its own memory for %ss", exc, RETRY_AFTER)
            return memory_call()

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._either(
            lambda: super(FallbackRedisCache, self).add(key, value, timeout, version),
            lambda: self.fallback.add(key, value, timeout, version),
        )

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._either(
            lambda: super(FallbackRedisCache, self).get(key, default, version),
            lambda: self.fallback.get(key, default, version),
        )

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._either(
            lambda: super(FallbackRedisCache, self).set(key, value, timeout, version),
            lambda: self.fallback.set(key, value, timeout, version),
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._either(
            lambda: super(FallbackRedisCache, self).touch(key, timeout, version),
            lambda: self.fallback.touch(key, timeout, version),
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._either(
            lambda: super(FallbackRedisCache, self).delete(key, version),
            lambda: self.fallback.delete(key, version),
        )

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._either(
            lambda: super(FallbackRedisCache, self).get_many(keys, version),
            lambda: self.fallback.get_many(keys, version),
        )

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._either(
            lambda: super(FallbackRedisCache, self).has_key(key, version),
            lambda: self.fallback.has_key(key, version),
        )

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._either(
            lambda: super(FallbackRedisCache, self).incr(key, delta, version),
            lambda: self.fallback.incr(key, delta, version),
        )

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        return self._either(
            lambda: super(FallbackRedisCache, self).set_many(data, timeout, version),
            lambda: self.fallback.set_many(data, timeout, version),
        )

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._either(
            lambda: super(FallbackRedisCache, self).delete_many(keys, version),
            lambda: self.fallback.delete_many(keys, version),
        )

    def clear(self) -> None:
        self._either(lambda: super(FallbackRedisCache, self).clear(), self.fallback.clear)
