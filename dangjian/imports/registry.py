"""The sheet registry (SPEC §5): each capability registers one importer per sheet it owns.

An importer validates its rows without writing (collecting every problem with sheet, row,
column and a Chinese reason), then applies a validated plan set-based. The runner calls every
present sheet's `validate` before any `apply`, all inside one transaction.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# How a NUL quoted in an issue is shown: PostgreSQL's JSON cannot store the character itself
# (a workbook cell can hold it as _x0000_).
NUL_SHOWN = "␀"


@dataclass(frozen=True)
class ImportIssue:
    """One reason a row was rejected."""

    sheet: str
    row: int
    column: str
    message: str

    def __post_init__(self):
        if "\x00" in self.message or "\x00" in self.sheet:
            object.__setattr__(self, "message", self.message.replace("\x00", NUL_SHOWN))
            object.__setattr__(self, "sheet", self.sheet.replace("\x00", NUL_SHOWN))

    def as_list(self) -> list:
        return [self.sheet, self.row, self.column, self.message]


@dataclass
class SheetResult:
    """What applying one sheet did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def counts_text(self) -> str:
        """“新增 3，更新 1，未变 40”, as the command line, the pages and the audit log say it."""
        return f"新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}"


@dataclass
class SourceRow:
    """A data row: its 1-based row number in the sheet (header is row 1) and values by column."""

    number: int
    values: dict[str, Any]


@dataclass
class ImportContext:
    """State shared by the sheets of one import run."""

    actor: Any = None
    scope_root: Any = None  # an Organization, or None for the whole jurisdiction
    today: dt.date = field(default_factory=dt.date.today)
    issues: list[ImportIssue] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    # Marks the names of the staging tables this run makes outside its transaction (sheets
    # staged ahead, `imports.read_ahead`), so no other run's clean-up drops them.
    staging_tag: str = ""
    # Rows (sheet, row) whose problem is already said (an Excel error value, read as empty):
    # what the rules would add about them (不能为空, a sum that no longer adds up) is not.
    muted: set[tuple[str, int]] = field(default_factory=set)

    def error(self, sheet: str, row: int, column: str, message: str) -> None:
        """Record a problem; the import will change nothing."""
        if self.muted and (sheet, row) in self.muted:
            return
        self.issues.append(ImportIssue(sheet, row, column, message))

    def mute(self, sheet: str, row: int) -> None:
        """Say nothing more about this row."""
        self.muted.add((sheet, row))

    def clean_row(self, sheet: str, row: SourceRow, checks) -> tuple[dict[str, Any], bool]:
        """Apply (column, clean) pairs to a row; every failing column is recorded. Returns
        the clean values and whether any column failed."""
        from dangjian.core.errors import BusinessError

        values, failed = {}, False
        for column, clean in checks:
            try:
                values[column] = clean(row.values.get(column))
            except BusinessError as exc:
                self.error(sheet, row.number, column, exc.message)
                failed = True
        return values, failed


@dataclass(frozen=True)
class ColumnGuide:
    """How a column is filled in, for the blank template (`imports.template`): a note in
    Chinese, the cell format Excel should keep (text keeps 18-digit ID numbers and codes whole;
    date; number), and the values of a fixed vocabulary (offered as a drop-down)."""

    note: str
    kind: str = "general"  # "text", "date", "number" or "general"
    choices: tuple[str, ...] = ()


# The blank template's sheet of instructions; an import passes over it without a warning.
INSTRUCTIONS_SHEET = "填写说明"


class SheetImporter(ABC):
    """One sheet of the workbook: its columns, validation, application and export."""

    sheet: str
    columns: tuple[str, ...]
    order: int

    def column_guide(self) -> dict[str, ColumnGuide]:
        """How each column is filled in (for the blank template); none by default."""
        return {}

    @abstractmethod
    def validate(self, rows: list[SourceRow], ctx: ImportContext) -> None:
        """Check every row, record issues in ctx, keep the plan in ctx.state. Never writes."""

    @abstractmethod
    def apply(self, ctx: ImportContext) -> SheetResult:
        """Write the plan validated earlier, set-based."""

    @abstractmethod
    def export_rows(self, user, reveal_pii: bool) -> Iterator[tuple]:
        """Rows in column order for the organizations `user` may see."""


_REGISTRY: dict[str, SheetImporter] = {}


def register_sheet(importer: SheetImporter) -> None:
    """Add a capability's sheet; registering the same sheet name again replaces it."""
    _REGISTRY[importer.sheet] = importer


def registered_sheets() -> list[SheetImporter]:
    """Importers in load order (organizations before members before ledgers…)."""
    return sorted(_REGISTRY.values(), key=lambda imp: imp.order)


def get_sheet(name: str) -> SheetImporter | None:
    """The importer of a sheet name, if any capability registered it."""
    return _REGISTRY.get(name)


def in_sheet_order(results: dict[str, object]) -> list[tuple[str, object]]:
    """(sheet, result) pairs in the order the sheets are loaded (a run's summary comes back
    from PostgreSQL's JSON in its own key order); sheets no longer registered come last."""
    return sorted(
        results.items(),
        key=lambda item: (
            _REGISTRY[item[0]].order if item[0] in _REGISTRY else 1_000_000,
            item[0],
        ),
    )
