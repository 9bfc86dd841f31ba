"""SPEC §5, §8: whatever the cells of a workbook hold, an import either succeeds or changes
nothing, and never fails with an exception. Hypothesis takes a good workbook of the five
sheets (组织, 党员, 组织生活, 党费, 考核得分) and puts garbage in some cells (any text,
full-width and control characters, numbers far out of range, dates, booleans, formulas as
text, repeated rows); each file is imported as an .xlsx and as a CSV directory (streamed
through staging tables on PostgreSQL).

For each import:
- no exception; a rejected file changed nothing, audit log included;
- every issue says why in Chinese; one on a sheet names a row and a column of it (or none);
- a file that went through accounts for each of its rows (created, updated or unchanged);
and the same for officers of a subtree importing over a loaded county.

A deeper local run: DANGJIAN_FUZZ_EXAMPLES=200 pytest dangjian/imports/tests/test_import_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.imports.registry import get_sheet
from dangjian.imports.runner import run_import
from dangjian.imports.tests.fuzzing import fuzz_settings
from dangjian.imports.tests.test_import_workbook import ORGS, good_members, snapshot
from dangjian.ledger.tests.test_import_ledger import LAST_YEAR, csv_dir, workbook
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db

FUZZ = fuzz_settings(15)
CJK = re.compile(r"[\u4e00-\u9fff]")
# Characters an .xlsx cannot hold (openpyxl refuses them); CSV cells get them all.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

CELL = st.one_of(
    st.none(),
    st.text(max_size=24),
    st.sampled_from(
        [
            "",
            " ",
            "\u3000",
            "=1+1",
            "0",
            "-1",
            "1e400",
            "NaN",
            "２０２０－０１－０２",
            "20200230",
            "1899-12-31",
            "2999-01-01",
            "县（市区）",
            "党支部",
            "党委",
            "预备党员",
            "书记、支部书记",
            "支部主任",
            "A1",
            "R",
            "x" * 300,
            "'",
            '"',
            "\\",
            "😀",
        ]
    ),
    st.integers(min_value=-(10**12), max_value=10**19),
    st.floats(min_value=-1e12, max_value=1e12),
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2200, 12, 31)),
    st.booleans(),
)


def good_sheets() -> dict[str, list[list]]:
    """A workbook that imports: the tree and members of test_import_workbook, a few meetings
    and dues of last year, and two assessment rows."""
    ids = [row[0] for row in good_members()]
    return {
        "组织": [row[:] for row in ORGS],
        "党员": good_members(),
        "组织生活": [
            ["A1", "主题党日", f"{LAST_YEAR}-03-10", "重温入党誓词", 8, 7],
            ["T1", "党课", dt.date(LAST_YEAR, 4, 1), "书记讲党课", 8, 6],
            ["T", "党课", f"{LAST_YEAR}-04-02", "镇党委书记讲党课", 30, 25],
        ],
        "党费": [
            [ids[0], f"{LAST_YEAR}-01", "12.50", "12.50"],
            [ids[1], f"{LAST_YEAR}-01", 30, 20.5],
            [ids[12], f"{LAST_YEAR}-02", "0.20", "0.20"],
        ],
        "考核得分": [
            ["A1", LAST_YEAR, 91.5, "88", "好", 0],
            ["T", LAST_YEAR, "80", None, "", None],
        ],
    }


@st.composite
def damaged_workbook(draw) -> dict[str, list[list]]:
    """The good workbook's rows with garbage in a few cells, a row perhaps repeated."""
    sheets = good_sheets()
    for rows in sheets.values():
        width = len(rows[0])
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            row = draw(st.integers(min_value=0, max_value=len(rows) - 1))
            rows[row][draw(st.integers(min_value=0, max_value=width - 1))] = draw(CELL)
        if draw(st.integers(min_value=0, max_value=4)) == 0:
            rows.append(rows[draw(st.integers(min_value=0, max_value=len(rows) - 1))][:])
    return sheets


def map_cells(sheets: dict[str, list[list]], cell) -> dict[str, list[list]]:
    """The same sheets with `cell` applied to every value (to write them as .xlsx or CSV)."""
    return {name: [[cell(v) for v in row] for row in rows] for name, rows in sheets.items()}


def xlsx_cell(value):
    """A value as an .xlsx can hold it: text without the control characters openpyxl refuses."""
    return _XML_ILLEGAL.sub("", value) if isinstance(value, str) else value


def _csv_cell(value) -> str:
    return "" if value is None else str(value)


def _check_import(path: Path, sheets: dict[str, list[list]], scope_root=None) -> None:
    before = snapshot()
    outcome = run_import(path, scope_root=scope_root)
    if outcome.ok:
        for sheet, rows in sheets.items():
            done = outcome.results[sheet]
            assert done.created + done.updated + done.unchanged == len(rows), sheet
        return
    assert snapshot() == before, "a rejected file changed the database"
    check_issues([issue.as_list() for issue in outcome.issues], sheets)


def check_issues(issues: list[list], sheets: dict[str, list[list]]) -> None:
    """A rejection names at least one issue, each saying why in Chinese; one on a sheet names
    a row and a column of it (or none). `issues` as a run stores them: [sheet, row, column,
    message]."""
    assert issues
    for issue in issues:
        sheet, row, column, message = issue
        assert CJK.search(message), issue
        if sheet:
            assert column in ("", *get_sheet(sheet).columns), issue
            assert 0 <= row <= len(sheets[sheet]) + 1, issue


@FUZZ
@given(sheets=damaged_workbook())
def test_any_cells_import_whole_or_not_at_all(sheets):
    with tempfile.TemporaryDirectory() as folder:
        _check_import(workbook(Path(folder) / "f.xlsx", map_cells(sheets, xlsx_cell)), sheets)
        _check_import(csv_dir(Path(folder) / "csv", map_cells(sheets, _csv_cell)), sheets)


def test_an_officer_of_one_subtree_imports_whole_or_not_at_all(tmp_path):
    """The same damage imported over the county by officers of a subtree (A, T or the branch
    A1), whose files also name organizations and members outside it."""
    assert run_import(workbook(tmp_path / "county.xlsx", good_sheets())).ok

    @FUZZ
    @given(sheets=damaged_workbook(), scope=st.sampled_from(["A", "T", "A1"]))
    def check(sheets, scope):
        root = Organization.objects.get(code=scope)
        with tempfile.TemporaryDirectory() as folder:
            xlsx = workbook(Path(folder) / "f.xlsx", map_cells(sheets, xlsx_cell))
            _check_import(xlsx, sheets, root)
            _check_import(csv_dir(Path(folder) / "csv", map_cells(sheets, _csv_cell)), sheets, root)

    check()


def test_the_good_workbook_imports_whole(tmp_path):
    """The starting point of the damage above goes through, so damage is what it tests."""
    sheets = good_sheets()
    outcome = run_import(workbook(tmp_path / "good.xlsx", sheets))
    assert outcome.ok, outcome.issues
    assert {name: result.created for name, result in outcome.results.items()} == {
        name: len(rows) for name, rows in sheets.items()
    }
