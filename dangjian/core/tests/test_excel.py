"""Excel cells hold any text: what XML cannot carry is written as Office's _xHHHH_ escapes,
which Excel and the importer's reader (calamine) turn back into the characters."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from dangjian.core.excel import cell, xlsx_response
from dangjian.reports.workbook import Sheet, workbook_bytes


def _read_back(content: bytes) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return book.get_sheet_by_index(0).to_python()


def test_cells_keep_plain_values_as_they_are():
    sheet = Workbook(write_only=True).create_sheet("表")
    assert cell(sheet, None) == ""
    assert cell(sheet, 3) == 3
    assert cell(sheet, "第一党支部") == "第一党支部"
    assert cell(sheet, "a\tb\nc") == "a\tb\nc"
    assert cell(sheet, "张\x0b三\r") == "张_x000B_三_x000D_"
    assert cell(sheet, "_x0041_") == "_x005F_x0041_"
    assert cell(sheet, "=1+1").value == "=1+1" and cell(sheet, "=1+1").data_type == "s"


def test_text_that_begins_with_an_equals_sign_is_written_as_text_not_a_formula():
    content = xlsx_response("t.xlsx", {"表": (["=名称"], [['=HYPERLINK("http://x")', 2]])}).content
    book = load_workbook(io.BytesIO(content))
    written = [(c.value, c.data_type) for row in book.active.iter_rows() for c in row if c.value]
    assert written == [("=名称", "s"), ('=HYPERLINK("http://x")', "s"), (2, "n")]


@given(st.text(min_size=1, max_size=30))
def test_any_text_a_download_holds_reads_back_the_same(text):
    response = xlsx_response("t.xlsx", {"表": (["列"], [[text]])})
    assert _read_back(response.content) == [["列"], [text]]


def test_a_bulletin_workbook_holds_control_characters():
    sheet = Sheet(
        "表", ["名称\x01", "得分"], [["机关\x0b支部", 1], ["=1", "=2"]], formats={1: "0.00"}
    )
    assert _read_back(workbook_bytes([sheet])) == [
        ["名称\x01", "得分"],
        ["机关\x0b支部", 1.0],
        ["=1", "=2"],
    ]
