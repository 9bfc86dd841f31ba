"""The 党员 sheet of a large CSV directory (SPEC §5, §7): millions of members in bounded memory.

The file is read in chunks; each chunk is checked by the row-by-row rules of
`sheet.MemberSheet` (`sheet.check_rows`, so verdicts and messages are the same) in worker
processes (`imports.parallel`), which also encrypt and mask the ID numbers and phones and
write each new member's audit snapshot. The valid rows are staged in the database, and an ID
number repeated anywhere in the file is found in SQL (each named with the first row that holds
it, as the row-by-row reader names it). The staging keeps each row's checked ID number
and hash, so the directory's 党费 sheet need not check and hash them again; it is dropped
before the import commits.

The members already on the register are found by one join on the ID hash (during a key
rotation, chunk by chunk by every key's hash). Applying writes the members new to the register
set-based: one INSERT … SELECT of the staged rows (their ciphertexts as staged), one for their
posts, then the audit entries, which are chained one by one, in batches. Members already on the
register go through the row-by-row writer (updates, transfers with history, posts, audit
entries), read together with their staged rows. Member counts are recomputed once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core import pii
from dangjian.core.bulk import copy_text_line, indexes_built_after, text_array
from dangjian.core.idcard import mask_id_number, mask_phone
from dangjian.imports import staging as st
from dangjian.imports.excel_errors import take_error_values
from dangjian.imports.parallel import map_in_order, worker_count
from dangjian.imports.registry import ImportContext, SheetResult
from dangjian.imports.streaming import StreamingSheet
from dangjian.members.models import Member
from dangjian.members.rollups import refresh_member_counts
from dangjian.members.sheet import (
    COLUMNS,
    DEFAULT_ETHNICITY,
    DEFERRED_COUNTS,
    REGISTERED_ELSEWHERE,
    SHEET,
    ExistingMember,
    MemberPlan,
    MemberRow,
    MemberSheet,
    check_rows,
    load_existing,
    member_snapshot,
    snapshot_json,
)
from dangjian.members.signals import members_created
from dangjian.members.validation import MemberData
from dangjian.orgs.sheet import org_directory

# Rows per chunk: each worker holds a chunk's rows and lines (≈ 80 MB at 20,000; with 50,000 a
# city import's peak memory went from 330 to 540 MB).
CHUNK_ROWS = 20_000
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
    "id_masked",
    "phone_masked",
    "existing",
    "id_number",
    "after",
    "phone",
)
STAGED_TABLE = "imp_stage_members"
REGISTERED_TABLE = "imp_stage_members_registered"
REPEATED_ID_NUMBERS = "党员_repeated_id_numbers"  # ctx.state: staged ID hashes repeat
# What the worker processes read besides their chunk, set before they are forked.
_CHECKING: dict = {}


def duplicate_message(first_row: int) -> str:
    return f"身份证号与第{first_row}行重复"


class MemberStream(StreamingSheet):
    sheet = SHEET
    columns = COLUMNS
    order = 20

    def stage(self, path: Path, ctx: ImportContext, meter) -> st.StagedFile | None:
        """Check the file chunk by chunk with the row-by-row rules (in worker processes, see
        `imports.parallel`); stage the valid rows."""
        st.execute(f"DROP TABLE IF EXISTS {STAGED_TABLE}")
        st.execute(
            f"""CREATE UNLOGGED TABLE {STAGED_TABLE} (n bigint, id_hash text, id_enc text,
            name text, gender text, birth_date date, join_date date, member_type text,
            org_code text, posts text[], phone_enc text, id_masked text, phone_masked text,
            existing bool, id_number text, after text, phone text)
            WITH (autovacuum_enabled = false)"""
        )
        by_join = _hashes_are_current()
        if not by_join:
            st.execute(f"CREATE UNLOGGED TABLE {REGISTERED_TABLE} (id_hash text, outside bool)")
        staged = st.StagedFile(SHEET, path, STAGED_TABLE, {})
        _check_and_stage(staged, ctx, meter, by_join)
        _mark_registered(ctx, by_join)
        ctx.state[REPEATED_ID_NUMBERS] = not _index_unique_id_hashes()
        st.execute(f"ANALYZE {STAGED_TABLE}")
        ctx.state["党员_staged"] = STAGED_TABLE
        return staged

    def validate(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        """Each row repeating the ID number of a row above it."""
        if not ctx.state.pop(REPEATED_ID_NUMBERS):
            return
        dups = st.fetch_rows(
            f"""SELECT n, first FROM (
                SELECT n, min(n) OVER (PARTITION BY id_hash) AS first FROM {STAGED_TABLE}) d
            WHERE n > first ORDER BY n LIMIT %s""",
            (st.MAX_LISTED_ROWS,),
        )
        for n, first in dups:
            ctx.error(SHEET, n, "身份证号", duplicate_message(first))

    def validate_rejected(self, staged: st.StagedFile, ctx: ImportContext) -> None:
        """Nothing: `validate` names the repeated ID numbers in any case."""

    def apply(self, staged: st.StagedFile, ctx: ImportContext) -> SheetResult:
        """New members set-based, members already on the register row by row; the member
        counts are recomputed once."""
        ctx.state[DEFERRED_COUNTS] = set()
        total = _apply_known(ctx)
        total.created = _insert_new(ctx)
        if touched := ctx.state.pop(DEFERRED_COUNTS):
            refresh_member_counts(touched)
        return total


def _hashes_are_current() -> bool:
    """Whether every member carries the ID hash under the current key (no key rotation under
    way): the register is then matched to the staged rows by joins on the hash, once for the
    whole file. During a rotation the members of each chunk are looked up by every key's
    hash (`load_existing`)."""
    return len(pii.keyring().all_keys) == 1


def _mark_registered(ctx: ImportContext, by_join: bool) -> None:
    """Staged rows of members already on the register marked `existing`; a member registered
    outside the importer's subtree is an error (`report_registered_elsewhere`'s rule), named
    on the first row that holds their ID number (a later one repeats it)."""
    scope = ctx.scope_root.path if ctx.scope_root is not None else None
    if not by_join:  # the chunks noted them (`_note_registered`)
        st.execute(
            f"""UPDATE {STAGED_TABLE} s SET existing = true FROM {REGISTERED_TABLE} r
            WHERE r.id_hash = s.id_hash"""
        )
        outside = f"""SELECT s.n, s.id_hash FROM {STAGED_TABLE} s
            JOIN {REGISTERED_TABLE} r ON r.id_hash = s.id_hash WHERE r.outside"""
    else:
        st.execute(
            f"""UPDATE {STAGED_TABLE} s SET existing = true FROM members_member m
            WHERE m.id_hash = s.id_hash"""
        )
        outside = f"""SELECT s.n, s.id_hash FROM {STAGED_TABLE} s
            JOIN members_member m ON m.id_hash = s.id_hash
            JOIN orgs_organization o ON o.id = m.organization_id
            WHERE NOT starts_with(o.path, %(scope)s)"""
    if scope is not None:
        rows = st.fetch_rows(
            f"""WITH outside AS MATERIALIZED ({outside}),
            first AS (SELECT id_hash, min(n) AS n FROM {STAGED_TABLE}
                WHERE id_hash IN (SELECT id_hash FROM outside) GROUP BY id_hash)
            SELECT DISTINCT o.n FROM outside o JOIN first f USING (id_hash, n)
            ORDER BY o.n LIMIT %(limit)s""",
            {"scope": scope, "limit": st.MAX_LISTED_ROWS},
        )
        for (number,) in rows:
            ctx.error(SHEET, number, "身份证号", REGISTERED_ELSEWHERE)
    if not by_join:
        st.drop(REGISTERED_TABLE)


def _index_unique_id_hashes() -> bool:
    """Index the staged rows by ID hash, uniquely when no ID number repeats: whether it
    could. Building the unique index answers whether there are repeats as a by-product
    (sorting 3 M hashes again to look for them cost 5 s at province size)."""
    try:
        with transaction.atomic():
            st.execute(f"CREATE UNIQUE INDEX ON {STAGED_TABLE} (id_hash)")
        return True
    except IntegrityError:
        st.execute(f"CREATE INDEX ON {STAGED_TABLE} (id_hash)")
        return False


def _check_and_stage(staged: st.StagedFile, ctx: ImportContext, meter, by_join: bool) -> None:
    """Chunks checked by the workers, in file order: their problems recorded, valid rows
    staged; unless the register is matched by a join afterwards, the members each chunk finds
    on it are noted (and judged against the importer's scope)."""

    def counted(chunks):
        for chunk in chunks:
            staged.rows += len(chunk.rows)
            yield chunk

    _CHECKING.update(directory=org_directory(ctx), today=ctx.today)
    try:
        chunks = counted(st.csv_chunks(SHEET, staged.path, COLUMNS, ctx, CHUNK_ROWS, meter))
        checked = map_in_order(_check_chunk, chunks, worker_count())
        with closing(checked):
            for text, keys, errors in checked:
                for number, column, message in errors:
                    ctx.error(SHEET, number, column, message)
                st.copy_text(STAGED_TABLE, STAGED_COLUMNS, text)
                if not by_join:
                    _note_registered(keys, ctx)
                if st.too_many_issues(ctx, SHEET):
                    break
    finally:
        _CHECKING.clear()


def _note_registered(keys: list[tuple[int, str, str]], ctx: ImportContext) -> None:
    """(During a key rotation) the members of one chunk's (row, ID hash, ID number) found on
    the register by any key's hash, noted for `_mark_registered` with whether they are
    registered outside the importer's subtree."""
    existing = load_existing(pii.hash_aliases([k[2] for k in keys], [k[1] for k in keys]))
    scope = ctx.scope_root.path if ctx.scope_root is not None else ""
    st.copy_rows(
        REGISTERED_TABLE,
        ("id_hash", "outside"),
        ((h, not ex.org_path.startswith(scope)) for h, ex in existing.items()),
    )


def _known_batches() -> Iterator[MemberPlan]:
    """The staged rows of members on the register, a batch at a time, with those members as
    the register holds them (their posts in their own branch), read in the same query."""
    staged = ", ".join(f"s.{column}" for column in STAGED_COLUMNS)
    if not _hashes_are_current():
        for batch in st.fetch_batches(
            f"SELECT {staged} FROM {STAGED_TABLE} s WHERE s.existing ORDER BY s.n"
        ):
            rows = [_member_row(values) for values in batch]
            yield MemberPlan(rows, load_existing(pii.hash_aliases(r.data.id_number for r in rows)))
        return
    width = len(STAGED_COLUMNS)
    for batch in st.fetch_batches(
        f"""SELECT {staged}, m.id, m.id_hash, m.name, m.gender, m.birth_date, m.join_date,
            m.member_type, m.organization_id, m.phone_enc, o.path, o.code,
            ARRAY(SELECT p.post FROM members_memberpost p
                WHERE p.member_id = m.id AND p.organization_id = m.organization_id)
        FROM {STAGED_TABLE} s JOIN members_member m ON m.id_hash = s.id_hash
            JOIN orgs_organization o ON o.id = m.organization_id
        WHERE s.existing ORDER BY s.n"""
    ):
        yield MemberPlan(
            [_member_row(values[:width]) for values in batch],
            {
                values[width + 1]: ExistingMember(
                    *values[width:-1], posts=tuple(sorted(values[-1]))
                )
                for values in batch
            },
        )


def _apply_known(ctx: ImportContext) -> SheetResult:
    """Rows of members found on the register while checking, through the row-by-row writer
    (compare, update, transfer with history, posts, audit), chunk by chunk."""
    total = SheetResult()
    rowwise = MemberSheet()
    for plan in _known_batches():
        ctx.state[SHEET] = plan
        done = rowwise.apply(ctx)
        total.created += done.created
        total.updated += done.updated
        total.unchanged += done.unchanged
    ctx.state.pop(SHEET, None)
    return total


def _insert_new(ctx: ImportContext) -> int:
    """Members new to the register: their rows and posts in one statement each, then their
    audit entries and the ledger facts, a batch at a time. Returns how many were created."""
    now = timezone.now()
    # Into an empty register (a first load) with the indexes other than the primary key built
    # after the rows: a province's 3 M random ID hashes no longer go into a B-tree one by one.
    with indexes_built_after("members_member"):
        created = st.execute(
            f"""INSERT INTO members_member (id_hash, id_enc, id_masked, name, gender,
                    ethnicity, birth_date, join_date, member_type, organization_id, phone_enc,
                    phone_masked, is_active, created_at, updated_at)
                SELECT s.id_hash, s.id_enc, s.id_masked, s.name, s.gender, %s, s.birth_date,
                    s.join_date, s.member_type, o.id, s.phone_enc, s.phone_masked, true, %s, %s
                FROM {STAGED_TABLE} s JOIN orgs_organization o ON o.code = s.org_code
                WHERE NOT s.existing ORDER BY s.n""",
            (DEFAULT_ETHNICITY, now, now),
        )
    if not created:
        return 0
    st.execute(
        f"""INSERT INTO members_memberpost (member_id, organization_id, post)
            SELECT m.id, m.organization_id, p.post
            FROM {STAGED_TABLE} s JOIN members_member m ON m.id_hash = s.id_hash
            CROSS JOIN LATERAL unnest(s.posts) AS p(post)
            WHERE NOT s.existing AND cardinality(s.posts) > 0"""
    )
    # The organizations given new members, found by code (a join of the staged rows to the
    # register by ID hash read through a cursor took 27 s at province size).
    ctx.state[DEFERRED_COUNTS] |= {
        org_id
        for (org_id,) in st.fetch_rows(
            f"""SELECT o.id FROM orgs_organization o WHERE EXISTS (
                SELECT 1 FROM {STAGED_TABLE} s WHERE s.org_code = o.code AND NOT s.existing)"""
        )
    }
    for batch in st.fetch_batches(
        f"""SELECT m.id, s.name, o.path, s.after
            FROM {STAGED_TABLE} s JOIN members_member m ON m.id_hash = s.id_hash
            JOIN orgs_organization o ON o.id = m.organization_id
            WHERE NOT s.existing ORDER BY s.n"""
    ):
        audit.record_creations(ctx.actor, "党员", batch)
        members_created.send(Member, member_ids=[values[0] for values in batch])
    return created


def _check_chunk(chunk: st.RawChunk) -> tuple[str, list[tuple[int, str, str]], list]:
    """A chunk checked by the rules of one row (in a worker process): its valid rows as COPY
    lines for the staging table, (row number, ID hash, ID number) of each, and the problems
    as (row, column, reason)."""
    rows = chunk.source_rows()
    refused = take_error_values(rows) if chunk.may_hold_error_values else []
    good, errors = check_rows(rows, _CHECKING["directory"], _CHECKING["today"], find_repeats=False)
    if refused:  # the rest of such a row may only follow from its error value
        muted = {number for number, _column, _reason in refused}
        good = [row for row in good if row.number not in muted]
        errors = sorted(refused + [e for e in errors if e[0] not in muted])
    text = "".join(map(_staged_line, good))
    return text, [(r.number, r.id_hash, r.data.id_number) for r in good], errors


def _staged_line(row: MemberRow) -> str:
    """The row as a COPY line of the staging table (STAGED_COLUMNS): personal data encrypted
    and masked, and the member as the audit entry of their creation shows them (made with
    the row's check, so writing the entry only chains and stores it)."""
    d = row.data
    id_masked, phone_masked = mask_id_number(d.id_number), mask_phone(d.phone)
    after = member_snapshot(
        id_masked,
        d.name,
        d.gender,
        d.birth_date,
        d.join_date,
        d.member_type,
        row.org_code,
        d.posts,
        phone_masked,
    )
    return copy_text_line(
        (
            str(row.number),
            row.id_hash,
            pii.encrypt(d.id_number),
            d.name,
            d.gender,
            d.birth_date.isoformat(),
            d.join_date.isoformat(),
            d.member_type,
            row.org_code,
            text_array(d.posts),
            pii.encrypt(d.phone),
            id_masked,
            phone_masked,
            "f",  # existing: found on the register later, by the main process
            d.id_number,
            snapshot_json(after),
            d.phone,  # compared with a registered member's (their ciphertexts never match)
        )
    )


def _member_row(values: tuple) -> MemberRow:
    n, id_hash, _id_enc, name, gender, birth, join, kind, org_code, posts = values[:10]
    id_number = values[STAGED_COLUMNS.index("id_number")]
    phone = values[STAGED_COLUMNS.index("phone")]
    data = MemberData(id_number, name, gender, birth, join, kind, tuple(posts), phone)
    return MemberRow(n, data, org_code, id_hash)
