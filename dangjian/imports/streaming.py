"""Streaming importers: sheets too large to hold as Python rows (SPEC §5, §7).

A CSV directory imported into PostgreSQL sends its big sheets (the ledgers: tens of millions
of rows at province size) through COPY into staging tables and validates them in SQL; memory
stays bounded whatever the file size. Each streaming importer gives the same verdicts and
messages as the sheet's row-by-row importer, which small files, workbooks and SQLite use.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

from dangjian.imports.registry import ImportContext, SheetResult
from dangjian.imports.staging import Meter, StagedFile

# Staging of one file run on another connection, given that run's own context and meter.
StageWork = Callable[[ImportContext, Meter], StagedFile | None]


class StreamingSheet(ABC):
    """One sheet loaded through staging: stage, validate in SQL, merge."""

    sheet: str
    columns: tuple[str, ...]
    order: int

    @abstractmethod
    def stage(self, path: Path, ctx: ImportContext, meter: Meter | None) -> StagedFile | None:
        """COPY the file into staging; None when it could not be read (issues recorded)."""

    def stage_ahead(self, path: Path, ctx: ImportContext) -> StageWork | None:
        """`stage` as work that needs nothing but the file and what is read now, on the
        import's connection: `imports.read_ahead` runs it on a connection of its own while
        the sheets before this one are checked. None when the sheet is staged in turn."""
        return None

    @abstractmethod
    def validate(self, staged: StagedFile, ctx: ImportContext) -> None:
        """Record every bad row in ctx; never writes to the product's tables."""

    @abstractmethod
    def validate_rejected(self, staged: StagedFile, ctx: ImportContext) -> None:
        """Record the issues that the merge would find for free (repeated keys) when the
        file is rejected anyway, by this sheet or another, so none goes unnamed. Called once
        every sheet has been validated."""

    @abstractmethod
    def apply(self, staged: StagedFile, ctx: ImportContext) -> SheetResult:
        """Merge the staged rows set-based; may record issues found only while merging."""


_STREAMING: dict[str, StreamingSheet] = {}


def register_streaming(importer: StreamingSheet) -> None:
    _STREAMING[importer.sheet] = importer


def registered_streaming() -> list[StreamingSheet]:
    return sorted(_STREAMING.values(), key=lambda imp: imp.order)


def streams(path: Path) -> bool:
    """Whether a source is imported through staging: a CSV directory on PostgreSQL whose
    streamable files hold at least IMPORT_STREAMING_MIN_BYTES together, unless
    DANGJIAN_IMPORT_STREAMING is off. A smaller directory (a county's members) is read into
    memory like a workbook: staging's fixed costs (tables, indexes, a second connection)
    would outweigh what it saves."""
    path = Path(path)
    if not (
        path.is_dir()
        and connection.vendor == "postgresql"
        and getattr(settings, "IMPORT_STREAMING", True)
    ):
        return False
    least = getattr(settings, "IMPORT_STREAMING_MIN_BYTES", 0)
    return least <= 0 or streamed_bytes(path) >= least


def streamed_bytes(directory: Path) -> int:
    """The size of the directory's files that a streaming importer reads."""
    files = (directory / f"{importer.sheet}.csv" for importer in _STREAMING.values())
    return sum(file.stat().st_size for file in files if file.is_file())
