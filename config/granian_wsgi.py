"""WSGI entry point for granian's workers (`manage.py serve`): config/wsgi.py's application,
loaded with SIGINT and SIGTERM at their defaults.

granian forks its workers from its main process, whose handlers for these signals only set a
flag. A worker told to stop while it is still loading Django would run that inherited handler,
lose the signal, and then serve on until its parent kills it 20 s later (`--workers-kill-
timeout`). With the defaults, a worker stopped while loading simply ends; once loaded, granian
sets its own handlers, which finish the requests in progress."""

import signal

for _signal in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_signal, signal.SIG_DFL)

from config.wsgi import application  # noqa: E402,F401  (after the signals are reset)
