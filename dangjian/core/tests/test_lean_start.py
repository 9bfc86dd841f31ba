"""Start-up of the embedded default (config.lean_start): huey's SQLite queue is loaded without
the Redis and PostgreSQL clients huey tries at import, so no command pays for them; with
REDIS_URL the Redis queue is there as before, and PostgreSQL's client stays importable. The
schedules register their tasks without loading the work those tasks do, and the import's
system checks do not load the REST API (REST framework's pagination check did: 0.1 s)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from config.lean_start import unimportable
from dangjian.core.testing import project_env

ROOT = Path(__file__).resolve().parents[3]
# Loaded when a task runs or a page needs them, not by every process at start.
LOADED_LATER = (
    "segno",
    "openpyxl",
    "dangjian.reports.services",
    "dangjian.reports.documents",
    "dangjian.rating.feed",
    "dangjian.rating.services",
    "rest_framework.settings",  # the API's settings, with the pagination classes they name
)
PROBE = (
    f"LOADED_LATER = {LOADED_LATER!r}\n"
    + """
import json, os, sys
import django
django.setup()
import dangjian.imports.runner  # what import_workbook loads, and the checks it runs
from django.core import checks
from dangjian.imports.management.commands.import_workbook import Command
checks.run_checks(tags=Command.requires_system_checks)
from huey.contrib.djhuey import HUEY
import huey.storage as storage
print(json.dumps({
    "loaded": sorted(n for n in ("redis", "psycopg") if n in sys.modules),
    "loaded_later": sorted(n for n in LOADED_LATER if n in sys.modules),
    "tasks": sorted(name.rpartition(".")[2] for name in HUEY._registry._registry),
    "queue": type(HUEY).__name__,
    "redis_client": storage.Redis is not None,
}))
"""
)


def _probe(tmp_path, **extra) -> dict:
    env = project_env(tmp_path, **extra)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_default_loads_neither_client(tmp_path):
    found = _probe(tmp_path)
    assert (found["loaded"], found["queue"], found["redis_client"]) == ([], "SqliteHuey", False)


def test_the_schedules_are_registered_without_their_work(tmp_path):
    found = _probe(tmp_path)
    assert found["loaded_later"] == []
    for task in ("weekly_bulletins", "yearly_report_cards", "refresh_rollups", "daily_rollups"):
        assert task in found["tasks"]


def test_with_redis_the_queue_is_redis(tmp_path):
    found = _probe(tmp_path, REDIS_URL="redis://127.0.0.1:6379/15")
    assert found["queue"] == "RedisHuey" and found["redis_client"]


def test_a_blocked_module_is_importable_again_afterwards():
    name = "dangjian_never_imported_module"
    with unimportable(name), pytest.raises(ImportError):
        __import__(name)
    assert name not in sys.modules
    with unimportable("json"):  # already imported: left alone
        assert __import__("json") is json
