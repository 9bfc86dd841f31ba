"""The period a bulletin covers (SPEC C17, §3 periods): an ISO week for 周通报 (YYYY-Www, Monday
to Sunday), a month for 月通报 (YYYY-MM), a year for 成绩单 (YYYY). Parsing refuses unknown
kinds, malformed periods and periods that have not ended yet with a Chinese message."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dangjian.core.errors import BusinessError
from dangjian.core.periods import Month, parse_month
from dangjian.reports.choices import Kind

FIRST_YEAR = 2000
LAST_YEAR = 2200
_WEEK = re.compile(r"^(\d{4})\s*-?\s*[Ww第]?\s*(\d{1,2})\s*周?$")
_YEAR = re.compile(r"^(\d{4})\s*年?度?$")
_KINDS = {**{k.value: k for k in Kind}, **{k.label: k for k in Kind}}


@dataclass(frozen=True)
class Period:
    """A period of one kind: its key as users type it, its first and last day."""

    kind: str
    key: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """How titles and lists name the period."""
        if self.kind == Kind.WEEKLY:
            year, week, _ = self.start.isocalendar()
            return (
                f"{year}年第{week}周（{self.start.month}月{self.start.day}日—"
                f"{self.end.month}月{self.end.day}日）"
            )
        if self.kind == Kind.MONTHLY:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年度"

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def month(self) -> Month:
        return Month.of(self.start)


def parse_kind(value: object) -> str:
    """weekly/monthly/yearly, or their Chinese names 周通报/月通报/成绩单."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise BusinessError("请选择通报类型（周通报、月通报或成绩单）", "kind")
    kind = _KINDS.get(text) or _KINDS.get(text.lower())
    if kind is None:
        raise BusinessError(
            f"未知的通报类型“{text[:20]}”：应为 周通报（weekly）、月通报（monthly）"
            "或 成绩单（yearly）",
            "kind",
        )
    return kind.value


def week_of(day: dt.date) -> Period:
    """The ISO week (Monday to Sunday) holding `day`."""
    start = day - dt.timedelta(days=day.weekday())
    year, week, _ = start.isocalendar()
    return Period(Kind.WEEKLY, f"{year}-W{week:02d}", start, start + dt.timedelta(days=6))


def month_period(month: Month) -> Period:
    """The period of a 月通报."""
    return Period(Kind.MONTHLY, str(month), month.first_day, month.last_day)


def year_period(year: int) -> Period:
    """The period of a 成绩单."""
    return Period(Kind.YEARLY, str(year), dt.date(year, 1, 1), dt.date(year, 12, 31))


def _parse_week(text: str) -> Period:
    match = _WEEK.match(text)
    if not match:
        try:  # a day stands for the week holding it
            return week_of(dt.date.fromisoformat(text))
        except ValueError:
            pass
        raise BusinessError(
            "周次格式应为 YYYY-Www（如 2026-W47），或该周内的某一天（YYYY-MM-DD），"
            f"实际为“{text[:20]}”",
            "period",
        )
    year, week = int(match[1]), int(match[2])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BusinessError(f"周次“{text[:20]}”的年份超出范围", "period")
    try:
        start = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        weeks = dt.date(year, 12, 28).isocalendar()[1]
        raise BusinessError(f"{year}年只有第1—{weeks}周，没有第{week}周", "period") from None
    return week_of(start)


def _parse_year(text: str) -> Period:
    match = _YEAR.match(text)
    if not match:
        raise BusinessError(f"年度格式应为 YYYY（如 2025），实际为“{text[:20]}”", "period")
    year = int(match[1])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BusinessError(f"年度“{text[:20]}”超出范围", "period")
    return year_period(year)


def parse_period(kind: str, value: object, today: dt.date) -> Period:
    """The period of `kind` named by `value`; refused when malformed, still to come, or (for
    weeks and months) not ended yet: a bulletin reports a finished period."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise BusinessError("请填写通报期间", "period")
    if kind == Kind.WEEKLY:
        period = _parse_week(text)
    elif kind == Kind.MONTHLY:
        try:
            month = parse_month(text, "月份")
        except BusinessError as exc:
            raise BusinessError(exc.message, "period") from None
        if not FIRST_YEAR <= month.year <= LAST_YEAR:
            raise BusinessError(f"月份“{text[:20]}”的年份超出范围", "period")
        period = month_period(month)
    else:
        period = _parse_year(text)
    if period.start > today:
        raise BusinessError(f"{period.label}尚未到来，不能生成{Kind(kind).label}", "period")
    if kind != Kind.YEARLY and period.end >= today:
        unit = "本周" if kind == Kind.WEEKLY else "本月"
        raise BusinessError(
            f"{period.label}尚未结束：{unit}结束后才能生成{Kind(kind).label}，"
            f"可先生成上一{'周' if kind == Kind.WEEKLY else '个月'}的",
            "period",
        )
    return period


def latest_period(kind: str, today: dt.date) -> Period:
    """The newest period of `kind` that has ended (成绩单: last year)."""
    if kind == Kind.WEEKLY:
        return week_of(today - dt.timedelta(days=7))
    if kind == Kind.MONTHLY:
        return month_period(Month.of(today.replace(day=1) - dt.timedelta(days=1)))
    return year_period(today.year - 1)
