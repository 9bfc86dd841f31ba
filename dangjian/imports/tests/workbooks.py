"""Builders of small §5 workbooks for tests."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from dangjian.members.sheet import COLUMNS as MEMBER_COLUMNS
from dangjian.orgs.sheet import COLUMNS as ORG_COLUMNS


def write_xlsx(
    path: Path, orgs: list[list] | None = None, members: list[list] | None = None
) -> Path:
    """An .xlsx with the given rows under the §5 headers (a sheet is left out when None)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, columns, rows in (("组织", ORG_COLUMNS, orgs), ("党员", MEMBER_COLUMNS, members)):
        if rows is None:
            continue
        sheet = workbook.create_sheet(name)
        sheet.append(list(columns))
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def write_csv_dir(
    directory: Path, orgs: list[list] | None = None, members: list[list] | None = None
) -> Path:
    """A CSV directory with 组织.csv / 党员.csv."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, columns, rows in (("组织", ORG_COLUMNS, orgs), ("党员", MEMBER_COLUMNS, members)):
        if rows is None:
            continue
        with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(rows)
    return directory
