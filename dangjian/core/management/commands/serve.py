"""`manage.py serve`: the production server (gunicorn, or granian with `--server granian` or
DANGJIAN_SERVER=granian; DEBUG off, static files by WhiteNoise) and the task worker (huey) that
runs the scheduled reminders, both stopped together.

granian (HTTP in Rust, the WSGI application in a pool of threads per worker) spends about half
of gunicorn's CPU per request, which matters for the public rating endpoint (SPEC §7: hundreds
of ratings a second on two cores; see bench/README.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

SERVERS = ("gunicorn", "granian")


def gunicorn_args(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
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
        "-m",
        "granian",
        "--interface",
        "wsgi",
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


class Command(BaseCommand):
    help = "以生产模式启动 Web 服务（gunicorn）。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1) * 2))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--server",
            choices=SERVERS,
            default=settings.SERVER,
            help="HTTP 服务器：gunicorn 或 granian（默认取 DANGJIAN_SERVER）",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="不启动后台任务进程（定时提醒）"
        )

    def handle(self, host, port, workers, threads, no_worker=False, server="gunicorn", **options):
        if settings.DEBUG:
            raise CommandError("生产服务不能在 DANGJIAN_DEBUG=true 时启动")
        if not 0 < port < 65536 or workers < 1 or threads < 1:
            raise CommandError("端口、进程数或线程数无效")
        call_command("collectstatic", interactive=False, verbosity=0)
        started = f"智慧党建已启动：http://{host}:{port}/ （{server}，{workers} 个进程）"
        self.stdout.write(self.style.SUCCESS(started))
        sys.stdout.flush()
        args = (granian_args if server == "granian" else gunicorn_args)(
            host, port, workers, threads
        )
        if no_worker:
            os.execv(sys.executable, args)
        manage = [sys.executable, sys.argv[0]] if sys.argv[0].endswith("manage.py") else None
        worker_cmd = [*(manage or [sys.executable, "-m", "django"]), "run_huey", "--workers", "1"]
        children = [subprocess.Popen(args), subprocess.Popen(worker_cmd)]

        def stop(signum, _frame):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # Run until either process ends, then stop the other.
        while all(child.poll() is None for child in children):
            try:
                children[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
        stop(signal.SIGTERM, None)
        for child in children:
            child.wait()
        sys.exit(children[0].returncode or 0)
