"""With REDIS_URL (the production settings of SPEC §5b), the cache and the task queue use
Redis; without it, the embedded default needs no Redis. Sessions stay in the database either
way: a per-process cache must never hold one (a session ended in one process would live on in
another's copy), nor Redis (one ended while Redis was unreachable would come back with it).
While Redis cannot be reached the cache misses instead of failing the page."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from dangjian.core import cache as cache_module
from dangjian.core.cache import TolerantRedisCache
from dangjian.core.testing import project_env

ROOT = Path(__file__).resolve().parents[3]
SHOW = (
    "import json; from django.conf import settings; print(json.dumps(["
    "settings.CACHES['default']['BACKEND'], settings.HUEY['huey_class'], settings.SESSION_ENGINE]))"
)


def _settings(tmp_path: Path, **env: str) -> list[str]:
    values = project_env(tmp_path, **env)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT,
        env=values,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_with_redis_the_cache_and_the_queue_use_it(tmp_path):
    cache, queue, sessions = _settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0")
    assert cache == "dangjian.core.cache.TolerantRedisCache"
    assert queue == "huey.RedisHuey"
    assert sessions == "django.contrib.sessions.backends.db"


def test_without_redis_sessions_stay_in_the_database(tmp_path):
    cache, queue, sessions = _settings(tmp_path)
    assert cache == "django.core.cache.backends.locmem.LocMemCache"
    assert queue == "huey.SqliteHuey"
    assert sessions == "django.contrib.sessions.backends.db"


def _unreachable_cache() -> TolerantRedisCache:
    # Nothing listens on port 1: every connection is refused at once.
    return TolerantRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})


def test_an_unreachable_redis_is_a_cache_that_holds_nothing(caplog):
    cache = _unreachable_cache()
    cache_module._last_warning[0] = 0.0
    with caplog.at_level(logging.WARNING, logger="dangjian.core.cache"):
        assert cache.get("dashboard:1", "absent") == "absent"
        assert cache.get_many(["a", "b"]) == {}
        assert "a" not in cache
        cache.set("a", 1)
        assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
        assert cache.add("a", 1) is False
        assert cache.delete("a") is False
        cache.delete_many(["a", "b"])
        assert cache.get_or_set("a", 5) == 5  # computed, not kept
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "缓存服务（Redis）无法连接" in warnings[0]  # once a minute


def test_an_unreachable_redis_still_fails_a_counter():
    with pytest.raises(RedisConnectionError):
        _unreachable_cache().incr("a")


class _Answering:
    """Redis's client as RedisCache calls it, answering from a dict."""

    def __init__(self):
        self.data = {}

    def get(self, key, default):
        return self.data.get(key, default)

    def set(self, key, value, timeout):
        self.data[key] = value

    def delete(self, key):
        return self.data.pop(key, None) is not None


def test_a_reachable_redis_is_used():
    cache = TolerantRedisCache("redis://127.0.0.1:1/0", {})
    cache.__dict__["_cache"] = client = _Answering()  # the cached client, as if connected
    cache.set("dashboard:1", {"值": 1}, 30)
    assert cache.get("dashboard:1") == {"值": 1} and len(client.data) == 1
    assert cache.delete("dashboard:1") is True
    assert cache.get("dashboard:1", "absent") == "absent"
