"""Staging a large CSV file in PostgreSQL for set-based validation (SPEC §5, §7).

The file's bytes go to the server through COPY into an unlogged table, one text column per
header column and `n`, the data row's position: sheet row number = n + 1, as in the row-by-row
reader. The table is made inside the import's transaction, or ahead of it on another connection
(`imports.read_ahead`, which drops what it made when the import does not commit).
Checks then run as SQL over the staged rows; the few rows that are not in the plain shape the
SQL understands are read back and judged by the same Python rules as a small file, so both
paths give the same verdicts and messages.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from dangjian.imports.registry import ImportContext, SourceRow
from dangjian.imports.sources import (
    GB18030,
    NUL_IN_ROW,
    clean_header,
    csv_encoding,
    file_holds,
    first_row_with_nul,
    is_blank,
    not_utf8,
)

if TYPE_CHECKING:
    import psycopg

CHUNK_BYTES = 4 << 20
FETCH_ROWS = 20000
MAX_LISTED_ROWS = 100_000  # issues listed per sheet at most; past it the file is rejected whole
_BOM = b"\xef\xbb\xbf"
_LINE = re.compile(r"line (\d+)")
_BLANK_LINE = re.compile(rb"(?m)^(\r?\n)")
# Characters Python's str.strip() removes: a value starting or ending with one is not "plain".
STRIPPED = "\\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u001c-\u001f\ufeff"
EDGE_SPACE = f"^[{STRIPPED}]|[{STRIPPED}]$"

Meter = Callable[[str, int, int], None]


@dataclass
class StagedFile:
    """A CSV file staged in table `table`; `col[name]` is the SQL column of a sheet column."""

    sheet: str
    path: Path
    table: str
    col: dict[str, str]
    rows: int = 0

    def temp(self, suffix: str) -> str:
        """Name of a helper table of this staging."""
        return f"{self.table}_{suffix}"


def read_header(path: Path) -> list[str]:
    """The header row of a CSV file, cleaned like the row-by-row reader's."""
    with path.open(encoding=csv_encoding(path), newline="") as handle:
        header = next(csv.reader(handle), [])
    return clean_header(header)


# Other names officers give a column, too far from its own for a near match (联系电话 for
# 手机号); a header cell spelled like one is named as the column it probably is.
COLUMN_ALIASES = {
    "手机号": ("联系电话", "电话", "电话号码", "手机", "手机号码", "联系方式"),
    "身份证号": ("公民身份号码", "身份证", "证件号码"),
    "党员类型": ("党员身份", "人员类别"),
    "所在组织编码": ("支部编码", "党组织编码"),
    "党内职务": ("职务",),
    "工作人员数": ("在编人数", "职工人数", "人数"),
    "专职党务人员数": ("专职党务干部数", "党务人员数"),
}


def header_issues(
    sheet: str, header: list[str], columns: Sequence[str], ctx: ImportContext, row: int = 1
):
    """Record every column missing from a sheet's header (on its `row`), naming the header
    cell that was probably meant for it (身份证号码 for 身份证号, 入党时间 for 入党日期); True
    when all are present."""
    ok = True
    others = [cell for cell in header if cell and cell not in columns]
    for column in columns:
        if column not in header:
            reason = f"缺少列“{column}”（表头应为：{'、'.join(columns)}"
            near = difflib.get_close_matches(column, others, n=1, cutoff=0.5) or [
                cell for cell in others if cell in COLUMN_ALIASES.get(column, ())
            ]
            if near:
                reason += f"；表中的“{near[0]}”若即此列，请将表头改为“{column}”"
            ctx.error(sheet, row, column, reason + "）")
            ok = False
    return ok


def _chunks(path: Path, fill_blank_lines: str | None) -> Iterator[bytes]:
    """The file after its header line, in chunks ending at a line end."""
    with path.open("rb") as handle:
        head = handle.read(CHUNK_BYTES)
        if head.startswith(_BOM):
            head = head[len(_BOM) :]
        carry = head
        while True:
            more = handle.read(CHUNK_BYTES)
            data = carry + more
            if not more:
                if data:
                    yield _fill(data if data.endswith(b"\n") else data + b"\n", fill_blank_lines)
                return
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            if cut:
                yield _fill(data[:cut], fill_blank_lines)


