"""Reading dates typed into cells: the ISO shortcut gives what the general reading gives."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from dangjian.core.cells import CONTROL_CHARACTERS, as_choice, as_date, as_text, fold_width
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


@pytest.mark.parametrize(
    "value",
    ["２０２０－０１－０２", "20200102", 20200102.0, "２０２０年１月２日", "2020/01/02　"],
)
def test_dates_typed_full_width_or_without_separators(value):
    assert as_date(value, "出生日期") == dt.date(2020, 1, 2)


def test_compact_dates_must_be_real():
    assert _read("20200230") == "出生日期 “20200230” 不是真实的日期"
    assert _read("2020012") == "出生日期格式应为 YYYY-MM-DD，实际为 “2020012”"


@pytest.mark.parametrize("typed", ["县（市区）", "县 (市区)", "县(市区)", "　县（市区）　"])
def test_a_choice_typed_with_full_width_signs_or_spaces_is_that_choice(typed):
    assert as_choice(typed, "组织类别", ["县(市区)", "县(市区)直部门", "村"]) == "县(市区)"


def test_a_loose_match_of_two_choices_is_unknown():
    with pytest.raises(BusinessError, match="未知的组织类别 “县（市区）”"):
        as_choice("县（市区）", "组织类别", ["县(市区)", "县 (市区)"])


def test_fold_width_keeps_chinese_text():
    assert fold_width("张三（１号）ＡＢ　ｘ") == "张三(1号)AB x"


@given(hs.text(max_size=12), hs.sampled_from(CONTROL_CHARACTERS), hs.text(max_size=12))
def test_text_with_a_control_character_is_refused_by_name(before, control, after):
    with pytest.raises(BusinessError, match=r"^姓名含有不可见的控制字符"):
        as_text(f"甲{before}{control}{after}乙", "姓名")


def test_words_line_and_page_breaks_are_line_breaks():
    assert (
        as_text("一、配强班子\x0b二、规范三会一课\x0c", "整顿方案")
        == "一、配强班子\n二、规范三会一课"
    )


def test_tabs_line_breaks_and_chinese_punctuation_are_text():
    assert (
        as_text(" 学习\t二十大\n精神：“两个确立”\u3000", "主题") == "学习\t二十大\n精神：“两个确立”"
    )
