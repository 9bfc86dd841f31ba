"""Bulk writes that bypass per-row ORM saves (SPEC §7: set-based, COPY on PostgreSQL).

All raw SQL for bulk writes lives here. Identifiers come from model metadata, never from
user input; values are always passed as parameters or through COPY.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from json.encoder import encode_basestring

from django.db import connection
from django.db.models import Model

SQLITE_BATCH = 5000
# ? marks in one multi-row INSERT on SQLite: its own limit (32,766) compiles statements that a
# county's import keeps 60 MiB more memory for (163 against 99 MiB peak), and no faster.
SQLITE_STATEMENT_MARKS = 8000
UPDATE_BY_COPY = 100  # rows; fewer are updated one statement each (613 rows: 19 ms, by COPY 8)


def is_postgresql() -> bool:
    """True when the default database is PostgreSQL."""
    return connection.vendor == "postgresql"


def _columns(model: type[Model], fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def _adapted(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence], offset: int = 0):
    """On SQLite, write datetimes exactly as Django does (naive UTC text), so ORM filters on
    them match; PostgreSQL's driver adapts them itself."""
    if is_postgresql():
        return rows
    adapt = connection.ops.adapt_datetimefield_value
    positions = [
        offset + i
        for i, name in enumerate(fields)
        if model._meta.get_field(name).get_internal_type() == "DateTimeField"
    ]
    if not positions:
        return rows

    adapted: dict = {}  # rows of one write usually share a timestamp

    def convert(row):
        row = list(row)
        for i in positions:
            value = row[i]
            if value not in adapted:
                adapted[value] = adapt(value)
            row[i] = adapted[value]
        return row

    return map(convert, rows)


def batched(rows: Iterable, size: int) -> Iterator[list]:
    """`rows` in lists of at most `size` (itertools.batched of Python 3.12)."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _json_ready(rows: Iterable[Sequence]) -> Iterable[tuple]:
    for row in rows:
        yield tuple(
            json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in row
        )


class JsonText(str):
    """A value's `to_json` text made beforehand (for example by a worker process)."""


# json.dumps(value, ensure_ascii=False, sort_keys=True, default=str), its encoder made once
_canonical_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode


def to_json(value) -> str | None:
    """JSON text for a JSON column written by insert_rows/update_rows (None stays NULL)."""
    if value is None:
        return None
    if isinstance(value, JsonText):
        return str(value)
    return _canonical_json(value)