def _fill(chunk: bytes, filler: str | None) -> bytes:
    """Blank lines as empty rows of the right width (COPY refuses a line without columns)."""
    if filler is None:
        return chunk
    return _BLANK_LINE.sub(filler.encode() + rb"\1", chunk)  # keeps the line's own ending


def _copy(staged: StagedFile, width: int, meter: Meter | None, fill: bool) -> int:
    """COPY the file's bytes (blank lines filled with empty cells when `fill`); returns how
    many rows the server stored."""
    names = ", ".join(f"c{i}" for i in range(width))
    total = staged.path.stat().st_size
    done = 0
    filler = "," * (width - 1) if fill else None
    # The server turns GBK into the database's UTF-8 itself (its bytes for "\n", "," and '"'
    # never occur inside a character, so the chunks still end at line ends).
    encoding = ", ENCODING 'GB18030'" if csv_encoding(staged.path) == GB18030 else ""
    with connection.cursor() as cursor:
        sql = f"COPY {staged.table} ({names}) FROM STDIN (FORMAT csv, HEADER true{encoding})"
        with cursor.cursor.copy(sql) as copy:
            for chunk in _chunks(staged.path, filler):
                copy.write(chunk)
                done += len(chunk)
                if meter:
                    meter(staged.sheet, done, total)
        return cursor.cursor.rowcount


def stage_csv(
    sheet: str,
    name: str,
    path: Path,
    columns: Sequence[str],
    ctx: ImportContext,
    meter: Meter | None = None,
) -> StagedFile | None:
    """COPY a CSV file into a fresh unlogged table; None (with issues recorded) when the file's
    header lacks a column or its bytes are not CSV the database can read."""
    header = read_header(path)
    if not header_issues(sheet, header, columns, ctx):
        return None
    table = f"imp_stage{ctx.staging_tag}_{name}"
    staged = StagedFile(sheet, path, table, {c: f"c{header.index(c)}" for c in columns})
    width = len(header)
    cols = ", ".join(f"c{i} text" for i in range(width))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE UNLOGGED TABLE {table} (n bigint GENERATED ALWAYS AS IDENTITY, {cols})"
            " WITH (autovacuum_enabled = false)"
        )
    # The bytes go as they are; a file with blank lines goes again with them filled in, and a
    # file with short rows (trailing empty cells left out) through Python's CSV reader, which
    # pads them as the row-by-row reader does.
    mode = "bytes"
    copied = None  # rows COPY reported (the padded path counts them afterwards)
    while True:
        try:
            with transaction.atomic():
                if mode != "bytes":  # numbering restarts: a failed COPY used up identities
                    execute(f"ALTER TABLE {table} ALTER COLUMN n RESTART WITH 1")
                if mode == "rows":
                    long_row = _copy_padded(staged, width, meter)
                    if long_row:
                        ctx.error(sheet, long_row, "", TOO_MANY_CELLS)
                        return None
                else:
                    copied = _copy(staged, width, meter, fill=mode == "filled")
            break
        except (_psycopg().Error, UnicodeDecodeError) as exc:
            if mode == "bytes" and _is_blank_line_error(exc):
                mode = "filled"
                continue
            if mode != "rows" and _is_short_row_error(exc):
                mode = "rows"
                continue
            line = _error_line(exc) if isinstance(exc, _psycopg().Error) else None
            ctx.error(sheet, line or 0, "", _copy_message(exc, line))
            return None
    # No index and no statistics: each sheet reads its staged table once, whole, into its typed
    # table (a primary key on n cost 9 s for a province's 35 M dues rows and served nothing).
    staged.rows = copied if copied is not None else scalar(f"SELECT count(*) FROM {table}")
    return staged


def _copy_padded(staged: StagedFile, width: int, meter: Meter | None) -> int:
    """COPY the file's records read by Python's CSV reader, short ones padded with empty
    cells; returns the line number of the first record with more cells than the header (and
    stops there), or 0."""
    names = ", ".join(f"c{i}" for i in range(width))
    total = staged.path.stat().st_size
    with (
        staged.path.open("rb") as raw,
        io.TextIOWrapper(raw, encoding=csv_encoding(staged.path), newline="") as text,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {staged.table} ({names}) FROM STDIN") as copy,
    ):
        reader = csv.reader(text)
        next(reader, None)
        for count, cells in enumerate(reader, start=1):
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                return reader.line_num
            cells = [c if c != "" else None for c in cells[:width]]
            copy.write_row(cells + [None] * (width - len(cells)))
            if meter and count % 100_000 == 0:
                meter(staged.sheet, raw.tell(), total)
    if meter:
        meter(staged.sheet, total, total)
    return 0


