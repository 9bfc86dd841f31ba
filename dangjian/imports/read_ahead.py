"""Staging the big sheets ahead, on a connection of their own (SPEC §7).

An import of a province checks its 3 M members in worker processes for more than a minute,
while the database has little to do; staging the 组织生活 and 党费 files (COPY, then parsing
tens of millions of cells into typed rows) needs only the files. `ReadAhead` does that work
in a thread with its own database connection, sheet after sheet in load order, while the
import's transaction checks the sheets before them; the import then takes each staged sheet
when it reaches it.

What is staged ahead is committed by the other connection, so it is not undone with the
import's transaction: the tables carry the run's tag (`ImportContext.staging_tag`) and are
dropped by the import when it commits, or by `close` when it does not. Issues the staging
found (a missing column, bytes that are not CSV) are handed over with the staged sheet.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db import Error as DatabaseErrorBase

from dangjian.imports import staging
from dangjian.imports.registry import ImportContext, ImportIssue
from dangjian.imports.staging import Meter, StagedFile
from dangjian.imports.streaming import StageWork

METER_SECONDS = 0.2


@dataclass
class _Result:
    staged: StagedFile | None = None
    issues: list[ImportIssue] = field(default_factory=list)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    progress: tuple[str, int, int] | None = None  # the meter's last (sheet, done, total)

    def meter(self, sheet: str, done: int, total: int) -> None:
        self.progress = (sheet, done, total)


class ReadAhead:
    """Sheets staged by a background thread; `take(sheet, ctx)` waits for one."""

    def __init__(self, ctx: ImportContext, work: Sequence[tuple[str, StageWork]]):
        self._ctx = ctx
        self._work = list(work)
        self._results = {sheet: _Result() for sheet, _work in self._work}
        self._stopping = False
        self._side = None  # the thread's connection, to cancel what it runs
        self._thread = threading.Thread(target=self._run, name="import-read-ahead", daemon=True)

    def start(self) -> ReadAhead:
        if self._work:
            self._thread.start()
        return self

    def __contains__(self, sheet: str) -> bool:
        return sheet in self._results

    def _run(self) -> None:
        self._side = connections[DEFAULT_DB_ALIAS]  # this thread's own, not the proxy
        try:
            for sheet, work in self._work:
                result = self._results[sheet]
                if self._stopping:
                    result.done.set()
                    continue
                side_ctx = ImportContext(
                    actor=self._ctx.actor,
                    scope_root=self._ctx.scope_root,
                    today=self._ctx.today,
                    staging_tag=self._ctx.staging_tag,
                )
                try:
                    result.staged = work(side_ctx, result.meter)
                except BaseException as exc:  # handed to the import, which raises it
                    result.error = exc
                    self._stopping = True
                result.issues = side_ctx.issues
                result.done.set()
        finally:
            connection.close()

    def take(self, sheet: str, ctx: ImportContext, meter: Meter | None) -> StagedFile | None:
        """The sheet as staged ahead, its issues recorded in `ctx`; while waiting for it,
        `meter` follows its loading (from this thread: the bar is this thread's)."""
        result = self._results[sheet]
        while not result.done.wait(METER_SECONDS):
            if meter and result.progress:
                meter(*result.progress)
        if meter and result.progress:
            meter(*result.progress)
        if result.error is not None:
            raise result.error
        ctx.issues.extend(result.issues)
        return result.staged

    def close(self) -> None:
        """Stop what is still running and wait for the thread; drop the tables it made.
        Call after the import's transaction has ended (its commit dropped them already)."""
        self._stopping = True
        while self._thread.is_alive():
            side = self._side
            if side is not None and side.connection is not None:
                with suppress(Exception):  # closed meanwhile: nothing left to cancel
                    side.connection.cancel_safe(timeout=5)
            self._thread.join(0.2)
        if self._work:
            # After a failure of the connection itself the tables stay, for the next import
            # that commits to drop; its error, not this one, is what the caller must see.
            with suppress(DatabaseErrorBase):
                staging.drop_staging(self._ctx.staging_tag)