def text_record_json(keys: Iterable[str]) -> Callable[[Mapping[str, object]], str | None]:
    """`to_json` for records of exactly `keys` whose values are text, made by joining each
    value's JSON string in the keys' sorted order instead of by the general encoder (1.1
    instead of 3.7 µs for a member's nine fields: an import writes one per new member). Any
    other record goes to `to_json`."""
    order = sorted(keys)
    heads = [encode_basestring(key) + ": " for key in order]
    pairs = list(zip(heads, order, strict=True))

    def encode(record: Mapping[str, object]) -> str | None:
        if len(record) == len(pairs):
            try:
                return (
                    "{"
                    + ", ".join([head + encode_basestring(record[k]) for head, k in pairs])
                    + "}"
                )
            except (TypeError, KeyError):  # a value that is not text; another key
                pass
        return to_json(record)

    return encode


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_NULL_TEXT = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _array_element(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def text_array(values) -> str:
    """A text[] literal of these values (their str), as a cell of `copy_text_line`."""
    return "{" + ",".join(map(_array_element, map(str, values))) + "}"


def copy_line(row: Sequence) -> str:
    """One row in COPY's text format: None is NULL, booleans t/f, lists text arrays, dates
    and numbers as their text. Lines can be made where the database is out of reach (a
    worker process) and sent by `copy_lines` (or `imports.staging.copy_text`)."""
    cells = [
        None
        if value is None
        else ("t" if value else "f")
        if value is True or value is False
        else text_array(value)
        if isinstance(value, list | tuple)
        else str(value)
        for value in row
    ]
    return copy_text_line(cells)


def copy_text_line(cells: Sequence[str | None]) -> str:
    """`copy_line` of cells that are already text or None."""
    if _NEEDS_ESCAPE.search("".join(filter(None, cells))):  # most rows need no escaping
        cells = [cell if cell is None else cell.translate(_COPY_ESCAPES) for cell in cells]
    return "\t".join([_NULL_TEXT if cell is None else cell for cell in cells]) + "\n"


COPY_SEND_BYTES = 1 << 17  # text lines are sent in pieces of about this size


def copy_lines(model: type[Model], fields: Sequence[str], lines: Iterable[str]) -> int:
    """PostgreSQL: COPY lines made by `copy_line` into the model's table; returns how many.
    `lines` may be a generator: lines are sent as they come, so making the next ones overlaps
    the server storing the last ones."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in _columns(model, fields))
    count = 0
    pending: list[str] = []
    size = 0
    sql = f"COPY {table} ({cols}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for line in lines:
            pending.append(line)
            size += len(line)
            count += 1
            if size >= COPY_SEND_BYTES:
                copy.write("".join(pending).encode())
                pending, size = [], 0
        if pending:
            copy.write("".join(pending).encode())
    return count


def insert_rows(
    model: type[Model], fields: Sequence[str], rows: Iterable[Sequence], *, adapt: bool = True
) -> int:
    """Insert rows (tuples in `fields` order) in bulk; returns the number inserted.

    PostgreSQL uses COPY; SQLite uses multi-row INSERT … VALUES statements of as many rows as
    SQLITE_STATEMENT_MARKS bound values allow (executemany steps and resets once per row: a
    county's members and their audit entries took 0.25 s that way, 0.19 s now). Values for
    JSON columns must already be JSON text (see `to_json`), which both databases accept.
    `adapt=False`: the datetimes are already as the driver takes them (`connection.ops.
    adapt_datetimefield_value` on SQLite, made once for rows that share a time).
    """
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in _columns(model, fields))
    count = 0
    if is_postgresql():
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,  # Django's IntegrityError, as on SQLite
            cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    marks = min(_sqlite_parameter_limit(), SQLITE_STATEMENT_MARKS)
    per_statement = max(1, marks // len(fields))
    row_marks = f"({', '.join('?' * len(fields))})"
    full_sql = f"INSERT INTO {table} ({cols}) VALUES {', '.join([row_marks] * per_statement)}"
    for batch in batched(_adapted(model, fields, rows) if adapt else rows, per_statement):
        sql = full_sql
        if len(batch) < per_statement:
            sql = f"INSERT INTO {table} ({cols}) VALUES {', '.join([row_marks] * len(batch))}"
        _execute_qmark(sql, list(chain.from_iterable(batch)))
        count += len(batch)
    return count


def _sqlite_parameter_limit() -> int:
    """How many ? marks one SQLite statement may hold (32,766 since SQLite 3.32; Django's
    own figure, 999, is the old default)."""
    connection.ensure_connection()
    return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def _execute_qmark(sql: str, params: list) -> None:
    """Run a statement with ? marks on the SQLite driver itself, in the current transaction.

    Django's cursor would rewrite the %s marks of every statement with a regular expression
    (40 ms of a county's member inserts). Errors are Django's, and the statement is logged
    where Django logs queries (DEBUG, tests counting queries)."""
    connection.ensure_connection()
    started = time.monotonic()
    with connection.wrap_database_errors:
        connection.connection.execute(sql, params)
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def update_rows(
    model: type[Model], fields: Sequence[str], rows: Iterable[Sequence], key: str = "id"
) -> int:
    """Update rows given as tuples (key, *values in `fields` order); returns rows given.

    On PostgreSQL, more than UPDATE_BY_COPY rows are COPYed into a temporary table and written
    by one UPDATE … FROM it (a full refresh of the tree's rollups went from 150,000 single-row
    UPDATEs, ≈ 30 s, to one statement); fewer go through executemany, as on SQLite."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = _columns(model, fields)
    sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    key_col = connection.ops.quote_name(model._meta.get_field(key).column)
    batches = batched(_adapted(model, fields, rows, offset=1), SQLITE_BATCH)
    first = next(batches, [])
    if is_postgresql() and len(first) > UPDATE_BY_COPY:
        return _update_by_copy(table, key_col, columns, chain([first], batches))
    sql = f"UPDATE {table} SET {sets} WHERE {key_col} = %s"
    count = 0
    with connection.cursor() as cursor:
        for batch in chain([first], batches):
            cursor.executemany(sql, [(*row[1:], row[0]) for row in batch])
            count += len(batch)
    return count


def _update_by_copy(table: str, key_col: str, columns: list[str], batches) -> int:
    """PostgreSQL: the rows COPYed into a temporary table typed like `table`, then one UPDATE."""
    quoted = [connection.ops.quote_name(c) for c in columns]
    temp = connection.ops.quote_name("bulk_update_rows")
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} AS SELECT {key_col}, {', '.join(quoted)} "
            f"FROM {table} WITH NO DATA"
        )
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {temp} FROM STDIN") as copy:
            for batch in batches:
                for row in batch:
                    copy.write_row(row)
                count += len(batch)
        assignments = ", ".join(f"{c} = u.{c}" for c in quoted)
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {temp} u WHERE {table}.{key_col} = u.{key_col}"
        )
        cursor.execute(f"DROP TABLE {temp}")
    return count