def _psycopg():
    """PostgreSQL's client, imported when a file is staged (only PostgreSQL stages; an import
    on SQLite does not load it)."""
    import psycopg

    return psycopg


def _is_short_row_error(exc: Exception) -> bool:
    message = str(getattr(getattr(exc, "diag", None), "message_primary", "") or "")
    return isinstance(exc, _psycopg().errors.BadCopyFileFormat) and "missing data" in message


def _error_line(exc: psycopg.Error) -> int | None:
    context = getattr(exc.diag, "context", None) or ""
    match = _LINE.search(context)
    return int(match[1]) if match else None


def _is_blank_line_error(exc: psycopg.Error) -> bool:
    context = getattr(exc.diag, "context", None) or ""
    return isinstance(exc, _psycopg().errors.BadCopyFileFormat) and context.endswith(': ""')


def _copy_message(exc: Exception, line: int | None) -> str:
    errors = _psycopg().errors
    if isinstance(exc, errors.CharacterNotInRepertoire) and (
        "0x00" in str(exc.diag.message_primary or "")
    ):
        return NUL_IN_ROW
    if isinstance(
        exc,
        errors.CharacterNotInRepertoire | errors.UntranslatableCharacter | UnicodeDecodeError,
    ):
        return "文件不是 UTF-8 或 GBK 编码的 CSV，请另存为“CSV UTF-8”后重新导入"
    detail = str(exc.diag.message_primary or "")
    if "extra data" in detail:
        return TOO_MANY_CELLS
    if "newline" in detail or "carriage return" in detail:
        return "该行的换行符与前面的行不一致（文件中混用了不同的换行方式），请统一后另存为 CSV"
    if "extra data" in detail or "missing data" in detail:
        return "该行的列数与表头不一致（检查是否有多余或缺少的逗号、未闭合的引号）"
    if "quoted" in detail or "quote" in detail:
        return "该行有未闭合的引号"
    return "无法读取该行（CSV 格式有误）"


TOO_MANY_CELLS = "该行的列数多于表头（检查是否有多余的逗号、未闭合的引号）"
CARDINALITY_VIOLATION = "21000"  # an upsert met the same key twice: a key repeated in the file


def merge_unless_repeated(merge: Callable[[], tuple[int, int]]) -> tuple[int, int] | None:
    """Run an `INSERT … ON CONFLICT DO UPDATE` merge in a savepoint: its (created, updated),
    or None when the staged rows repeat a key (the caller then names the repeated rows)."""
    try:
        with transaction.atomic():
            return merge()
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != CARDINALITY_VIOLATION:
            raise
        return None


def too_many_issues(ctx: ImportContext, sheet: str) -> bool:
    """Past MAX_LISTED_ROWS issues of a sheet the rest is not looked at: say so once."""
    count = sum(1 for issue in ctx.issues if issue.sheet == sheet)
    if count < MAX_LISTED_ROWS:
        return False
    ctx.error(sheet, 0, "", f"有误的行超过{MAX_LISTED_ROWS}行，其余行未再检查，请先修正以上问题")
    return True


def use_bulk_memory() -> None:
    """Give the import's transaction the working memory of a bulk load (IMPORT_WORK_MEM,
    IMPORT_MAINTENANCE_WORK_MEM; reset when it ends): a province's checks hash millions of
    distinct ID numbers and join tens of millions of staged rows to them, which under the
    server's default 4 MB would spill to disk batch after batch."""
    execute(
        "SELECT set_config('work_mem', %s, true), set_config('maintenance_work_mem', %s, true)",
        [settings.IMPORT_WORK_MEM, settings.IMPORT_MAINTENANCE_WORK_MEM],
    )


