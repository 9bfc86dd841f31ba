"""Bulk writes that bypass per-row ORM saves (SPEC §7: set-based, COPY on PostgreSQL).

All raw SQL for bulk writes lives here. Identifiers come from model metadata, never from
user input; values are always passed as parameters or through COPY.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import islice

from django.db import connection
from django.db.models import Model

SQLITE_BATCH = 5000


def is_postgresql() -> bool:
    """True when the default database is PostgreSQL."""
    return connection.vendor == "postgresql"


def _columns(model: type[Model], fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def _batches(rows: Iterable[Sequence], size: int):
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _json_ready(rows: Iterable[Sequence]) -> Iterable[tuple]:
    for row in rows:
        yield tuple(
            json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in row
        )


def insert_rows(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert rows (tuples in `fields` order) in bulk; returns the number inserted.

    PostgreSQL uses COPY; SQLite uses executemany in batches. dict/list values are written as
    JSON text, which both databases accept for JSON columns.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in _columns(model, fields))
    count = 0
    with connection.cursor() as cursor:
        if is_postgresql():
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in _json_ready(rows):
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
        for batch in _batches(_json_ready(rows), SQLITE_BATCH):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def update_rows(
    model: type[Model], fields: Sequence[str], rows: Iterable[Sequence], key: str = "id"
) -> int:
    """Update rows given as tuples (key, *values in `fields` order); returns rows given."""
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in _columns(model, fields))
    key_col = connection.ops.quote_name(model._meta.get_field(key).column)
    sql = f"UPDATE {table} SET {sets} WHERE {key_col} = %s"
    count = 0
    with connection.cursor() as cursor:
        for batch in _batches(_json_ready(rows), SQLITE_BATCH):
            cursor.executemany(sql, [(*row[1:], row[0]) for row in batch])
            count += len(batch)
    return count


def delete_ids(model: type[Model], ids: Sequence[int]) -> int:
    """Delete rows by primary key in batches; returns the number of ids given."""
    for batch in _batches(ids, SQLITE_BATCH):
        model._base_manager.filter(pk__in=batch)._raw_delete(using="default")
    return len(ids)


def lock_for_sequence(name: str) -> None:
    """Serialize writers of one append-only sequence (the audit chain) in this transaction.

    PostgreSQL takes a transaction-scoped advisory lock; SQLite's IMMEDIATE transactions
    already serialize writers.
    """
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