def delete_ids(model: type[Model], ids: Sequence[int]) -> int:
    """Delete rows by primary key in batches; returns the number of ids given."""
    for batch in batched(ids, SQLITE_BATCH):
        model._base_manager.filter(pk__in=batch).delete()
    return len(ids)


@contextmanager
def indexes_built_after(table: str) -> Iterator[bool]:
    """Inside a transaction: when `table` holds no row, take its indexes (primary key and
    unique constraints included, except those a foreign key of another table points at) off
    for the body, then build them again from their saved definitions; yields whether it did.

    A first load then writes its rows without maintaining a B-tree per row and builds each
    index once, sorted (the province's 35 M dues rows: 135 s with three indexes kept, 79 s
    loaded bare and indexed after). A duplicate key is found when the unique index is built,
    as an IntegrityError; if the body raises, nothing is rebuilt here and the caller's
    rollback (of this transaction or savepoint) restores the indexes. Other sessions that read
    the table wait for the transaction to end."""
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_built_after needs a transaction")
    if _rows(f"SELECT EXISTS (SELECT 1 FROM {table})")[0][0]:
        yield False
        return
    constraints = _rows(
        """SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u', 'x')
            AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                WHERE f.contype = 'f' AND f.conindid = c.conindid)
            ORDER BY c.contype, c.conname""",
        [table],
    )
    indexes = _rows(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid = %s::regclass AND NOT EXISTS (
                SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1""",
        [table],
    )
    if not constraints and not indexes:
        yield False
        return
    # Deferred foreign keys from and to the table: ALTER TABLE refuses a table with pending
    # trigger events, so their checks run when each statement ends until the indexes are back
    # (they would all run at COMMIT anyway), then they are deferred again. (After a failure
    # they stay immediate for the rest of the transaction, which only checks sooner.)
    deferred = ", ".join(
        f'"{name}"'
        for (name,) in _rows(
            """SELECT DISTINCT conname FROM pg_constraint
            WHERE %s::regclass IN (conrelid, confrelid)
            AND contype = 'f' AND condeferrable AND condeferred""",
            [table],
        )
    )
    if deferred:
        _execute(f"SET CONSTRAINTS {deferred} IMMEDIATE")
    for name, _definition in indexes:
        _execute(f"DROP INDEX {name}")
    for name, _definition in constraints:
        _execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield True
    for name, definition in constraints:
        _execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in indexes:
        _execute(definition)
    if deferred:
        _execute(f"SET CONSTRAINTS {deferred} DEFERRED")


def _rows(sql: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def lock_for_sequence(name: str) -> None:
    """Serialize writers of one append-only sequence (the audit chain) in this transaction.

    PostgreSQL takes a transaction-scoped advisory lock; SQLite's IMMEDIATE transactions
    already serialize writers.
    """
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


def analyze(model: type[Model]) -> None:
    """PostgreSQL: fresh planner statistics for a table just rewritten in bulk, so the next
    queries over it are planned on its real size (autovacuum would do it later)."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
