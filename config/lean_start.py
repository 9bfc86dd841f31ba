"""Start-up without the clients the embedded default never uses.

huey's storage module tries to import Redis's and PostgreSQL's clients when it is first
imported (its optional back-ends), which costs every command, the server and the task worker
about 0.1 s. With the default SQLite queue neither is needed by huey, so its storage is loaded
first with both made unimportable for that moment; they stay importable for everyone else
(Django's PostgreSQL backend imports psycopg itself when DATABASE_URL names PostgreSQL)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def unimportable(*names: str) -> Iterator[None]:
    """While inside, `import name` raises ImportError for each of `names` not yet imported."""
    blocked = [name for name in names if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # the import system's "not available" marker
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def load_huey_storage_for_sqlite() -> None:
    """Import huey's storage without its Redis and PostgreSQL back-ends (SqliteHuey only)."""
    if "huey.storage" in sys.modules:
        return
    with unimportable("redis", "psycopg"):
        import huey.storage  # noqa: F401
