"""SPEC §5, §8: whatever the cells of a workbook hold, an import either succeeds or changes
nothing, and never fails with an exception. Hypothesis takes a good 组织 + 党员 workbook and
puts garbage in some cells (any text, full-width and control characters, numbers far out of
range, dates, booleans, formulas as text, repeated rows); each file is imported as an .xlsx
and as a CSV directory (streamed through staging tables on PostgreSQL).

For each import:
- no exception; a rejected file changed nothing, audit log included;
- every issue says why in Chinese and names a sheet, a row and a column of the file;
- a file that went through accounts for each of its rows (created, updated or unchanged).

A deeper local run: DANGJIAN_FUZZ_EXAMPLES=200 pytest dangjian/imports/tests/test_import_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.imports.runner import run_import
from dangjian.imports.tests.test_import_workbook import ORGS, good_members, snapshot
from dangjian.imports.tests.workbooks import write_csv_dir, write_xlsx
from dangjian.members.sheet import COLUMNS as MEMBER_COLUMNS
from dangjian.orgs.sheet import COLUMNS as ORG_COLUMNS

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("DANGJIAN_FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same files on every run, locally and in CI
    database=None,
    suppress_health_check=list(HealthCheck),
)
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


@st.composite
def damaged_workbook(draw) -> tuple[list[list], list[list]]:
    """The good workbook's rows with garbage in a few cells, a row perhaps repeated."""
    orgs = [row[:] for row in ORGS]
    members = good_members()
    for rows, width in ((orgs, len(ORG_COLUMNS)), (members, len(MEMBER_COLUMNS))):
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            row = draw(st.integers(min_value=0, max_value=len(rows) - 1))
            rows[row][draw(st.integers(min_value=0, max_value=width - 1))] = draw(CELL)
    if draw(st.booleans()):
        members.append(members[draw(st.integers(min_value=0, max_value=len(members) - 1))][:])
    return orgs, members


def _as_xlsx_cells(rows: list[list]) -> list[list]:
    return [[_XML_ILLEGAL.sub("", v) if isinstance(v, str) else v for v in row] for row in rows]


def _as_csv_cells(rows: list[list]) -> list[list]:
    return [["" if v is None else str(v) for v in row] for row in rows]


def _check_import(path: Path, orgs: list[list], members: list[list]) -> None:
    before = snapshot()
    outcome = run_import(path)
    if outcome.ok:
        for sheet, rows in (("组织", orgs), ("党员", members)):
            done = outcome.results[sheet]
            assert done.created + done.updated + done.unchanged == len(rows)
        return
    assert snapshot() == before, "a rejected file changed the database"
    assert outcome.issues
    widths = {"组织": ORG_COLUMNS, "党员": MEMBER_COLUMNS}
    for issue in outcome.issues:
        assert CJK.search(issue.message), issue
        if issue.sheet:
            assert issue.column in widths[issue.sheet], issue
            assert 1 <= issue.row <= len(members) + 1, issue


@FUZZ
@given(workbook=damaged_workbook())
def test_any_cells_import_whole_or_not_at_all(workbook):
    orgs, members = workbook
    with tempfile.TemporaryDirectory() as folder:
        xlsx = write_xlsx(Path(folder) / "f.xlsx", _as_xlsx_cells(orgs), _as_xlsx_cells(members))
        _check_import(xlsx, orgs, members)
        csv = write_csv_dir(Path(folder) / "csv", _as_csv_cells(orgs), _as_csv_cells(members))
        _check_import(csv, orgs, members)
