"""The streamed ledger import against the row-by-row one on garbage (SPEC §5, §7): Hypothesis
puts any text in some cells of good 组织生活 and 党费 CSV files, sometimes with a 党员 file of
new members whose dues are in the same directory (control characters, full-width digits,
amounts and dates in odd shapes, repeated rows); both ways must give the same verdict and the
same issues word for word, and a file that went through must write the same counts.

PostgreSQL only (only there are CSV directories streamed). A deeper local run:
DANGJIAN_FUZZ_EXAMPLES=200 pytest dangjian/ledger/tests/test_import_streaming_fuzz.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from dangjian.imports.runner import run_import
from dangjian.imports.streaming import streams
from dangjian.imports.tests.fuzzing import assert_same_answer, fuzz_settings
from dangjian.imports.tests.test_import_workbook import good_members
from dangjian.ledger.models import Meeting
from dangjian.ledger.tests.test_import_ledger import LAST_YEAR, csv_dir, good_dues, good_meetings

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

FUZZ = fuzz_settings(10)
Y = str(LAST_YEAR)
CELL = st.one_of(
    st.text(max_size=16),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(places=3, allow_nan=False, allow_infinity=False).map(str),
    st.dates().map(str),
    st.text(st.sampled_from(f"0123456789０９.,-/ 年月日元X\u3000{Y}"), max_size=14),
    st.sampled_from(
        [
            "",
            " ",
            f"{Y}-01",
            f"{Y}-1",
            f"{Y}/01",
            f"{Y}年1月",
            f"{Y}-13",
            f"{Y}-02-29",
            f"{Y}0301",
            f"２０{Y[2:]}－０３－０１",
            "12.50",
            "1,000",
            "5元",
            "-1",
            "1e3",
            "NaN",
            "0.005",
            "99999999.99",
            "主题党日",
            "党课",
            "A1",
            "T",
            "x" * 201,
            "学习\x0b二十大精神",  # Word's line break, pasted
            "\x7f",
        ]
    ),
)


@st.composite
def damaged_ledgers(draw, members) -> dict[str, list[list]]:
    sheets = {"组织生活": good_meetings(), "党费": good_dues(members)}
    if draw(st.booleans()):  # new members in the same directory, their dues with them
        sheets["党员"] = good_members()[:6]
        sheets["党费"] += [[row[0], f"{Y}-03", "10", "10"] for row in sheets["党员"][:3]]
    for rows in sheets.values():
        width = len(rows[0])
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            row = draw(st.integers(min_value=0, max_value=len(rows) - 1))
            rows[row][draw(st.integers(min_value=0, max_value=width - 1))] = draw(CELL)
        if draw(st.booleans()):
            rows.append(rows[draw(st.integers(min_value=0, max_value=len(rows) - 1))][:])
    return sheets


def _both_ways(settings, sheets):
    """The directory of `sheets` imported (dry run) streamed, then row by row."""
    with tempfile.TemporaryDirectory() as folder:
        directory = csv_dir(Path(folder) / "ledgers", sheets)
        settings.IMPORT_STREAMING = True
        assert streams(directory)
        streamed = run_import(directory, dry_run=True)
        settings.IMPORT_STREAMING = False
        rowwise = run_import(directory, dry_run=True)
    return streamed, rowwise


@pytest.mark.parametrize(
    ("topic", "refused"), [("学习\x01二十大精神", True), ("学习\x0b二十大精神", False)]
)
def test_a_control_character_in_a_topic_gets_the_same_answer_both_ways(
    settings, tree, members, topic, refused
):
    """A topic in its plain shape is taken by SQL as it is: the shape leaves to the row rules
    what they refuse (\x01) or change (Word's \x0b line break, pasted into the cell)."""
    meetings = good_meetings()
    meetings[0][3] = topic
    streamed, rowwise = _both_ways(settings, {"组织生活": meetings})
    assert_same_answer(streamed, rowwise)
    assert [(i.row, i.column) for i in streamed.issues] == ([(2, "主题")] if refused else [])
    if not refused:  # stored with a line break, streamed too
        with tempfile.TemporaryDirectory() as folder:
            settings.IMPORT_STREAMING = True
            assert run_import(csv_dir(Path(folder) / "ledgers", {"组织生活": meetings})).ok
        assert Meeting.objects.filter(topic="学习\n二十大精神").count() == 1


def test_garbage_gets_the_same_answer_streamed_and_row_by_row(settings, tree, members):
    @FUZZ
    @given(sheets=damaged_ledgers(members))
    def check(sheets):
        note(repr(sheets))
        assert_same_answer(*_both_ways(settings, sheets))

    check()
