"""Cells of a workbook whose formula failed: #N/A (a VLOOKUP that found nothing), #DIV/0!,
#REF! … and the same words in a CSV file that Excel saved from such a workbook.

python-calamine reads an error cell as an empty one, so an import would quietly blank the
value (a staff count, a phone, the posts). The workbook's own XML says which cells they are;
the import refuses them by name (`runner`).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

# What Excel shows in a cell whose formula failed.
EXCEL_ERRORS = frozenset(
    ("#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!")
)
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ERROR_TYPE = re.compile(rb"""\bt=["']e["']""")
_MAY_BE_ERROR_TYPE = re.compile(rb"""t=["']e["']""")  # a quick look over a whole sheet
# A cell element, its attributes and its content (a spreadsheet may prefix the tags: <x:c>).
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REFERENCE = re.compile(rb"""\br=["']([A-Z]{1,3})(\d+)["']""")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</")


def error_message(column: str, shown: str) -> str:
    return f"{column}是 Excel 的错误值 {shown}（公式未能算出结果），请改为实际的值"


def take_error_values(rows) -> list[tuple[int, str, str]]:
    """(row, column, reason) of each value of `rows` (SourceRows) that is an Excel error
    value as Excel shows it (a CSV file saved from Excel holds it so; a workbook's error
    cells are read so, `sources.read_xlsx`); such values are made empty (None)."""
    found = []
    for row in rows:
        for column, value in row.values.items():
            if type(value) is str and value.strip() in EXCEL_ERRORS:
                found.append((row.number, column, error_message(column, value.strip())))
                row.values[column] = None
    return found


def column_index(letters: bytes) -> int:
    """0 for A, 25 for Z, 26 for AA."""
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def error_cells(path: Path) -> dict[str, list[tuple[int, int, str]]]:
    """(row, column, what Excel shows) of every error cell, both 0-based, by sheet name (as the
    workbook spells it). Sheets without one are left out; a part that cannot be read is taken
    as holding none (the reader reports a damaged file itself)."""
    found: dict[str, list[tuple[int, int, str]]] = {}
    try:
        with zipfile.ZipFile(path) as book:
            for name, part in _sheet_parts(book).items():
                try:
                    data = book.read(part)
                except KeyError:
                    continue
                if _MAY_BE_ERROR_TYPE.search(data) is None:
                    continue
                cells = []
                for cell in _CELL.finditer(data):
                    attributes = cell.group(1)
                    if _ERROR_TYPE.search(attributes) is None:
                        continue
                    reference = _REFERENCE.search(attributes)
                    if reference is None:
                        continue
                    value = _VALUE.search(cell.group(2) or b"")
                    shown = value.group(1).decode(errors="replace") if value else "#VALUE!"
                    cells.append((int(reference[2]) - 1, column_index(reference[1]), shown))
                if cells:
                    found[name] = cells
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError):
        return {}
    return found


def _sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """The part (xl/worksheets/sheet1.xml) of each sheet, by name."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    relations = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in relations}
    parts = {}
    for sheet in workbook.iter():
        if sheet.tag.rpartition("}")[2] != "sheet":
            continue
        target = targets.get(sheet.get(_RELATIONSHIP_ID), "")
        if target:
            part = target[1:] if target.startswith("/") else posixpath.join("xl", target)
            parts[sheet.get("name", "")] = posixpath.normpath(part)
    return parts
