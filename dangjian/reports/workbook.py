"""Writing a bulletin's Excel workbook (openpyxl write-only, so a province's lists stream):
one sheet per section, a bold header, column widths, rates as Excel percentages and scores as
numbers, so the figures can be sorted and charted again in Excel."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from dangjian.core.excel import cell

# openpyxl (50 ms to import) is loaded when a workbook is written: the task scheduler loads
# this module with the bulletin tasks at every start of every process.
PERCENT = "0.0%"
SCORE = "0.00"
HEADER_FILL_COLOR = "F3E3E3"


@dataclass(frozen=True)
class Formatted:
    """A value with its own number format (a rate in a column of mixed figures)."""

    value: object
    number_format: str


def rate(value: float | None):
    """A 0..1 rate shown as a percentage."""
    return None if value is None else Formatted(value, PERCENT)


@dataclass
class Sheet:
    """A sheet: title, header, rows; `formats` maps a column index to a number format
    (PERCENT for 0..1 rates), `widths` gives column widths in characters."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence]
    formats: dict[int, str] = field(default_factory=dict)
    widths: Sequence[int] = ()


def _value(sheet, value):
    """Decimals as numbers (two-place scores survive the trip to a double), None as empty,
    text as `core.excel.cell` writes it."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return cell(sheet, value)


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The .xlsx file of `sheets`."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL_COLOR)
    book = Workbook(write_only=True)
    for spec in sheets:
        sheet = book.create_sheet(spec.title[:31])
        sheet.freeze_panes = "A2"
        widths = list(spec.widths) or [max(8, len(h) * 2 + 2) for h in spec.header]
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        header = []
        for text in spec.header:
            title = WriteOnlyCell(sheet, value=cell(sheet, text))
            title.font, title.fill = header_font, header_fill
            title.alignment = Alignment(vertical="center")
            header.append(title)
        sheet.append(header)
        for row in spec.rows:
            values = []
            for i, raw in enumerate(row):
                if isinstance(raw, Formatted):
                    values.append(_formatted(sheet, _value(sheet, raw.value), raw.number_format))
                elif i in spec.formats:
                    values.append(_formatted(sheet, _value(sheet, raw), spec.formats[i]))
                else:
                    values.append(_value(sheet, raw))
            sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _formatted(sheet, value, number_format: str):
    from openpyxl.cell import WriteOnlyCell

    if value is None or not isinstance(value, int | float | Decimal):
        return value  # text (a plain value, or a cell made by `core.excel.cell`)
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell
