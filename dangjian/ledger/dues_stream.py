"""The 党费 sheet through staging (SPEC §5, §7): tens of millions of rows in bounded memory.

Same verdicts and messages as `dues_sheet.DuesSheet`: rows in the plain shape (18-character
ID, YYYY-MM, amounts with at most two decimals) are checked in SQL; every other row is judged
by the row-by-row rules. ID numbers are checked and hashed once per distinct number.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dangjian.core import pii
from dangjian.core.bulk import indexes_built_after
from dangjian.core.errors import BusinessError
from dangjian.core.periods import Month
from dangjian.imports import shapes as shape
from dangjian.imports import staging as st
from dangjian.imports.registry import ImportContext, SheetResult
from dangjian.ledger import validation as v
from dangjian.ledger.choices import DuesCategory
from dangjian.ledger.dues_sheet import COLUMNS, NOT_ON_ROLL, SHEET, dues_checks, duplicate_message
from dangjian.ledger.facts import MANY, refresh_member_years
from dangjian.ledger.ledger_stream import LedgerStream
from dangjian.members.validation import clean_id_number


class DuesStream(LedgerStream):
    sheet = SHEET
    columns = COLUMNS
    order = 40
    staging_name = "dues"

    # --- validation ---------------------------------------------------------------------

    def validate(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        closed = v.closed_years()
        self._judge_odd_rows(staged, ctx, closed)
        self._judge_id_numbers(staged, ctx)

    def validate_rejected(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        self._report_duplicates(staged, ctx)

    def parse(self, staged: st.StagedFile, ctx: ImportContext, closed) -> None:
        """Typed rows in `g`; rows not in the plain shape keep their raw cells for Python."""
        c = staged.col
        i, mo, due, paid = c["身份证号"], c["月份"], c["应交金额"], c["实交金额"]
        plain = (
            f"CASE WHEN {shape.id_number(i)} AND {shape.year_month(mo)}"
            f" AND {shape.amount(due)} AND {shape.amount(paid)}"
            f" THEN {mo} COLLATE \"C\" BETWEEN '{v.EARLIEST_YEAR}-01' AND %(this_month)s"
            f" AND left({mo}, 4) <> ALL(%(closed)s) ELSE false END"
        )
        g = staged.temp("g")
        st.execute(f"DROP TABLE IF EXISTS {g}")
        st.execute(
            f"""CREATE UNLOGGED TABLE {g} WITH (autovacuum_enabled = false) AS
            SELECT n, ok,
                   CASE WHEN ok THEN upper({i}) END AS id,
                   CASE WHEN ok THEN left({mo}, 4)::smallint END AS y,
                   CASE WHEN ok THEN right({mo}, 2)::smallint END AS m,
                   CASE WHEN ok THEN ({due}::numeric * 100)::int END AS due,
                   CASE WHEN ok THEN ({paid}::numeric * 100)::int END AS paid,
                   CASE WHEN NOT ok THEN ARRAY[{i}, {mo}, {due}, {paid}] END AS raw
            FROM (SELECT *, coalesce({plain}, false) AS ok FROM {staged.table} OFFSET 0) s""",
            {
                "this_month": str(Month.of(ctx.today)),
                "closed": [str(y) for y in sorted(closed)],
            },
        )
        st.drop(staged.table)
        st.execute(f"ANALYZE {g}")

    def _judge_odd_rows(self, staged: st.StagedFile, ctx: ImportContext, closed) -> None:
        """Rows not in the plain shape, judged by the row-by-row rules (blank rows skipped);
        the valid ones join the typed rows."""
        g, fix = staged.temp("g"), staged.temp("fix")
        checks = dues_checks(ctx, closed)
        st.execute(
            f"CREATE UNLOGGED TABLE {fix} (n bigint, id text, y int, m int, due int, paid int)"
        )
        for batch in st.fetch_batches(f"SELECT n, raw FROM {g} WHERE NOT ok ORDER BY n"):
            fixed = []
            for n, raw in batch:
                row = st.source_row(COLUMNS, n, raw)
                if all(x is None or not str(x).strip() for x in row.values.values()):
                    continue
                values, failed = ctx.clean_row(SHEET, row, checks)
                if not failed:
                    month, due, paid = values["月份"], values["应交金额"], values["实交金额"]
                    fixed.append((n, values["身份证号"], month.year, month.month, due, paid))
            st.copy_rows(fix, ("n", "id", "y", "m", "due", "paid"), fixed)
            if st.too_many_issues(ctx, SHEET):
                return
        st.execute(
            f"UPDATE {g} SET ok = true, id = f.id, y = f.y, m = f.m, due = f.due, paid = f.paid"
            f" FROM {fix} f WHERE {g}.n = f.n"
        )

    def _judge_id_numbers(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        """Each distinct ID number checked and hashed once; then the roll: on the register
        inside the importer's scope, or in this file's 党员 sheet."""
        g, ids, idm = staged.temp("g"), staged.temp("ids"), staged.temp("idm")
        # During a key rotation a member may still carry the hash under an old key: each ID
        # then has one row per key, and the row that found a member wins.
        rotating = len(pii.keyring().all_keys) > 1
        staged_members = None if rotating else ctx.state.get("党员_staged")
        if staged_members:
            # The 党员 sheet's rows were checked and hashed while it was staged: only the ID
            # numbers not in it are checked and hashed here (rows with neither are left out).
            st.execute(
                f"""CREATE UNLOGGED TABLE {ids} WITH (autovacuum_enabled = false) AS
                SELECT d.id, f.id_hash, f.id_hash AS alias, NULL::text AS error
                FROM (SELECT DISTINCT id FROM {g} WHERE ok) d
                LEFT JOIN (SELECT DISTINCT id_number, id_hash FROM {staged_members}) f
                    ON f.id_number = d.id"""
            )
            unhashed = f"SELECT id FROM {ids} WHERE id_hash IS NULL"
        else:
            st.execute(
                f"CREATE UNLOGGED TABLE {ids} (id text, id_hash text, alias text, error text)"
            )
            unhashed = f"SELECT DISTINCT id FROM {g} WHERE ok"
        for batch in st.fetch_batches(unhashed):
            st.copy_rows(ids, ("id", "id_hash", "alias", "error"), list(_hashed(batch)))
        in_file = self._members_in_file(staged, ctx)
        scope = ctx.scope_root.path if ctx.scope_root else ""
        st.execute(
            f"""CREATE UNLOGGED TABLE {idm} AS
            SELECT {"DISTINCT ON (r.id)" if rotating else ""}
                   r.id, r.id_hash, r.error, m.id AS member_id,
                   (EXISTS (SELECT 1 FROM {in_file} f WHERE f.id_hash = r.id_hash)
                    OR (m.id IS NOT NULL AND starts_with(o.path, %(scope)s))) AS on_roll
            FROM {ids} r
            LEFT JOIN members_member m ON m.id_hash = r.alias
            LEFT JOIN orgs_organization o ON o.id = m.organization_id
            WHERE r.id_hash IS NOT NULL OR r.error IS NOT NULL
            {"ORDER BY r.id, m.id IS NULL" if rotating else ""}""",
            {"scope": scope},
        )
        st.execute(f"CREATE UNIQUE INDEX ON {idm} (id)")
        st.execute(f"ANALYZE {idm}")
        # The rows of a bad ID number are looked for only when there is one: joining tens of
        # millions of rows to find none would cost as much as the check itself.
        if not st.scalar(
            f"SELECT EXISTS (SELECT 1 FROM {idm} WHERE error IS NOT NULL OR NOT on_roll)"
        ):
            return
        bad = st.fetch_rows(
            f"""SELECT g.n, i.error FROM {g} g JOIN {idm} i ON i.id = g.id
            WHERE g.ok AND (i.error IS NOT NULL OR NOT i.on_roll) ORDER BY g.n LIMIT %s""",
            (st.MAX_LISTED_ROWS,),
        )
        for n, error in bad:
            ctx.error(SHEET, n + 1, "身份证号", error or NOT_ON_ROLL)

    def _members_in_file(self, staged: st.StagedFile, ctx: ImportContext) -> str:
        """The table of the ID hashes of this file's 党员 sheet (column id_hash, indexed): the
        streamed sheet's own staging table, or one filled from the row-by-row plan."""
        if staged_members := ctx.state.get("党员_staged"):
            return staged_members
        in_file = staged.temp("file_members")
        st.execute(f"CREATE UNLOGGED TABLE {in_file} (id_hash text PRIMARY KEY)")
        if member_plan := ctx.state.get("党员"):
            st.copy_rows(in_file, ("id_hash",), [(r.id_hash,) for r in member_plan.rows])
        return in_file

    def _report_duplicates(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        """Rows repeating a member's month (only looked for when the file is rejected anyway
        or the merge met them: the unique key finds them for free otherwise)."""
        g, idm = staged.temp("g"), staged.temp("idm")
        dups = st.fetch_rows(
            f"""SELECT n, first FROM (
                SELECT g.n, min(g.n) OVER (PARTITION BY g.id, g.y, g.m) AS first
                FROM {g} g JOIN {idm} i ON i.id = g.id
                WHERE g.ok AND i.error IS NULL AND i.on_roll) d
            WHERE n > first ORDER BY n LIMIT %s""",
            (st.MAX_LISTED_ROWS,),
        )
        for n, first in dups:
            ctx.error(SHEET, n + 1, "月份", duplicate_message(first + 1))

    # --- merge ----------------------------------------------------------------------------

    def apply(self, staged: st.StagedFile, ctx: ImportContext) -> SheetResult:
        g, idm = staged.temp("g"), staged.temp("idm")
        # Members created by this file's 党员 sheet now have ids. The table is written again
        # rather than updated: an UPDATE of millions of rows writes each one twice and keeps its
        # index up to date (24 s against ≈ 5 s for a province); the merge needs no index on it.
        filled = staged.temp("idm_filled")
        st.execute(
            f"""CREATE UNLOGGED TABLE {filled} WITH (autovacuum_enabled = false) AS
            SELECT i.id, i.id_hash, i.error, coalesce(i.member_id, m.id) AS member_id, i.on_roll
            FROM {idm} i LEFT JOIN members_member m
                ON i.member_id IS NULL AND i.error IS NULL AND m.id_hash = i.id_hash"""
        )
        st.drop(idm)
        st.execute(f"ALTER TABLE {filled} RENAME TO {idm}")
        st.execute(f"ANALYZE {idm}")
        per_year = dict(st.fetch_rows(f"SELECT y, count(*) FROM {g} WHERE ok GROUP BY y"))
        years, total = sorted(per_year), sum(per_year.values())
        merged = st.merge_unless_repeated(lambda: _merge(g, idm, years))
        if merged is None:
            self._report_duplicates(staged, ctx)
            return SheetResult()
        created, updated = merged
        if created or updated:
            members = st.scalar(f"SELECT count(*) FROM {idm} WHERE member_id IS NOT NULL")
            ids = None
            if members <= MANY:
                ids = [
                    m
                    for (m,) in st.fetch_rows(
                        f"SELECT member_id FROM {idm} WHERE member_id IS NOT NULL"
                    )
                ]
            refresh_member_years(years, ids)
        st.drop(g, idm, staged.temp("ids"), staged.temp("fix"), staged.temp("file_members"))
        return SheetResult(created=created, updated=updated, unchanged=total - created - updated)


def _merge(g: str, idm: str, years: list[int]) -> tuple[int, int]:
    """(created, updated) rows of ledger_duespayment, merged by (member, year, month).

    A year none of the file's members has dues rows of yet (a first load, a new year) is one
    plain INSERT in key order: the three indexes take their keys at their right edge, without
    the upsert's speculative insertion of each row; into an empty table (a first load), with
    the indexes built after it (`core.bulk.indexes_built_after`). It falls back to the upsert
    when it meets a key after all (repeated in the file, or written meanwhile by a form)."""
    if not _stored_rows_of_these_members(idm, years):
        try:
            with transaction.atomic(), indexes_built_after("ledger_duespayment"):
                created = st.execute(
                    f"""INSERT INTO ledger_duespayment
                        (member_id, year, month, due_fen, paid_fen, category, updated_at)
                    SELECT {_merged_rows(g, idm)}""",
                    (DuesCategory.EMPLOYED, timezone.now()),
                )
            return created, 0
        except IntegrityError:
            pass
    return _upsert(g, idm)


def _merged_rows(g: str, idm: str) -> str:
    """The staged rows in key order (parameters: category, updated_at)."""
    return f"""i.member_id, g.y, g.m, g.due, g.paid, %s, %s
        FROM {g} g JOIN {idm} i ON i.id = g.id WHERE g.ok
        ORDER BY i.member_id, g.y, g.m"""


def _stored_rows_of_these_members(idm: str, years: list[int]) -> bool:
    """Whether any member of the file already has a dues row in one of the file's years."""
    return bool(
        st.scalar(
            f"""SELECT EXISTS (SELECT 1 FROM ledger_duespayment d
            JOIN {idm} i ON i.member_id = d.member_id WHERE d.year = ANY(%s))""",
            [years],
        )
    )


def _upsert(g: str, idm: str) -> tuple[int, int]:
    """Upsert by (member, year, month); rows equal to the stored ones are left alone."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH w AS (
                INSERT INTO ledger_duespayment
                    (member_id, year, month, due_fen, paid_fen, category, updated_at)
                SELECT {_merged_rows(g, idm)}
                ON CONFLICT (member_id, year, month) DO UPDATE
                    SET due_fen = EXCLUDED.due_fen, paid_fen = EXCLUDED.paid_fen,
                        updated_at = EXCLUDED.updated_at
                    WHERE (ledger_duespayment.due_fen, ledger_duespayment.paid_fen)
                        IS DISTINCT FROM (EXCLUDED.due_fen, EXCLUDED.paid_fen)
                RETURNING (xmax = 0) AS created)
            SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM w""",
            (DuesCategory.EMPLOYED, timezone.now()),
        )
        return cursor.fetchone()


def _hashed(ids):
    """(id, current hash, hash under each configured key, None) for a valid ID number,
    (id, None, None, reason) otherwise."""
    for (number,) in ids:
        try:
            card = clean_id_number(number)
        except BusinessError as exc:
            yield number, None, None, exc.message
            continue
        hashes = pii.lookup_hashes(card.number)
        for alias in hashes:
            yield number, hashes[0], alias, None
