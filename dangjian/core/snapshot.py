"""Reading one consistent state of the database without holding writers back.

On SQLite every transaction begins IMMEDIATE (settings: writers queue instead of failing when
a read lock would have to be upgraded), so a long read inside `transaction.atomic()`, such as a
county's workbook export, held the write lock for its whole run: every change made meanwhile
waited up to the 30-second busy timeout and then failed. `read_snapshot()` begins a DEFERRED
transaction there instead: in WAL mode it reads the state of its first read while others
write. PostgreSQL's reads never block writers; there the transaction is REPEATABLE READ, so
that all its statements see one state too (READ COMMITTED would let each see a newer one).

Nothing may be written inside it on SQLite (the upgrade to a write lock can fail at once when
another connection has written since): log what was read after the block, in a transaction
of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def read_snapshot() -> Iterator[None]:
    """A transaction for reads only, which never takes SQLite's write lock."""
    if connection.in_atomic_block:  # inside a transaction already begun: its state
        with transaction.atomic():
            yield
        return
    if connection.vendor != "sqlite":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    connection.ensure_connection()  # connecting resets transaction_mode from the settings
    mode = connection.transaction_mode
    connection.transaction_mode = "DEFERRED"
    try:
        with transaction.atomic():
            connection.transaction_mode = mode  # BEGIN DEFERRED is sent; nested blocks as usual
            yield
    finally:
        connection.transaction_mode = mode
