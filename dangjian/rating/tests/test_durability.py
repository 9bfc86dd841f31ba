"""SPEC §5b, §8: an acknowledged rating (201) is durably committed before the answer. The real
production server (`manage.py serve`: granian by default, or gunicorn) runs on the PostgreSQL
test database under a load of distinct devices; every process of it (serve, the HTTP server's
main process and its workers) is killed with SIGKILL in the middle of the load, it is started
again, and every id acknowledged with 201, before and after the crash, must be in the
database. Both HTTP servers `serve` offers are crashed."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from dangjian.core.testing import project_env
from dangjian.rating.models import Rating
from dangjian.rating.tests.factories import make_target

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"
CLIENTS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(var_dir: Path) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or HOST}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace(f"{db['USER']}@", f"{db['USER']}:{db['PASSWORD']}@")
    return project_env(
        var_dir,
        DATABASE_URL=url,
        DANGJIAN_DEBUG="false",
        DANGJIAN_RATING_ADDRESS_LIMIT="0",  # every client is 127.0.0.1
    )


def start(env: dict[str, str], port: int, log, server: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "4",
            "--no-worker",
            "--server",
            server,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        with socket.socket() as sock:
            if sock.connect_ex((HOST, port)) == 0:
                return proc
        time.sleep(0.1)
    crash(proc)
    raise AssertionError("the server did not start")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to `serve`, which stops the HTTP server it runs (requests in flight finish)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    proc.wait(timeout=30)


def crash(proc: subprocess.Popen) -> None:
    """SIGKILL to every process of the server: `serve` runs the HTTP server in a process group
    of its own, inside the session the test started it in."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == proc.pid:
                    os.kill(int(entry), signal.SIGKILL)
            except OSError:
                continue
    proc.wait(timeout=30)


class Load:
    """CLIENTS threads posting ratings from distinct devices over keep-alive connections,
    remembering every id answered 201; connection errors (the crash) are retried."""

    def __init__(self, port: int, code: str):
        self.port, self.code = port, code
        self.acked: list[int] = []
        self.failures = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counter = 0

    def device(self) -> str:
        with self.lock:
            self.counter += 1
            return f"crash-test-{self.counter:07d}"

    def client(self) -> None:
        conn = None
        while not self.stop.is_set():
            body = json.dumps({"target": self.code, "score": 5, "device": self.device()})
            try:
                conn = conn or http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request(
                    "POST", "/api/public/ratings", body, {"Content-Type": "application/json"}
                )
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.failures += 1
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.02)
                continue
            if response.status == 201:
                with self.lock:
                    self.acked.append(json.loads(data)["id"])
        if conn is not None:
            conn.close()

    def run(self):
        threads = [threading.Thread(target=self.client) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        return threads

    def wait_for(self, count: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while len(self.acked) < count and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture
def tree(transactional_db):
    """The shared `tree`, on committed data the server can read. A transactional test flushes
    every table afterwards (pytest-django runs such tests after the others); if an earlier one
    flushed the default categories, they are put back with the migration's own code."""
    import importlib

    from django.apps import apps

    from conftest import build_tree

    migration = importlib.import_module("dangjian.orgs.migrations.0002_default_categories")
    migration.install(apps, None)
    return build_tree()


@pytest.mark.parametrize("server", ["gunicorn", "granian"])
def test_every_acknowledged_rating_survives_a_kill_9(tree, tmp_path, server):
    target = make_target(tree.a1, "压力测试窗口")
    env = server_env(tmp_path)
    port = free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed below)
    proc = start(env, port, log, server)
    load = Load(port, target.code)
    threads = load.run()
    try:
        load.wait_for(300, 15)
        before_crash = len(load.acked)
        assert before_crash >= 100, f"only {before_crash} ratings acknowledged before the crash"
        crash(proc)  # mid-load: requests are in flight
        crashed_at = len(load.acked)
        time.sleep(0.3)
        proc = start(env, port, log, server)
        load.wait_for(crashed_at + 100, 15)
    finally:
        load.stop.set()
        for t in threads:
            t.join(timeout=10)
        stop(proc)
        log.close()

    acked = load.acked
    assert len(acked) >= crashed_at + 100, "the restarted server did not take ratings"
    assert load.failures > 0, "the crash happened with no request in flight"
    assert len(set(acked)) == len(acked)
    found = set(Rating.objects.filter(id__in=acked).values_list("id", flat=True))
    assert found == set(acked), f"{len(set(acked) - found)} acknowledged ratings were lost"
    # nothing half-written: every stored rating is whole
    assert not Rating.objects.filter(target=target).exclude(score=5).exists()
