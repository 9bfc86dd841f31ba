"""Reading a workbook (.xlsx with python-calamine) or a directory of CSV files (SPEC §5: UTF-8;
GBK, as Excel for Chinese Windows saves "CSV (逗号分隔)", is read too)."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from dangjian.core.errors import BusinessError
from dangjian.imports.excel_errors import error_cells


@dataclass
class SheetData:
    """Header and data rows of one sheet, with the sheet's own row numbers; `broken` is
    (row, reason) when the file cannot be read as a table (its rows are then left out);
    `may_have_title`: a workbook's sheet, whose header may sit under a title (a CSV file's
    header is its first line, as the streamed reader takes it); `may_hold_error_values`:
    some cell may hold an Excel error value (#N/A), written as Excel shows it."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    broken: tuple[int, str] | None = None
    may_have_title: bool = False
    may_hold_error_values: bool = False


UTF8 = "utf-8-sig"  # a byte-order mark, as Excel writes "CSV UTF-8", is left out
GB18030 = "gb18030"  # GBK's superset
ENCODING_SAMPLE_BYTES = 1 << 20


def not_utf8(path: Path) -> str:
    return f"{path.name} 不是 UTF-8 或 GBK 编码的 CSV 文件，请另存为“CSV UTF-8”"


def csv_encoding(path: Path) -> str:
    """How a CSV file is encoded: UTF8, or GB18030 when its first MiB is not UTF-8 but reads as
    GBK/GB18030. A file that is neither is taken as UTF-8, and refused as such where it breaks.
    (Its header is Chinese, so the first MiB always tells the two apart.)"""
    with path.open("rb") as handle:
        sample = handle.read(ENCODING_SAMPLE_BYTES)
        whole = not handle.read(1)
    for encoding in ("utf-8", GB18030):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=whole)
        except UnicodeDecodeError:
            continue
        return UTF8 if encoding == "utf-8" else GB18030
    return UTF8


# A NUL character is never typed: a CSV file holding one was damaged (or is not text).
NUL_IN_ROW = "该行含有空字符（NUL），文件可能已损坏，请检查后重新另存为 CSV"


def clean_header(cells: list[Any]) -> list[str]:
    """Header cells as names: without white space anywhere (a title wrapped in its cell with
    Alt+Enter, 入党\n日期, is 入党日期) or a byte-order mark."""
    return ["".join(("" if c is None else str(c)).split()).lstrip("\ufeff") for c in cells]


def is_blank(cells: Iterable[Any]) -> bool:
    """Whether every cell is empty or white space (a loop that stops at the first filled
    cell, usually the first: `all()` over a generator cost 4 µs a row)."""
    for cell in cells:
        if cell is not None and not (isinstance(cell, str) and not cell.strip()):
            return False
    return True


