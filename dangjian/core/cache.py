"""The shared cache of the production settings (Redis, SPEC §5b), which degrades to "nothing
cached" while Redis cannot be reached.

It holds what can always be made again (dashboards drawn once for all their readers), so a
Redis that is down or restarting should slow pages, not fail them: reads miss, writes are
skipped, and a warning is logged at most once a minute per process. Sessions are not kept
in it: a session ended while Redis was unreachable would come back with Redis."""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY = 60.0  # seconds
_last_warning = [0.0]


def _warn(error: Exception) -> None:
    now = time.monotonic()
    if now - _last_warning[0] >= WARN_EVERY:
        _last_warning[0] = now
        logger.warning("缓存服务（Redis）无法连接，暂不使用缓存：%s", error)


def _or_when_unreachable(fallback):
    """The method, answering `fallback(*args, **kwargs)` when Redis cannot be reached."""

    def decorate(method):
        @functools.wraps(method)
        def tolerant(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as error:
                _warn(error)
                return fallback(*args, **kwargs)

        return tolerant

    return decorate


def _default(key, default=None, version=None):
    return default


def _nothing(*args, **kwargs):
    return None


def _no(*args, **kwargs):
    return False


def _none_found(*args, **kwargs):
    return {}


def _all_failed(data, *args, **kwargs):
    return list(data)


class TolerantRedisCache(RedisCache):
    """RedisCache whose reads miss and whose writes are skipped while Redis is unreachable.
    (`incr`, `decr` and `clear` still raise: a counter must not silently restart.)"""

    get = _or_when_unreachable(_default)(RedisCache.get)
    get_many = _or_when_unreachable(_none_found)(RedisCache.get_many)
    has_key = _or_when_unreachable(_no)(RedisCache.has_key)
    set = _or_when_unreachable(_nothing)(RedisCache.set)
    set_many = _or_when_unreachable(_all_failed)(RedisCache.set_many)
    add = _or_when_unreachable(_no)(RedisCache.add)
    touch = _or_when_unreachable(_no)(RedisCache.touch)
    delete = _or_when_unreachable(_no)(RedisCache.delete)
    delete_many = _or_when_unreachable(_nothing)(RedisCache.delete_many)
