"""Reading dates typed into cells: the ISO shortcut gives what the general reading gives."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from dangjian.core.cells import as_date
from dangjian.core.errors import BusinessError

_chars = hs.sampled_from("0123456789０９x /年")
_piece = hs.text(_chars, min_size=1, max_size=4)


def _read(value: str):
    try:
        return as_date(value, "出生日期")
    except BusinessError as exc:
        return exc.message


@given(year=_piece, month=_piece, day=_piece)
def test_iso_shaped_text_reads_as_the_general_rules_read_it(year, month, day):
    value = f"{year}-{month}-{day}"
    # a leading space takes the general path (the text is stripped first)
    assert _read(value) == _read(" " + value)


@given(
    year=hs.text(_chars, min_size=4, max_size=4),
    month=hs.text(_chars, min_size=2, max_size=2),
    day=hs.text(_chars, min_size=2, max_size=2),
)
def test_text_of_the_iso_length_reads_as_the_general_rules_read_it(year, month, day):
    value = f"{year}-{month}-{day}"
    assert _read(value) == _read(" " + value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-02-29", dt.date(2020, 2, 29)),
        ("2020/2/9", dt.date(2020, 2, 9)),
        ("2021-02-29", "出生日期 “2021-02-29” 不是真实的日期"),
        ("0000-01-01", "出生日期 “0000-01-01” 不是真实的日期"),
        ("2020-01-0x", "出生日期格式应为 YYYY-MM-DD，实际为 “2020-01-0x”"),
    ],
)
def test_dates_and_their_reasons(value, expected):
    assert _read(value) == expected
