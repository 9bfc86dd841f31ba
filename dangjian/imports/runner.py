"""Running an import end to end, all-or-nothing (SPEC §5).

1. read every sheet; 2. check headers; 3. validate every present sheet (no writes);
4. if any row is bad, change nothing and report every issue; 5. otherwise apply the sheets in
registry order inside the same transaction and write one audit entry for the run.
"""

from __future__ import annotations

import difflib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core.bulk import lock_for_sequence
from dangjian.core.errors import BusinessError
from dangjian.core.signals import results_changed
from dangjian.imports import references, staging
from dangjian.imports.excel_errors import take_error_values
from dangjian.imports.models import ImportRun
from dangjian.imports.read_ahead import ReadAhead
from dangjian.imports.registry import (
    INSTRUCTIONS_SHEET,
    ImportContext,
    ImportIssue,
    SheetResult,
    SourceRow,
    get_sheet,
    registered_sheets,
)
from dangjian.imports.sources import SheetData, clean_header, is_blank, read_source
from dangjian.imports.staging import Meter, header_issues
from dangjian.imports.streaming import StreamingSheet, registered_streaming, streams
from dangjian.orgs.querysets import is_jurisdiction_root


@dataclass
class ImportOutcome:
    """The result of one run: per-sheet counts when it succeeded, otherwise the issues."""

    ok: bool
    results: dict[str, SheetResult] = field(default_factory=dict)
    issues: list[ImportIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    run: ImportRun | None = None


STRUCTURE_SHEET = "组织"
READING = "读取文件"


class _Rejected(Exception):
    """Raised inside the transaction to roll it back when validation failed."""


# A sheet's header may sit under a title of up to this many rows (附件1, 表名, 填报单位…).
TITLE_ROWS = 5


def _header_and_rows(
    sheet: SheetData, columns: tuple[str, ...]
) -> tuple[int, list[str], list[tuple[int, list]]]:
    """(row number, cells) of the header and the data rows below it. The header is row 1 or,
    in a workbook, when row 1 lacks some of `columns`, the first of the next TITLE_ROWS
    non-empty rows that holds them all (officers' workbooks put a title above the table);
    when none does, the row that holds the most of them, so that the missing ones are named
    on the row that was meant as the header."""
    if not sheet.may_have_title or all(column in sheet.header for column in columns):
        return 1, sheet.header, sheet.rows
    best = (sum(column in sheet.header for column in columns), 1, sheet.header, sheet.rows)
    for index, (number, cells) in enumerate(sheet.rows[:TITLE_ROWS]):
        header = clean_header(cells)
        found = sum(column in header for column in columns)
        if found == len(columns):
            return number, header, sheet.rows[index + 1 :]
        if found > best[0]:
            best = (found, number, header, sheet.rows[index + 1 :])
    return best[1:]


def _rows_for(
    sheet: SheetData, columns: tuple[str, ...], ctx: ImportContext
) -> list[SourceRow] | None:
    """The sheet's data rows by column; None when a column is missing (reported). A row with
    none of `columns` filled (only a 序号 or 备注 of the officer's own) is no data row; a cell
    holding an Excel error value (#N/A) is reported as such and read as empty, the other
    problems of its row left unsaid (they may only follow from it)."""
    header_row, header, data = _header_and_rows(sheet, columns)
    if not header_issues(sheet.name, header, columns, ctx, row=header_row):
        return None
    positions = {column: header.index(column) for column in columns}
    width = len(header)
    rows = []
    for number, cells in data:
        if len(cells) < width:
            cells = list(cells) + [None] * (width - len(cells))
        values = {c: cells[i] for c, i in positions.items()}
        if not is_blank(values.values()):
            rows.append(SourceRow(number, values))
    if sheet.may_hold_error_values:
        refused = take_error_values(rows)
        for number, column, reason in refused:
            ctx.error(sheet.name, number, column, reason)
        for number in {number for number, _column, _reason in refused}:
            ctx.mute(sheet.name, number)
    return rows


def _ignored_sheet(name: str) -> str:
    """The warning for a sheet no importer reads, naming the sheet it was probably meant to be
    (党员信息 for 党员)."""
    known = [importer.sheet for importer in registered_sheets()]
    warning = f"已忽略工作表“{name}”（可导入的工作表：{'、'.join(known)}"
    if near := difflib.get_close_matches(name, known, n=1, cutoff=0.5):
        warning += f"；若它就是“{near[0]}”表，请将工作表改名为“{near[0]}”"
    return warning + "）"


def _issue_order(issue: ImportIssue) -> tuple:
    """File-level problems first, then by sheet load order, row, and column position."""
    importer = get_sheet(issue.sheet)
    if importer is None:
        return (0, 0, issue.row, 0)
    column = importer.columns.index(issue.column) if issue.column in importer.columns else 99
    return (1, importer.order, issue.row, column)


def _read_ahead(streamed: list[tuple[StreamingSheet, Path]], ctx: ImportContext) -> ReadAhead:
    """The streamed sheets that can be staged ahead, started on a connection of their own."""
    ctx.staging_tag = f"_{secrets.token_hex(3)}"
    work = []
    for importer, file in streamed:
        if (stage := importer.stage_ahead(file, ctx)) is not None:
            work.append((importer.sheet, stage))
    return ReadAhead(ctx, work).start()


def scope_root_for(user):
    """The organization whose subtree an import by `user` may change: None when their scope is
    the whole jurisdiction (the tree's root)."""
    scope = user.scope
    return None if scope is None or is_jurisdiction_root(scope.path) else scope


def run_import(
    path: Path | str,
    *,
    actor=None,
    scope_root=None,
    dry_run: bool = False,
    filename: str | None = None,
    progress: Callable[[str], None] | None = None,
    meter: Meter | None = None,
    run: ImportRun | None = None,
) -> ImportOutcome:
    """Import a workbook or CSV directory. Nothing is written unless every row is valid.

    A CSV directory on PostgreSQL streams its big sheets through staging tables
    (`imports.streaming`); `meter(sheet, bytes_done, bytes_total)` follows their loading.
    The outcome is recorded in `run` when given (a queued upload), else in a new ImportRun."""
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    say(READING)
    outcome = ImportOutcome(ok=False)
    ctx = ImportContext(actor=actor, scope_root=scope_root, today=timezone.localdate())
    streamed = []
    if streams(Path(path)):
        for importer in registered_streaming():
            file = Path(path) / f"{importer.sheet}.csv"
            if file.is_file():
                streamed.append((importer, file))
    try:
        sheets = read_source(Path(path), frozenset(imp.sheet for imp, _f in streamed))
    except BusinessError as exc:
        ctx.error("", 0, "", exc.message)
        sheets = []
    plan = []
    for sheet in sheets:
        importer = get_sheet(sheet.name)
        if importer is None:
            if sheet.name != INSTRUCTIONS_SHEET:
                outcome.warnings.append(_ignored_sheet(sheet.name))
            continue
        if sheet.broken is not None:
            row, reason = sheet.broken
            ctx.error(sheet.name, row, "", reason)
            continue
        rows = _rows_for(sheet, importer.columns, ctx)
        if rows is not None:
            plan.append((importer, rows))
            outcome.rows += len(rows)
    if not plan and not streamed and not ctx.issues:
        known = "、".join(imp.sheet for imp in registered_sheets())
        ctx.error("", 0, "", f"文件中没有可导入的工作表（应为：{known}）")
    steps = sorted(plan + streamed, key=lambda item: item[0].order)
    staged = {}
    ahead = None
    try:
        with transaction.atomic():
            lock_for_sequence("import")
            if streamed:
                staging.use_bulk_memory()
                ahead = _read_ahead(streamed, ctx)
            for importer, rows in steps:
                if isinstance(rows, Path):
                    say(f"读入“{importer.sheet}”")
                    if importer.sheet in ahead:
                        staged[importer.sheet] = ahead.take(importer.sheet, ctx, meter)
                    else:
                        staged[importer.sheet] = importer.stage(rows, ctx, meter)
                    if staged[importer.sheet] is None:
                        continue
                    outcome.rows += staged[importer.sheet].rows
                    say(f"校验“{importer.sheet}” {staged[importer.sheet].rows} 行")
                    importer.validate(staged[importer.sheet], ctx)
                else:
                    say(f"校验“{importer.sheet}” {len(rows)} 行")
                    importer.validate(rows, ctx)
            if ctx.issues:
                for importer, rows in steps:
                    if isinstance(rows, Path) and staged.get(importer.sheet) is not None:
                        importer.validate_rejected(staged[importer.sheet], ctx)
                raise _Rejected
            checks_references_at_end = bool(streamed) and references.skip_row_checks()
            for importer, rows in steps:
                say(f"写入“{importer.sheet}”")
                if isinstance(rows, Path):
                    outcome.results[importer.sheet] = importer.apply(staged[importer.sheet], ctx)
                else:
                    outcome.results[importer.sheet] = importer.apply(ctx)
            if checks_references_at_end:
                say("核对引用")
                for dangling in references.verify():
                    ctx.error("", 0, "", dangling.message())
            if ctx.issues:  # found only while merging (e.g. a repeated key in a streamed sheet)
                raise _Rejected
            if streamed:  # this run's tables, and any a run that was killed left
                staging.drop_staging()
            if dry_run:
                transaction.set_rollback(True)
            else:
                if STRUCTURE_SHEET in outcome.results:  # the tree may have changed shape
                    results_changed.send(ImportRun, kind="structure")
                summary = {name: vars(res) for name, res in outcome.results.items()}
                audit.record(
                    actor,
                    [
                        audit.Change(
                            audit.Action.IMPORT,
                            "导入",
                            "",
                            filename or Path(path).name,
                            scope_root.path if scope_root else "",
                            after=summary,
                        )
                    ],
                )
        outcome.ok = True
    except _Rejected:
        pass
    finally:
        if ahead is not None:
            ahead.close()
    outcome.issues = sorted(ctx.issues, key=_issue_order)
    outcome.seconds = time.perf_counter() - started
    if not dry_run:
        outcome.run = _record(outcome, run, actor, scope_root, filename or Path(path).name)
    return outcome


def _record(outcome: ImportOutcome, run: ImportRun | None, actor, scope_root, filename: str):
    """`run` (or a new ImportRun) holding the outcome."""
    if run is None:
        run = ImportRun(
            actor=actor if actor is not None and actor.pk else None,
            scope_path=scope_root.path if scope_root else getattr(actor, "scope_path", "") or "",
            filename=filename[:255],
        )
    run.status = ImportRun.Status.SUCCEEDED if outcome.ok else ImportRun.Status.REJECTED
    run.rows = outcome.rows
    run.seconds = round(outcome.seconds, 3)
    run.summary = {name: vars(res) for name, res in outcome.results.items()}
    run.issues = [i.as_list() for i in outcome.issues]
    run.warnings = outcome.warnings
    run.save()
    return run