def read_xlsx(path: Path) -> list[SheetData]:
    """All sheets of an .xlsx workbook; empty rows are skipped but keep their numbering."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception:
        raise BusinessError("无法读取该文件：请上传 Excel 2007 及以上版本的 .xlsx 工作簿") from None
    sheets = []
    errors = error_cells(path)
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
            table = sheet.to_python(skip_empty_area=False)
            merged = sheet.merged_cell_ranges or ()
        except Exception:  # whatever the damage makes the reader raise (XML, ZIP, encoding)
            raise BusinessError(
                f"工作表“{name.strip()}”无法读取，文件可能已损坏："
                "请在 Excel 中打开并另存为 .xlsx 后再导入"
            ) from None
        if not table:
            sheets.append(SheetData(name.strip(), []))
            continue
        _fill_merged(table, merged)
        data = SheetData(name.strip(), clean_header(list(table[0])), may_have_title=True)
        data.may_hold_error_values = _show_errors(table, errors.get(name, ()))
        for index, cells in enumerate(table[1:], start=2):
            if not is_blank(cells):
                data.rows.append((index, [None if c == "" else c for c in cells]))
        sheets.append(data)
    return sheets


def _fill_merged(table: list[list[Any]], merged) -> None:
    """Each cell of a merged range holding the range's value, as Excel shows it (a branch's
    code merged down the rows of its members)."""
    for (top, left), (bottom, right) in merged:
        if top >= len(table) or left >= len(table[top]):
            continue
        value = table[top][left]
        for row in table[top : bottom + 1]:
            for column in range(left, min(right + 1, len(row))):
                row[column] = value


def _show_errors(table: list[list[Any]], cells) -> bool:
    """The error cells (row, column, shown; 0-based), which the reader left empty, holding
    what Excel shows in them; whether there were any."""
    for row, column, shown in cells:
        if row < len(table) and column < len(table[row]):
            table[row][column] = shown
    return bool(cells)


def read_csv_dir(directory: Path, skip: frozenset[str] = frozenset()) -> list[SheetData]:
    """Every *.csv file of a directory, the file name (without .csv) being the sheet name;
    sheets named in `skip` are left on disk (they are streamed)."""
    sheets = []
    for path in sorted(directory.glob("*.csv")):
        if path.stem in skip:
            continue
        try:
            with path.open(encoding=csv_encoding(path), newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader, [])
                data = SheetData(path.stem, clean_header(header))
                marks = file_holds(path, (b"\x00", b"#"))
                if b"\x00" in marks:
                    data.broken = (first_row_with_nul(reader, [header]), NUL_IN_ROW)
                else:
                    for index, cells in enumerate(reader, start=2):
                        if not is_blank(cells):
                            data.rows.append((index, [c or None for c in cells]))
                    data.may_hold_error_values = b"#" in marks
        except UnicodeDecodeError:
            raise BusinessError(not_utf8(path)) from None
        except OSError as exc:
            raise BusinessError(unreadable(path, exc)) from None
        sheets.append(data)
    return sheets


def unreadable(path: Path, exc: OSError) -> str:
    """Why a file of the import cannot be opened, in words."""
    if isinstance(exc, IsADirectoryError):
        why = "这是一个目录，不是 CSV 文件"
    elif isinstance(exc, FileNotFoundError):
        why = "文件不存在（或是指向已删除文件的快捷方式）"
    elif isinstance(exc, PermissionError):
        why = "没有读取权限"
    else:
        why = "读取出错，请检查文件是否完好"
    return f"无法读取 {path.name}：{why}"


def file_holds(path: Path, marks: tuple[bytes, ...]) -> set[bytes]:
    """Which of the single bytes `marks` the file holds (read in pieces: a province's file in
    a blink)."""
    found: set[bytes] = set()
    with path.open("rb") as handle:
        while len(found) < len(marks) and (piece := handle.read(1 << 20)):
            found.update(mark for mark in marks if mark in piece)
    return found


def first_row_with_nul(rest: Iterator[list[str]], read: list[list[str]]) -> int:
    """The number of the first record holding a NUL: of those `read` already (from row 1),
    then of the `rest` of the file."""
    for number, cells in enumerate(chain(read, rest), start=1):
        if any("\x00" in cell for cell in cells):
            return number
    return 1


def read_source(path: Path, skip: frozenset[str] = frozenset()) -> list[SheetData]:
    """An .xlsx workbook or a directory of CSV files (less the sheets in `skip`)."""
    path = Path(path)
    if path.is_dir():
        return read_csv_dir(path, skip)
    if not path.exists():
        raise BusinessError(f"文件不存在：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raise BusinessError(
            f"CSV 文件请放在一个目录中、以工作表命名（如 组织.csv、党员.csv），再导入该目录："
            f"{path.parent}"
        )
    if suffix in (".xls", ".et", ".wps"):
        raise BusinessError(f"不支持 {suffix} 格式：请在 Excel 或 WPS 中另存为 .xlsx 工作簿后导入")
    if suffix != ".xlsx":
        raise BusinessError("只支持 .xlsx 工作簿或 CSV 文件目录")
    return read_xlsx(path)
