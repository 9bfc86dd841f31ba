"""`manage.py serve` (SPEC §5b): the production server (granian, or gunicorn with `--server
gunicorn` or DANGJIAN_SERVER=gunicorn; DEBUG off, static files by WhiteNoise) and the task
worker (huey) that runs the scheduled reminders and large imports, both stopped together
(Ctrl+C or SIGTERM: requests in progress finish, for up to 20 s). A task worker that dies
(killed for memory during a province's import, say) is started again while the web server
serves on; one that keeps dying at start stops serve, with the reason above.

granian (HTTP in Rust, the WSGI application in a pool of threads per worker) spends about half
of gunicorn's CPU per request, which is what lets the public rating endpoint reach 1,000
ratings a second on two cores (SPEC §7; see bench/README.md). Its workers default to one per
core: with a worker per thread of work the GIL is not the limit, and more workers than cores
only add switching (gunicorn's threads wait on the GIL, so it keeps two workers per core)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

SERVERS = ("granian", "gunicorn")
PR_SET_PDEATHSIG = 1  # linux/prctl.h
REMIND_AFTER = 2.0  # seconds after the stop before granian's workers are sent it again
WORKER_MAX_DELAY = 1  # seconds
# A task worker that ends within WORKER_MIN_LIFE seconds of its start this many times in a row
# is not started again: serve stops and says so.
WORKER_MIN_LIFE = 30.0
WORKER_QUICK_EXITS = 5


def default_workers(server: str) -> int:
    """Worker processes when --workers is not given: one per core for granian, two for
    gunicorn; at least two, so one busy worker never holds up the others' requests."""
    cores = os.cpu_count() or 1
    return max(2, cores if server == "granian" else cores * 2)


def gunicorn_args(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--chdir",
        str(settings.BASE_DIR),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--timeout",
        "120",
        "--graceful-timeout",
        "20",
        "--log-level",
        "warning",
    ]


def granian_args(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        str(settings.BASE_DIR / "config" / "granian_main.py"),
        "--interface",
        "wsgi",
        "--working-dir",
        str(settings.BASE_DIR),
        "config.wsgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--no-ws",
        "--respawn-failed-workers",
        "--workers-kill-timeout",
        "20",
        "--log-level",
        "warning",
    ]


def unapplied_migrations() -> list[str]:
    """The migrations the database still lacks, as app.name: pages would fail on them."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _die_with_parent() -> None:
    """In a child, before it runs: SIGTERM when `serve` dies, even by SIGKILL (Linux), so the
    server never outlives it. The child runs in a process group of its own: a Ctrl+C in the
    terminal (SIGINT to the whole foreground group) reaches `serve` alone, which passes one
    SIGTERM on. granian's workers, hit by the terminal's SIGINT and then by their parent's
    SIGTERM, refuse to stop until killed 20 s later; the same double signal can hang granian's
    main process for good."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # `serve` died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


