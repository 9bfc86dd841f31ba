"""Helpers shared by the benchmarks under bench/ (SPEC §7).

- median-of-3 timing, peak RSS (ru_maxrss, in MiB) of this process, of its children, or of one
  child (os.wait4);
- a plain-text table printer;
- the environment for one benchmark database: SQLite (a var dir of its own) or PostgreSQL
  (a database named dangjian_bench_*), never the project's own `dangjian` or any `test_*`;
- small PostgreSQL helpers through psql (create/drop/clone databases) and the path of the
  project's virtualenv Python.

Nothing here imports Django: the benchmarks run the project as subprocesses (manage.py), the
way an operator does, and only the in-process profile calls django.setup() itself.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
MANAGE = str(ROOT / "manage.py")
WORK = Path(os.environ.get("DANGJIAN_BENCH_DIR", "/tmp/dj_bench"))

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
DB_PREFIX = "dangjian_bench_"

# Settings that config.settings requires; the keys are for benchmarks only.
BENCH_SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"
BENCH_PII_KEY = "dGVzdC1waWkta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE="


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


def median3(func: Callable[[], float], runs: int = 3) -> tuple[float, list[float]]:
    """Call `func` (which returns seconds) `runs` times; return (median, all values)."""
    values = [func() for _ in range(runs)]
    return statistics.median(values), values


def kib_to_mib(kib: int) -> float:
    """ru_maxrss is in KiB on Linux."""
    return kib / 1024.0


def peak_rss_mib(who: str = "self") -> float:
    """Peak RSS of this process ("self") or of its largest waited-for child ("children")."""
    flag = resource.RUSAGE_SELF if who == "self" else resource.RUSAGE_CHILDREN
    return kib_to_mib(resource.getrusage(flag).ru_maxrss)


@dataclass
class ChildRun:
    """One subprocess run: wall seconds, exit code, its own peak RSS, captured output."""

    seconds: float
    returncode: int
    peak_rss_mib: float
    stdout: str
    stderr: str


def run_child(
    cmd: Sequence[str], env: dict[str, str], timeout: float = 3600.0, cwd: Path = ROOT
) -> ChildRun:
    """Run `cmd` to completion and measure it alone (wall time and ru_maxrss via os.wait4).

    Output goes to temporary files (not pipes) so that os.wait4 can reap the child itself and
    hand back that child's own resource usage.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdout=out, stderr=err)
        deadline = started + timeout
        while True:  # bounded by the timeout
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(
            seconds,
            proc.returncode,
            kib_to_mib(usage.ru_maxrss),
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def fmt(value, digits: int = 2) -> str:
    """Numbers with thousands separators; floats with `digits` decimals; None as '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def print_table(headers: Sequence[str], rows: Sequence[Sequence], title: str = "") -> str:
    """Print (and return) a Markdown-compatible table, columns padded to their widths."""
    cells = [[fmt(c) for c in row] for row in rows]
    numeric = [[isinstance(c, int | float) or c is None for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    if title:
        lines.append(title)
    lines.append("| " + " | ".join(h.ljust(widths[i]) for i, h in enumerate(headers)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row, kinds in zip(cells, numeric, strict=True):
        padded = [c.rjust(widths[i]) if kinds[i] else c.ljust(widths[i]) for i, c in enumerate(row)]
        lines.append("| " + " | ".join(padded) + " |")
    text = "\n".join(lines)
    print(text, flush=True)
    return text


# ---------------------------------------------------------------------------------------------
# Databases and environments
# ---------------------------------------------------------------------------------------------


def check_db_name(name: str) -> str:
    """Refuse any database that is not a benchmark database."""
    if not name.startswith(DB_PREFIX) or name == "dangjian" or name.startswith("test_"):
        raise SystemExit(f"refusing to touch database {name!r}: benchmarks use {DB_PREFIX}*")
    return name


_compiled = False


def compile_project() -> None:
    """Byte-compile the project's modules once, as `scripts/setup` does, so that the runs
    measure the project as installed, not Python compiling its sources (≈ 0.05 s of every
    start; the runs themselves write no bytecode)."""
    global _compiled
    if not _compiled:
        subprocess.run(
            [PYTHON, "-m", "compileall", "-q", "-j", "0", "dangjian", "config", "manage.py"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        _compiled = True


def django_env(db: str, name: str, var_dir: Path | None = None) -> dict[str, str]:
    """Environment for manage.py against one benchmark database (the project compiled first).

    db: "sqlite" (file $DANGJIAN_VAR_DIR/dangjian.sqlite3) or "postgresql" (database `name`).
    The var dir (static files, SQLite file) is WORK/<name> unless given.
    """
    compile_project()
    env = dict(os.environ)
    var = var_dir or (WORK / name)
    var.mkdir(parents=True, exist_ok=True)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DANGJIAN_SECRET_KEY=BENCH_SECRET_KEY,
        DANGJIAN_PII_KEY=BENCH_PII_KEY,
        DANGJIAN_VAR_DIR=str(var),
        DANGJIAN_DEBUG="false",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("DATABASE_URL", None)
    if db == "postgresql":
        env["DATABASE_URL"] = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{check_db_name(name)}"
    elif db != "sqlite":
        raise SystemExit(f"unknown database kind {db!r}")
    return env


def sqlite_path(env: dict[str, str]) -> Path:
    """The SQLite file that settings derive from DANGJIAN_VAR_DIR."""
    return Path(env["DANGJIAN_VAR_DIR"]) / "dangjian.sqlite3"


def psql(sql: str, dbname: str = "postgres", capture: bool = True) -> str:
    """Run one SQL command through psql (-X, no .psqlrc), failing loudly; return stdout."""
    cmd = [
        "psql",
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        PG_HOST,
        "-p",
        str(PG_PORT),
        "-U",
        PG_USER,
        "-d",
        dbname,
        "-At",
        "-c",
        sql,
    ]
    done = subprocess.run(cmd, capture_output=capture, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"psql failed: {sql[:120]}\n{done.stderr}")
    return (done.stdout or "").strip()


def pg_exists(name: str) -> bool:
    """True when a database of that name exists."""
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{check_db_name(name)}'") == "1"


def pg_drop(name: str) -> None:
    """Drop a benchmark database (closing its connections first)."""
    check_db_name(name)
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_create(name: str, template: str | None = None) -> None:
    """Create a benchmark database, optionally as a copy of another benchmark database."""
    check_db_name(name)
    clause = f' TEMPLATE "{check_db_name(template)}"' if template else ""
    psql(f'CREATE DATABASE "{name}"{clause}')


def manage(
    args: Sequence[str], env: dict[str, str], timeout: float = 3600.0, check: bool = True
) -> ChildRun:
    """Run `manage.py args…` in a fresh interpreter, measured; raise on failure if `check`."""
    run = run_child([PYTHON, MANAGE, *args], env, timeout=timeout)
    if check and run.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} exited {run.returncode}\n{run.stdout}\n{run.stderr}"
        )
    return run


def migrated_template(db: str, name: str) -> dict[str, str]:
    """A freshly migrated database to copy for each run: dropped and rebuilt every call."""
    if db == "postgresql":
        pg_drop(name)
        pg_create(name)
        env = django_env(db, name)
    else:
        env = django_env(db, name)
        path = sqlite_path(env)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    manage(["migrate", "--noinput", "-v", "0"], env)
    return env


def fresh_copy(db: str, template: str, name: str) -> dict[str, str]:
    """A fresh, migrated database `name` copied from `template` (built by migrated_template)."""
    if db == "postgresql":
        pg_drop(name)
        pg_create(name, template=template)
        return django_env(db, name)
    source = sqlite_path(django_env(db, template))
    env = django_env(db, name)
    target = sqlite_path(env)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return env


def machine() -> str:
    """A one-line description of the machine for table titles."""
    cores = os.cpu_count() or 0
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
        mem = f"{kib / 1024 / 1024:.0f} GiB"
    except OSError:
        mem = "?"
    return f"{cores} cores, {mem} RAM, Python {sys.version.split()[0]}"


# --- the server under test ---------------------------------------------------------------

SERVE_HOST = "127.0.0.1"


def port_open(port: int, host: str = SERVE_HOST) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def start_serve(
    env: dict[str, str],
    port: int,
    options: Sequence[str],
    log: Path,
    ready: Callable[[], bool] | None = None,
) -> subprocess.Popen:
    """`manage.py serve --host 127.0.0.1 --port PORT OPTIONS…` in a session of its own;
    returns once the port answers (and `ready()` holds), within 120 s."""
    if port_open(port):
        raise SystemExit(f"port {port} is already in use")
    handle = open(log, "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [PYTHON, MANAGE, "serve", "--host", SERVE_HOST, "--port", str(port), *options],
        env=env,
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(240):
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}; see {log}")
        if port_open(port) and (ready is None or ready()):
            return proc
        time.sleep(0.5)
    stop_server(proc)
    raise SystemExit(f"server did not answer within 120 s; see {log}")


def session_pids(sid: int) -> list[int]:
    """Every process of a session: `serve` started with start_new_session, and the HTTP
    server and task worker it runs in process groups of their own."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    pids.append(int(entry))
            except OSError:
                continue
    return pids


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM to `serve` (it stops what it runs), SIGKILL to its whole session if it is still
    there after 30 s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        for pid in session_pids(proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass
