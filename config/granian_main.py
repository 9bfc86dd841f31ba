"""granian's command line as `manage.py serve` runs it, with every worker process it forks
starting with SIGINT and SIGTERM at their defaults.

granian binds its socket, then forks its workers; the main process's handlers for these
signals only set a flag, and a forked worker inherits them until it has loaded Django and set
its own. A worker told to stop in that second (a Ctrl+C right after start-up) would run the
inherited handler, lose the signal, and serve on until its parent kills it 20 s later
(`--workers-kill-timeout`). With the defaults from the fork on, a worker stopped while it
loads simply ends; once loaded, granian's own handlers finish the requests in progress.
"""

import os
import signal
import sys
from pathlib import Path


def _default_stop_signals() -> None:
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.SIG_DFL)


def reset_stop_signals_in_forks() -> None:
    """Every process forked from now on starts with SIGINT and SIGTERM at their defaults."""
    os.register_at_fork(after_in_child=_default_stop_signals)


if __name__ == "__main__":
    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the project, not config/
    reset_stop_signals_in_forks()
    from granian.cli import entrypoint

    entrypoint()
