"""Periods of the bulletins: ISO weeks, months and years as typed, refused with a Chinese
message when unknown, malformed, still to come or not ended."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.errors import BusinessError
from dangjian.reports.choices import Kind
from dangjian.reports.periods import latest_period, parse_kind, parse_period, week_of

TODAY = dt.date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "kind"),
    [("weekly", "weekly"), ("周通报", "weekly"), ("MONTHLY", "monthly"), ("成绩单", "yearly")],
)
def test_kinds_by_code_or_chinese_name(text, kind):
    assert parse_kind(text) == kind


@pytest.mark.parametrize("text", ["", "daily", "季通报", "<script>"])
def test_unknown_kind_is_refused_in_chinese(text):
    with pytest.raises(BusinessError) as caught:
        parse_kind(text)
    assert "通报类型" in caught.value.message and caught.value.field == "kind"


@pytest.mark.parametrize(
    ("kind", "text", "key", "start", "end"),
    [
        (Kind.WEEKLY, "2026-W47", "2026-W47", dt.date(2026, 11, 16), dt.date(2026, 11, 22)),
        (Kind.WEEKLY, "2026w1", "2026-W01", dt.date(2025, 12, 29), dt.date(2026, 1, 4)),
        (Kind.WEEKLY, "2026-11-18", "2026-W47", dt.date(2026, 11, 16), dt.date(2026, 11, 22)),
        (Kind.MONTHLY, "2026-10", "2026-10", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        (Kind.MONTHLY, "2026年2月", "2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (Kind.YEARLY, "2025", "2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        (Kind.YEARLY, "2026年度", "2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ],
)
def test_periods_as_typed(kind, text, key, start, end):
    period = parse_period(kind, text, TODAY)
    assert (period.key, period.start, period.end) == (key, start, end)


def test_labels():
    assert parse_period(Kind.WEEKLY, "2026-W47", TODAY).label == (
        "2026年第47周（11月16日—11月22日）"
    )
    assert parse_period(Kind.MONTHLY, "2026-10", TODAY).label == "2026年10月"
    assert parse_period(Kind.YEARLY, "2025", TODAY).label == "2025年度"


@pytest.mark.parametrize(
    ("kind", "text", "words"),
    [
        (Kind.MONTHLY, "", "请填写"),
        (Kind.MONTHLY, "2026-13", "不是真实的月份"),
        (Kind.MONTHLY, "十月", "格式应为 YYYY-MM"),
        (Kind.MONTHLY, "1999-05", "超出范围"),
        (Kind.WEEKLY, "2026-W60", "没有第60周"),
        (Kind.WEEKLY, "2026-W00", "没有第0周"),
        (Kind.WEEKLY, "下周", "周次格式"),
        (Kind.YEARLY, "25", "年度格式"),
        (Kind.YEARLY, "3000", "超出范围"),
        (Kind.MONTHLY, "2027-01", "尚未到来"),
        (Kind.WEEKLY, "2026-W49", "尚未到来"),
        (Kind.YEARLY, "2027", "尚未到来"),
        (Kind.MONTHLY, "2026-11", "尚未结束"),
        (Kind.WEEKLY, "2026-W48", "尚未结束"),
    ],
)
def test_bad_periods_are_refused_in_chinese(kind, text, words):
    with pytest.raises(BusinessError) as caught:
        parse_period(kind, text, TODAY)
    assert words in caught.value.message and caught.value.field == "period"


def test_a_week_ended_yesterday_is_accepted():
    monday = dt.date(2026, 11, 23)
    assert parse_period(Kind.WEEKLY, "2026-W47", monday).key == "2026-W47"
    with pytest.raises(BusinessError):
        parse_period(Kind.WEEKLY, "2026-W47", dt.date(2026, 11, 22))


def test_latest_ended_periods():
    assert latest_period(Kind.WEEKLY, TODAY) == week_of(dt.date(2026, 11, 17))
    assert latest_period(Kind.MONTHLY, TODAY).key == "2026-10"
    assert latest_period(Kind.MONTHLY, dt.date(2027, 1, 1)).key == "2026-12"
    assert latest_period(Kind.YEARLY, TODAY).key == "2025"
