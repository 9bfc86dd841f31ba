"""With REDIS_URL (the production settings of SPEC §5b), the cache, the task queue and the
sessions use Redis; without it, the embedded default needs no Redis and keeps sessions in the
database only (a per-process cache must never hold a session: one ended in one process would
live on in another's copy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHOW = (
    "import json; from django.conf import settings; print(json.dumps(["
    "settings.CACHES['default']['BACKEND'], settings.HUEY['huey_class'], settings.SESSION_ENGINE]))"
)


def _settings(tmp_path: Path, **env: str) -> list[str]:
    values = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    values.update(DJANGO_SETTINGS_MODULE="config.settings", DANGJIAN_VAR_DIR=str(tmp_path), **env)
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


def test_with_redis_sessions_are_read_from_the_shared_cache(tmp_path):
    cache, queue, sessions = _settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0")
    assert cache == "django.core.cache.backends.redis.RedisCache"
    assert queue == "huey.RedisHuey"
    assert sessions == "django.contrib.sessions.backends.cached_db"


def test_without_redis_sessions_stay_in_the_database(tmp_path):
    cache, queue, sessions = _settings(tmp_path)
    assert cache == "django.core.cache.backends.locmem.LocMemCache"
    assert queue == "huey.SqliteHuey"
    assert sessions == "django.contrib.sessions.backends.db"
