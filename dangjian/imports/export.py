"""Writing the SPEC §5 workbook for a user's scope (C1 sheets now; others as they register)."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from dangjian.accounts import audit
from dangjian.accounts.roles import Perm
from dangjian.core.excel import cells
from dangjian.core.snapshot import read_snapshot
from dangjian.imports.registry import registered_sheets

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B22222")


def export_workbook(
    target: Path | str | BinaryIO, user=None, sheets: list[str] | None = None
) -> dict[str, int]:
    """Write every registered sheet (or `sheets`) for `user`'s scope; None means the whole
    jurisdiction from the command line. Returns row counts per sheet.

    Personal information is written in full only for roles allowed to read it (so the file can
    be re-imported); the export is logged, with the count of full records it contained.
    """
    reveal = user is None or user.can(Perm.REVEAL_PII)
    workbook = Workbook(write_only=True)
    counts: dict[str, int] = {}
    viewer = user if user is not None else _Everything()
    try:
        with read_snapshot():  # every sheet from one state, without holding writers back
            for importer in registered_sheets():
                if sheets and importer.sheet not in sheets:
                    continue
                sheet = workbook.create_sheet(importer.sheet)
                sheet.append(list(importer.columns))
                count = 0
                for row in importer.export_rows(viewer, reveal):
                    sheet.append(cells(sheet, row))
                    count += 1
                counts[importer.sheet] = count
    except BaseException:
        _discard(workbook)
        raise
    with transaction.atomic():
        audit.record_export(
            user,
            "工作簿",
            user.scope_path if user is not None else "",
            {"各表行数": counts, "含完整个人信息": reveal},
        )
    workbook.save(target)
    return counts


def _discard(workbook: Workbook) -> None:
    """Close the sheets of a workbook that will not be saved, so that their writers do not
    complain later, while being collected, about files already gone."""
    for sheet in workbook.worksheets:
        with suppress(Exception):
            sheet.close()


class _Everything:
    """The command line's view: the whole jurisdiction."""

    is_authenticated = True
    is_active = True
    scope_path = ""
