"""The streamed 党员 sheet (CSV directory on PostgreSQL) against the row-by-row one on garbage
(SPEC §5, §7): Hypothesis damages some cells of a good 组织 + 党员 directory whose members are
partly on the register already (so updates, transfers and the join on the ID hash are in
play), with chunks of a few rows so that ID numbers repeat across chunks, imported by the
whole county or by an officer of one subtree, with one key or during a key rotation (the
register then still under the old key). Both ways must give
the same verdict, the same issues word for word and, when the file goes through, the same
counts of created, updated and unchanged rows.

PostgreSQL only. A deeper local run: DANGJIAN_FUZZ_EXAMPLES=200 DANGJIAN_FUZZ_RANDOM=1 pytest
dangjian/members/tests/test_member_stream_fuzz.py
"""

from __future__ import annotations

import tempfile
from contextlib import nullcontext
from pathlib import Path

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from dangjian.imports.runner import run_import
from dangjian.imports.streaming import streams
from dangjian.imports.tests.fuzzing import assert_same_answer, fuzz_settings
from dangjian.imports.tests.test_import_fuzz import CELL
from dangjian.imports.tests.test_import_workbook import ORGS, good_members
from dangjian.imports.tests.workbooks import write_csv_dir
from dangjian.members import member_stream
from dangjian.members.tests.test_rotate_pii_key import rotated_settings
from dangjian.orgs.models import Organization

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

FUZZ = fuzz_settings(10)


@st.composite
def damaged_members(draw) -> list[list]:
    rows = good_members()
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        row = draw(st.integers(min_value=0, max_value=len(rows) - 1))
        rows[row][draw(st.integers(min_value=0, max_value=len(rows[0]) - 1))] = draw(CELL)
    for _ in range(draw(st.integers(min_value=0, max_value=2))):  # a member listed twice
        rows.insert(
            draw(st.integers(min_value=0, max_value=len(rows))),
            rows[draw(st.integers(min_value=0, max_value=len(rows) - 1))][:],
        )
    if draw(st.booleans()):  # someone moved to another branch
        rows[draw(st.integers(min_value=0, max_value=len(rows) - 1))][6] = "T1"
    return rows


def _cell(value) -> str:
    return "" if value is None else str(value)


def test_garbage_gets_the_same_answer_streamed_and_row_by_row(settings, monkeypatch, tmp_path):
    registered = write_csv_dir(tmp_path / "registered", ORGS, good_members()[::2])
    assert run_import(registered).ok  # half of the members are on the register
    monkeypatch.setattr(member_stream, "CHUNK_ROWS", 4)

    @FUZZ
    @given(
        members=damaged_members(),
        scope=st.sampled_from([None, "A", "T"]),
        rotating=st.booleans(),
    )
    def check(members, scope, rotating):
        note(repr(members))
        root = Organization.objects.get(code=scope) if scope else None
        keys = rotated_settings() if rotating else nullcontext()
        with tempfile.TemporaryDirectory() as folder, keys:
            rows = [[_cell(v) for v in row] for row in members]
            directory = write_csv_dir(Path(folder) / "m", ORGS, rows)
            settings.IMPORT_STREAMING = True
            assert streams(directory)
            streamed = run_import(directory, dry_run=True, scope_root=root)
            settings.IMPORT_STREAMING = False
            rowwise = run_import(directory, dry_run=True, scope_root=root)
        assert_same_answer(streamed, rowwise)

    check()