def drop(*tables: str) -> None:
    """Drop helper tables of a staging (they are dropped with the transaction anyway)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def drop_staging(tag: str = "") -> None:
    """Drop every staging table left, or those of the run marked `tag` (the import's last
    step: staged rows hold names and personal data that belong only in the product's
    tables)."""
    pattern = "imp\\_stage" + tag.replace("_", "\\_") + "\\_%"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables"
            " WHERE schemaname = current_schema() AND tablename LIKE %s",
            [pattern],
        )
        tables = [name for (name,) in cursor.fetchall()]
    drop(*tables)


def fetch_batches(sql: str, params: Sequence = ()) -> Iterator[list[tuple]]:
    """Rows of a query in lists of FETCH_ROWS, through a server-side cursor (bounded memory).
    The caller may use the connection between batches (e.g. COPY a batch), never inside one."""
    with connection.cursor() as outer:
        raw = outer.cursor.connection.cursor(name=f"imp_fetch_{id(sql) % 10**6}")
        try:
            raw.execute(sql, params)
            while rows := raw.fetchmany(FETCH_ROWS):
                yield rows
        finally:
            raw.close()


def fetch_rows(sql: str, params: Sequence = ()) -> Iterator[tuple]:
    """Rows of a query one by one (see fetch_batches); no COPY while iterating."""
    for batch in fetch_batches(sql, params):
        yield from batch


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY rows into a helper table; returns how many. `rows` must not read from the
    database while the COPY runs (materialize them first)."""
    count = 0
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def copy_text(table: str, columns: Sequence[str], text: str) -> None:
    """COPY lines made by `copy_line` into a helper table."""
    if not text:
        return
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(text.encode())


def source_row(columns: Sequence[str], n: int, values: Sequence) -> SourceRow:
    """A staged row as the row-by-row rules take it (empty cells are None, as when reading)."""
    return SourceRow(
        n + 1, {c: (None if v == "" else v) for c, v in zip(columns, values, strict=True)}
    )


def scalar(sql: str, params: Sequence = ()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def execute(sql: str, params: Sequence = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@dataclass
class RawChunk:
    """Rows of a CSV file as read: (row number, cells padded to the header's width), and
    where each sheet column is. Cheap to send to another process."""

    positions: dict[str, int]
    rows: list[tuple[int, list[str]]]
    may_hold_error_values: bool = False  # the file holds a "#" (of #N/A …) somewhere

    def source_rows(self) -> list[SourceRow]:
        """The rows as the row-by-row reader gives them (empty cells None)."""
        items = list(self.positions.items())
        return [
            SourceRow(number, {c: (cells[i] or None) for c, i in items})
            for number, cells in self.rows
        ]


def csv_chunks(
    sheet: str,
    path: Path,
    columns: Sequence[str],
    ctx: ImportContext,
    size: int,
    meter: Meter | None = None,
) -> Iterator[RawChunk]:
    """A CSV file read in chunks of at most `size` rows as the row-by-row reader would give
    them (rows with none of `columns` filled skipped but counted; `RawChunk.source_rows`
    makes empty cells None); nothing when a column is missing. Nothing either from a file
    holding a NUL: its first record with one is named, as the row-by-row reader names it."""
    header = read_header(path)
    if not header_issues(sheet, header, columns, ctx):
        return
    marks = file_holds(path, (b"\x00", b"#"))
    if b"\x00" in marks:
        try:
            with path.open(encoding=csv_encoding(path), newline="") as handle:
                ctx.error(sheet, first_row_with_nul(csv.reader(handle), []), "", NUL_IN_ROW)
        except UnicodeDecodeError:
            ctx.error(sheet, 0, "", not_utf8(path))
        return
    hashes = b"#" in marks
    positions = {c: header.index(c) for c in columns}
    width = len(header)
    total = path.stat().st_size
    with path.open(encoding=csv_encoding(path), newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        batch: list[tuple[int, list[str]]] = []
        try:
            wanted = list(positions.values())
            first = wanted[0]
            for number, cells in enumerate(reader, start=2):
                if len(cells) < width:
                    cells = cells + [""] * (width - len(cells))
                # blank, or only the file's own columns filled (序号, 备注)
                if not cells[first].strip() and is_blank([cells[i] for i in wanted]):
                    continue
                batch.append((number, cells))
                if len(batch) >= size:
                    yield RawChunk(positions, batch, hashes)
                    batch = []
                    if meter:
                        meter(
                            sheet, handle.buffer.tell() if hasattr(handle, "buffer") else 0, total
                        )
        except UnicodeDecodeError:
            ctx.error(sheet, 0, "", not_utf8(path))
            return
        if batch:
            yield RawChunk(positions, batch, hashes)
        if meter:
            meter(sheet, total, total)
