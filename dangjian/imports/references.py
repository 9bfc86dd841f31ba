"""Foreign keys of a large import checked once, set-based, instead of row by row (SPEC §7).

PostgreSQL checks a foreign key with one trigger call per written row, queued until COMMIT: a
province loads ≈ 12 M rows that carry one (members, meetings, posts, audit entries), ≈ 35 s of
COMMIT. When the database user may set `session_replication_role` (a superuser, or on
PostgreSQL 15+ a user granted `SET ON PARAMETER session_replication_role`), the import writes
in replica mode, where those triggers do not fire; then, back in the default mode and before
COMMIT, `verify()` checks every foreign key touching a table the transaction changed with one
anti-join each. Either way nothing dangling is committed. The guards of the audit log and of
the bulletin archive are ENABLE ALWAYS triggers, so replica mode does not switch them off.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction

# Every foreign key of the schema: its table and columns and the ones it references.
FOREIGN_KEYS = """
SELECT con.conname, child.relname, parent.relname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.i),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
             ORDER BY k.i)
FROM pg_constraint con
JOIN pg_class child ON child.oid = con.conrelid
JOIN pg_class parent ON parent.oid = con.confrelid
JOIN pg_namespace ns ON ns.oid = child.relnamespace
WHERE con.contype = 'f' AND ns.nspname = current_schema()
ORDER BY con.conname
"""

# Tables this transaction inserted into, updated or deleted from (and, separately, the ones it
# updated or deleted from: a referenced row may have gone).
CHANGED_TABLES = """
SELECT relname, n_tup_ins + n_tup_upd + n_tup_del > 0, n_tup_upd + n_tup_del > 0
FROM pg_stat_xact_user_tables WHERE schemaname = current_schema()
"""


# Triggers that replica mode would switch off and that are not a foreign key's: while any exists
# (say a deferrable unique constraint's recheck), the import keeps the default mode.
OTHER_ORIGIN_TRIGGERS = """
SELECT count(*) FROM pg_trigger t
JOIN pg_class rel ON rel.oid = t.tgrelid
JOIN pg_namespace ns ON ns.oid = rel.relnamespace
LEFT JOIN pg_constraint con ON con.oid = t.tgconstraint
WHERE ns.nspname = current_schema() AND t.tgenabled = 'O' AND coalesce(con.contype, '') <> 'f'
"""


@dataclass(frozen=True)
class Dangling:
    """A row whose foreign key names no row: the first one found for a constraint."""

    constraint: str
    table: str
    columns: tuple[str, ...]
    values: tuple

    def message(self) -> str:
        named = "、".join(f"{c} = {v}" for c, v in zip(self.columns, self.values, strict=True))
        return f"写入后核对引用：表 {self.table} 中 {named} 引用的记录不存在（{self.constraint}）"


def skip_row_checks() -> bool:
    """Put the rest of the transaction in replica mode when the database user may; True when
    it did (then `verify()` must run before COMMIT)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(OTHER_ORIGIN_TRIGGERS)
        if cursor.fetchone()[0]:
            return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def verify() -> list[Dangling]:
    """Back to the default mode, then check the foreign keys that the transaction's writes
    could have broken: those of every table it changed and those referencing a table it
    updated or deleted from. Returns the first dangling row of each broken constraint."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute(CHANGED_TABLES)
        rows = cursor.fetchall()
        written = {name for name, wrote, _removed in rows if wrote}
        removed = {name for name, _wrote, gone in rows if gone}
        cursor.execute(FOREIGN_KEYS)
        keys = cursor.fetchall()
        found = []
        for name, table, parent, columns, parent_columns in keys:
            if table not in written and parent not in removed:
                continue
            cursor.execute(_anti_join(table, parent, columns, parent_columns))
            row = cursor.fetchone()
            if row is not None:
                found.append(Dangling(name, table, tuple(columns), tuple(row)))
    return found


def _anti_join(table: str, parent: str, columns: list[str], parent_columns: list[str]) -> str:
    """SQL giving one row of `table` whose key (all columns set: MATCH SIMPLE) is not in
    `parent`. Names come from the catalog and are quoted."""
    q = connection.ops.quote_name
    given = " AND ".join(f"c.{q(col)} IS NOT NULL" for col in columns)
    same = " AND ".join(
        f"p.{q(pc)} = c.{q(col)}" for col, pc in zip(columns, parent_columns, strict=True)
    )
    picked = ", ".join(f"c.{q(col)}" for col in columns)
    return (
        f"SELECT {picked} FROM {q(table)} c WHERE {given}"
        f" AND NOT EXISTS (SELECT 1 FROM {q(parent)} p WHERE {same}) LIMIT 1"
    )
