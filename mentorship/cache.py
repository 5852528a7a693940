"""The shared cache on Redis, with this process's memory to fall back on.

The cache holds allauth's rate-limit counters and the TOTP codes already
used. It lives on the broker's Redis unless REDIS_URL names another, so a
Redis outage took it down too, and every login, signup and password reset
then failed with a server error, while the rest of the site (and the
outbox, which keeps what it could not hand over) carried on. Falling back
to local memory, each process keeps counting for itself until Redis is
back: the limits hold per process rather than site-wide, which is weaker,
but nobody is locked out and nothing is let through unlimited.
"""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WARN_EVERY = 60  # seconds between two warnings of the same outage


class RedisCacheWithFallback(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        local = {key: value for key, value in params.items() if key != "OPTIONS"}
        self._fallback = LocMemCache(f"fallback:{server}", local)
        self._warned_at = -WARN_EVERY

    def _falling_back(self, operation: str, error: Exception):
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            logger.warning(
                "Cache unavailable (%s: %s); using this process's memory",
                type(error).__name__,
                error,
            )
        return getattr(self._fallback, operation)


def _with_fallback(operation: str):
    def method(self, *args, **kwargs):
        try:
            return getattr(RedisCache, operation)(self, *args, **kwargs)
        except RedisError as error:
            return self._falling_back(operation, error)(*args, **kwargs)

    method.__name__ = operation
    return method


# Every operation that reaches Redis; the rest of the API is built on these.
for _operation in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(RedisCacheWithFallback, _operation, _with_fallback(_operation))
