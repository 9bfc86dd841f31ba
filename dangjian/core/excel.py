"""Writing Excel workbooks (openpyxl, write-only): cells that hold any text, and small reports
as a download."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.http import content_disposition_header

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a cell cannot hold as it is: the characters XML 1.0 forbids (an import issue quoting a
# cell that held one, text stored before control characters were refused), a carriage return
# (an XML reader makes it a line feed) and an underscore that would start an _xHHHH_ escape.
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def _escape(match: re.Match) -> str:
    return f"_x{ord(match[0]):04X}_"


def cell(sheet, value):
    """`value` as a worksheet cell: None is empty, and text is text. Every character is kept,
    those XML cannot hold (and text of only spaces and line breaks) written as the _xHHHH_
    escapes of Office XML, which Excel and the importer read back as the characters (openpyxl
    refuses the first and drops the second). Text that begins with = stays text: openpyxl
    would write it as a formula, which Excel would run (a name typed as =HYPERLINK(…) would
    become a link)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if _XML_UNSAFE.search(value):
        value = _XML_UNSAFE.sub(_escape, value)
    if value.isspace():  # openpyxl would write it without xml:space, and readers drop it
        value = "".join(map(_escape, value))
    if value.startswith("="):
        return _text_cell(sheet, value)
    return value


def _text_cell(sheet, text: str):
    """A cell of the write-only `sheet` holding `text` as a string, whatever it begins with."""
    from openpyxl.cell import WriteOnlyCell

    written = WriteOnlyCell(sheet, value=text)
    written.data_type = "s"  # openpyxl made it "f" (formula)
    return written


def cells(sheet, row: Iterable) -> list:
    """`cell` of each value of a row of the write-only `sheet`."""
    return [cell(sheet, value) for value in row]


def xlsx_bytes(sheets: dict[str, tuple[Sequence[str], Iterable[Sequence]]]) -> bytes:
    """A workbook with one sheet per entry: (header, rows)."""
    from openpyxl import Workbook  # 50 ms to import: loaded when a workbook is written

    workbook = Workbook(write_only=True)
    for title, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(title[:31])
        sheet.append(cells(sheet, header))
        for row in rows:
            sheet.append(cells(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, sheets: dict[str, tuple[Sequence[str], Iterable[Sequence]]]):
    """A download of a workbook with one sheet per entry: (header, rows)."""
    return xlsx_download(xlsx_bytes(sheets), filename)


def xlsx_download(content: bytes, filename: str) -> HttpResponse:
    """An .xlsx file offered as an attachment under `filename` (Chinese names kept)."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
