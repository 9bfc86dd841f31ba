"""The 党员 sheet of a large CSV directory (SPEC §5, §7): millions of members in bounded memory.

The file is read in chunks; each chunk is checked by the row-by-row rules of
`sheet.MemberSheet` (so verdicts and messages are the same), its valid rows are staged in the
database with their ID numbers and phones already encrypted, and an ID number repeated across
chunks is found in SQL. Applying reads the staged rows back chunk by chunk through the same
row-by-row writer (updates, transfers with history, posts, audit entries, rollups).
"""

from __future__ import annotations

from pathlib import Path

from dangjian.core import pii
from dangjian.imports import staging as st
from dangjian.imports.registry import ImportContext, SheetResult
from dangjian.imports.streaming import StreamingSheet
from dangjian.members.rollups import refresh_member_counts
from dangjian.members.sheet import (
    COLUMNS,
    DEFERRED_COUNTS,
    SHEET,
    MemberPlan,
    MemberRow,
    MemberSheet,
    load_existing,
)
from dangjian.members.validation import MemberData

CHUNK_ROWS = 50_000
STAGED_COLUMNS = (
    "n",
    "id_hash",
    "id_enc",
    "name",
    "gender",
    "birth_date",
    "join_date",
    "member_type",
    "org_code",
    "posts",
    "phone_enc",
    "existing",
)
STAGED_TABLE = "imp_stage_members"


def duplicate_message(first_row: int) -> str:
    return f"身份证号与第{first_row}行重复"


class MemberStream(StreamingSheet):
    sheet = SHEET
    columns = COLUMNS
    order = 20

    def stage(self, path: Path, ctx: ImportContext, meter) -> st.StagedFile | None:
        """Check the file chunk by chunk with the row-by-row rules; stage the valid rows."""
        st.execute(f"DROP TABLE IF EXISTS {STAGED_TABLE}")
        st.execute(
            f"""CREATE UNLOGGED TABLE {STAGED_TABLE} (n bigint, id_hash text, id_enc text,
            name text, gender text, birth_date date, join_date date, member_type text,
            org_code text, posts text[], phone_enc text, existing bool)
            WITH (autovacuum_enabled = false)"""
        )
        staged = st.StagedFile(SHEET, path, STAGED_TABLE, {})
        rowwise = MemberSheet()
        for chunk in st.csv_chunks(SHEET, path, COLUMNS, ctx, CHUNK_ROWS, meter):
            staged.rows += len(chunk)
            rowwise.validate(chunk, ctx)
            plan: MemberPlan = ctx.state.pop(SHEET)
            rows = [(*_staged(r), r.id_hash in plan.existing) for r in plan.rows]
            st.copy_rows(STAGED_TABLE, STAGED_COLUMNS, rows)
            if st.too_many_issues(ctx, SHEET):
                break
        st.execute(f"CREATE INDEX ON {STAGED_TABLE} (id_hash)")
        st.execute(f"ANALYZE {STAGED_TABLE}")
        ctx.state["党员_staged"] = STAGED_TABLE
        return staged

    def validate(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        """An ID number repeated in another chunk (each chunk found its own repeats)."""
        dups = st.fetch_rows(
            f"""SELECT n, first FROM (
                SELECT n, min(n) OVER (PARTITION BY id_hash) AS first FROM {STAGED_TABLE}) d
            WHERE n > first ORDER BY n LIMIT %s""",
            (st.MAX_LISTED_ROWS,),
        )
        for n, first in dups:
            ctx.error(SHEET, n, "身份证号", duplicate_message(first))

    def apply(self, staged: st.StagedFile, ctx: ImportContext) -> SheetResult:
        """Chunk by chunk through the row-by-row writer; only members found on the register
        while checking are looked up again, and the member counts are recomputed once."""
        total = SheetResult()
        rowwise = MemberSheet()
        ctx.state[DEFERRED_COUNTS] = set()
        for batch in st.fetch_batches(
            f"SELECT {', '.join(STAGED_COLUMNS)} FROM {STAGED_TABLE} ORDER BY n"
        ):
            rows = [_member_row(values) for values in batch]
            known = [r.data.id_number for r, values in zip(rows, batch, strict=True) if values[-1]]
            ctx.state[SHEET] = MemberPlan(rows, load_existing(pii.hash_aliases(known)))
            done = rowwise.apply(ctx)
            total.created += done.created
            total.updated += done.updated
            total.unchanged += done.unchanged
        ctx.state.pop(SHEET, None)
        if touched := ctx.state.pop(DEFERRED_COUNTS):
            refresh_member_counts(touched)
        return total


def _staged(row: MemberRow) -> tuple:
    d = row.data
    return (
        row.number,
        row.id_hash,
        pii.encrypt(d.id_number),
        d.name,
        d.gender,
        d.birth_date,
        d.join_date,
        d.member_type,
        row.org_code,
        list(d.posts),
        pii.encrypt(d.phone),
    )


def _member_row(values: tuple) -> MemberRow:
    n, id_hash, id_enc, name, gender, birth, join, kind, org_code, posts, phone_enc = values[:-1]
    data = MemberData(
        pii.decrypt(id_enc), name, gender, birth, join, kind, tuple(posts), pii.decrypt(phone_enc)
    )
    return MemberRow(n, data, org_code, id_hash)