class Command(BaseCommand):
    help = "以生产模式启动 Web 服务（默认 granian，可选 gunicorn）。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, help="进程数（默认 granian 每核 1 个，gunicorn 每核 2 个）"
        )
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--server",
            choices=SERVERS,
            default=settings.SERVER,
            help="HTTP 服务器：granian 或 gunicorn（默认取 DANGJIAN_SERVER，未设置时为 granian）",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="不启动后台任务进程（定时提醒）"
        )

    def handle(self, host, port, workers, threads, no_worker=False, server=None, **options):
        if settings.DEBUG:
            raise CommandError("生产服务不能在 DANGJIAN_DEBUG=true 时启动")
        server = server or settings.SERVER
        workers = default_workers(server) if workers is None else workers
        if not 0 < port < 65536 or workers < 1 or threads < 1:
            raise CommandError("端口、进程数或线程数无效")
        pending = unapplied_migrations()
        if pending:
            raise CommandError(
                f"数据库还有 {len(pending)} 个迁移未应用（如 {pending[0]}），"
                "请先运行 python manage.py migrate 再启动"
            )
        call_command("collectstatic", interactive=False, verbosity=0)
        started = f"智慧党建已启动：http://{host}:{port}/ （{server}，{workers} 个进程）"
        self.stdout.write(self.style.SUCCESS(started))
        sys.stdout.flush()
        args = (granian_args if server == "granian" else gunicorn_args)(
            host, port, workers, threads
        )
        commands = [args] if no_worker else [args, worker_args()]
        children = [_start_child(command) for command in commands]
        signalled: list[int] = []

        def stop(_signum=None, _frame=None):
            """The first Ctrl+C or SIGTERM: one SIGTERM to each child (the server finishes
            its requests, for up to 20 s); a second one: SIGKILL to their groups."""
            signalled.append(1)
            for child in children:
                if child.poll() is None:
                    if len(signalled) == 1:
                        child.send_signal(signal.SIGTERM)
                    else:
                        os.killpg(child.pid, signal.SIGKILL)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # Run until the web server ends or a stop arrives; a task worker that dies is
        # started again, unless it keeps dying at start.
        quick_exits, worker_started, gave_up = 0, time.monotonic(), False
        while not signalled and children[0].poll() is None:
            if len(children) > 1 and (code := children[1].poll()) is not None:
                lived = time.monotonic() - worker_started
                quick_exits = quick_exits + 1 if lived < WORKER_MIN_LIFE else 1
                if quick_exits >= WORKER_QUICK_EXITS:
                    self.stderr.write(
                        f"后台任务进程启动后连续 {quick_exits} 次退出（{_exit_text(code)}），"
                        "服务已停止。请查看上面的错误信息。"
                    )
                    gave_up = True
                    break
                self.stderr.write(f"后台任务进程意外退出（{_exit_text(code)}），已重新启动。")
                children[1], worker_started = _start_child(commands[1]), time.monotonic()
                if signalled:  # a stop that came while it was being started
                    children[1].send_signal(signal.SIGTERM)
                continue
            try:
                children[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
        if not signalled:
            stop()
        _wait_stopping(children, remind=server == "granian")
        sys.exit(1 if gave_up else children[0].returncode or 0)


def worker_args() -> list[str]:
    """The task worker's command. An idle worker looks for tasks at least every
    WORKER_MAX_DELAY seconds (huey's default, 10 s, would leave a large upload waiting that
    long before its import)."""
    manage = [sys.executable, sys.argv[0]] if sys.argv[0].endswith("manage.py") else None
    worker = ["run_huey", "--workers", "1", "--max-delay", str(WORKER_MAX_DELAY)]
    return [*(manage or [sys.executable, "-m", "django"]), *worker]


def _start_child(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, process_group=0, preexec_fn=_die_with_parent)


def _exit_text(code: int) -> str:
    """How a child ended, in words: its exit code, or the signal that killed it."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"被信号 {signal.Signals(-code).name} 终止"
        return f"被信号 {-code} 终止"
    return f"退出码 {code}"


def _wait_stopping(children: list[subprocess.Popen], remind: bool) -> None:
    """Wait for every child to end. granian's main process passes the stop to its workers; a
    worker it forked just before (a Ctrl+C right after start-up) can lose that signal, since
    Python drops signals that arrive before a forked child runs, and would serve on until
    killed 20 s later. So, `REMIND_AFTER` seconds on, each worker still running is sent the
    stop itself: a worker still loading Django ends (config/granian_main.py), a loaded one
    finishes its requests in progress as it would have."""
    reminded = not remind
    since = time.monotonic()
    while any(child.poll() is None for child in children):
        if not reminded and time.monotonic() - since >= REMIND_AFTER:
            reminded = True
            for pid in _children_of(children[0].pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
        time.sleep(0.05)


def _children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux: from /proc; none elsewhere)."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    stat = Path("/proc", entry, "stat").read_text()
                    # pid (comm) state ppid …: comm may hold spaces and parentheses
                    if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                        found.append(int(entry))
    return found
