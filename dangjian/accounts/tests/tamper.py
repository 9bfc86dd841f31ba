"""Raw SQL on the audit tables as an intruder with the database owner's rights would run it:
on PostgreSQL the guard triggers are switched off first (inside the test's transaction, so they
are back when it rolls back)."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

GUARDED = ("accounts_auditentry", "accounts_auditanchor", "accounts_auditseal")


@contextmanager
def tampering():
    """A cursor for raw SQL that the audit guard triggers do not stop."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE waits for no deferred foreign-key check of rows this test wrote.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in GUARDED:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_guard")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in GUARDED:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_guard")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
