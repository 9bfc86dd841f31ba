"""`manage.py serve` (SPEC §5b): granian by default (gunicorn on request), a worker per core,
run from any directory; the real thing started on a fresh SQLite database serves pages and
WhiteNoise's static files, stops cleanly on Ctrl+C (SIGINT to the terminal's whole process
group), and never outlives a `serve` killed with SIGKILL. (Crashes under load on PostgreSQL,
for both servers: dangjian/rating/tests/test_durability.py.)"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from dangjian.core.management.commands import serve
from dangjian.core.testing import project_env

ROOT = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"


def test_granian_is_the_default_and_gunicorn_stays_selectable():
    parser = serve.Command().create_parser("manage.py", "serve")
    assert os.environ.get("DANGJIAN_SERVER", "granian") == settings.SERVER
    assert parser.parse_args([]).server == settings.SERVER
    assert parser.parse_args(["--server", "gunicorn"]).server == "gunicorn"
    cores = os.cpu_count() or 1
    assert serve.default_workers("granian") == max(2, cores)
    assert serve.default_workers("gunicorn") == max(2, 2 * cores)
    # both load the application from the project, whatever the current directory
    assert str(settings.BASE_DIR) in serve.granian_args(HOST, 8000, 2, 4)
    assert str(settings.BASE_DIR) in serve.gunicorn_args(HOST, 8000, 2, 4)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, headers=None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _session(sid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    pids.append(int(entry))
            except OSError:
                continue
    return pids


def _wait_gone(sid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _session(sid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _session(sid)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("serve")
    values = project_env(var_dir, DANGJIAN_DEBUG="false")
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=values, check=True
    )
    return values


def _spawn(env, port: int, log) -> subprocess.Popen:
    """`manage.py serve` with its defaults, from another directory, in a session of its own
    (as a terminal runs it: Ctrl+C reaches the session's foreground group)."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--host", HOST, "--port", str(port)],
        cwd=env["DANGJIAN_VAR_DIR"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _start(env, port: int, log) -> subprocess.Popen:
    """`_spawn`, returning once the sign-in page answers."""
    proc = _spawn(env, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve exited"
        try:
            if _get(port, "/accounts/login/")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    for pid in _session(proc.pid):
        os.kill(pid, signal.SIGKILL)
    raise AssertionError("serve did not answer within 60 s")


def test_serve_answers_with_static_files_and_stops_on_ctrl_c(env, tmp_path):
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = _start(env, port, log)
        try:
            status, _headers, page = _get(port, "/accounts/login/")
            stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', page)[1].decode()
            status, headers, _body = _get(port, stylesheet, {"Accept-Encoding": "gzip"})
            assert status == 200 and headers.get("content-encoding") == "gzip"
            assert "immutable" in headers.get("cache-control", "")
            assert _get(port, "/r/NOSUCH")[0] == 404
            started = time.monotonic()
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl+C in the terminal
            assert proc.wait(timeout=15) == 0
            assert time.monotonic() - started < 10, log_path.read_text(errors="replace")
            assert _wait_gone(proc.pid, 5), "a process of serve outlived it"
        finally:
            for pid in _session(proc.pid):
                os.kill(pid, signal.SIGKILL)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    assert "（granian，" in text and "Traceback" not in text
    # No check for granian's "refused to gracefully stop": it also says so of a worker that is
    # exiting when looked at (its pipe closed, the process not reaped 1 ms later), which a
    # loaded machine shows now and then. A worker that really refused would be killed 20 s
    # later (--workers-kill-timeout), which the 10 s bound above rules out.


def _listening(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1).close()
        return True
    except OSError:
        return False


_FORK_PROBE = """
import os, signal, sys
from config.granian_main import reset_stop_signals_in_forks
signal.signal(signal.SIGTERM, lambda *_: None)  # as granian's main process does
signal.signal(signal.SIGINT, lambda *_: None)
reset_stop_signals_in_forks()
pid = os.fork()
if pid == 0:
    stop = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    os._exit(0 if stop == (signal.SIG_DFL, signal.SIG_DFL) else 3)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status), signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
"""


def test_granian_workers_are_forked_with_the_default_stop_signals():
    """What closes the window of the test below: a worker forked by granian's main process
    does not inherit its flag-setting handlers."""
    done = subprocess.run(
        [sys.executable, "-c", _FORK_PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["0", "False"]  # the child reset; the parent kept its own


# A "server" whose worker never hears from it: the worker ends only on a SIGTERM of its own.
_DEAF_SERVER = """
import subprocess, sys
worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(worker.pid, flush=True)
worker.wait()
"""


def test_a_worker_that_lost_the_stop_is_sent_it_again(monkeypatch):
    monkeypatch.setattr(serve, "REMIND_AFTER", 0.3)
    server = subprocess.Popen([sys.executable, "-c", _DEAF_SERVER], stdout=subprocess.PIPE)
    try:
        worker = int(server.stdout.readline())
        assert serve._children_of(server.pid) == [worker]
        started = time.monotonic()
        serve._wait_stopping([server], remind=True)
        assert 0.3 <= time.monotonic() - started < 10
        assert server.returncode == 0 and not _running(worker)
    finally:
        server.kill()
        server.wait()


def _running(pid: int) -> bool:
    """True while `pid` exists (an ended worker was reaped by its parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_while_the_workers_load_stops_serve_at_once(env, tmp_path):
    """granian binds its socket, then forks workers that take a second or more to load
    Django: a Ctrl+C in that second stops serve as quickly as one after start-up (a worker
    that lost the signal used to serve on until killed 20 s later)."""
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = _spawn(env, port, log)
        try:
            deadline = time.monotonic() + 60
            while not _listening(port):
                assert proc.poll() is None and time.monotonic() < deadline, "serve never listened"
                time.sleep(0.02)
            started = time.monotonic()
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)
            stopped_in = time.monotonic() - started
            assert stopped_in < 10, log_path.read_text(encoding="utf-8", errors="replace")
            assert _wait_gone(proc.pid, 5), "a process of serve outlived it"
        finally:
            for pid in _session(proc.pid):
                os.kill(pid, signal.SIGKILL)


def test_nothing_outlives_a_killed_serve(env, tmp_path):
    port = _free_port()
    with open(tmp_path / "serve.log", "wb") as log:
        proc = _start(env, port, log)
        try:
            children = [pid for pid in _session(proc.pid) if pid != proc.pid]
            assert len(children) >= 3  # granian, its workers, the task worker
            proc.kill()
            proc.wait(timeout=10)
            assert _wait_gone(proc.pid, 25), "the server outlived serve"
        finally:
            for pid in _session(proc.pid):
                os.kill(pid, signal.SIGKILL)


def _task_workers(sid: int) -> list[int]:
    """The task worker processes of the serve whose session is `sid`."""
    found = []
    for pid in _session(sid):
        try:
            if b"run_huey" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def test_a_task_worker_that_dies_is_started_again_while_pages_are_served(env, tmp_path):
    """Killed (for memory, say) in the middle of a province's import: the web server serves on
    and a new worker takes the next tasks."""
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = _start(env, port, log)
        try:
            [first] = _task_workers(proc.pid)
            os.kill(first, signal.SIGKILL)
            deadline = time.monotonic() + 15
            while not [pid for pid in _task_workers(proc.pid) if pid != first]:
                assert time.monotonic() < deadline, log_path.read_text(errors="replace")
                time.sleep(0.1)
            assert proc.poll() is None
            assert _get(port, "/accounts/login/")[0] == 200
            os.killpg(proc.pid, signal.SIGINT)
            assert proc.wait(timeout=15) == 0
            assert _wait_gone(proc.pid, 5), "a process of serve outlived it"
        finally:
            for pid in _session(proc.pid):
                os.kill(pid, signal.SIGKILL)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    assert "后台任务进程意外退出（被信号 SIGKILL 终止），已重新启动。" in text


@pytest.fixture
def stop_handlers():
    """`serve` sets SIGINT and SIGTERM handlers; the test process gets its own back."""
    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in kept.items():
        signal.signal(sig, handler)


@pytest.mark.django_db
def test_a_task_worker_that_keeps_dying_at_start_stops_serve(monkeypatch, stop_handlers, capsys):
    """A worker that cannot run at all (its settings broken, say) is not started for ever:
    serve stops, non-zero, and says why in Chinese."""
    idle_server = [sys.executable, "-c", "import time; time.sleep(60)"]
    monkeypatch.setattr(serve, "granian_args", lambda *args: idle_server)
    monkeypatch.setattr(serve, "gunicorn_args", lambda *args: idle_server)
    monkeypatch.setattr(serve, "worker_args", lambda: [sys.executable, "-c", "exit(3)"])
    monkeypatch.setattr(serve, "REMIND_AFTER", 0.1)
    monkeypatch.setattr(serve, "call_command", lambda *args, **kwargs: None)  # collectstatic
    with pytest.raises(SystemExit) as ended:
        serve.Command().handle("127.0.0.1", _free_port(), 1, 1)
    assert ended.value.code == 1
    err = capsys.readouterr().err
    restarts = serve.WORKER_QUICK_EXITS - 1
    assert err.count("后台任务进程意外退出（退出码 3），已重新启动。") == restarts
    assert f"启动后连续 {serve.WORKER_QUICK_EXITS} 次退出（退出码 3），服务已停止" in err
