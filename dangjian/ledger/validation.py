"""C2 rules about one ledger entry, shared by forms, the API and the import (SPEC C2).

Each function returns clean values or raises BusinessError with a Chinese reason naming the
field; nothing here writes.
"""

from __future__ import annotations

import datetime as dt

from dangjian.core.cells import as_choice, as_count, as_date, as_text
from dangjian.core.errors import BusinessError
from dangjian.core.periods import Month, parse_month
from dangjian.ledger.choices import BRANCH_ONLY_ACTIVITIES, ActivityType
from dangjian.orgs.choices import BRANCH_TYPES

EARLIEST_YEAR = 2000

# Form and API field names of the §5 组织生活 and 党费 columns.
MEETING_FIELD_OF_COLUMN = {
    "组织编码": "organization",
    "活动类型": "activity_type",
    "日期": "held_on",
    "主题": "topic",
    "应到人数": "expected",
    "实到人数": "present",
}
COLUMN_OF_MEETING_FIELD = {f: c for c, f in MEETING_FIELD_OF_COLUMN.items()}
DUES_FIELD_OF_COLUMN = {
    "身份证号": "member",
    "月份": "month",
    "应交金额": "due",
    "实交金额": "paid",
}


def closed_years() -> frozenset[int]:
    from dangjian.ledger.models import ClosedYear

    return frozenset(ClosedYear.objects.values_list("year", flat=True))


def check_year_open(year: int, closed: frozenset[int], label: str, field: str) -> None:
    if year in closed:
        raise BusinessError(f"{year}年度台账已关账，不能再录入或修改{label}", field)


def clean_activity_type(value: object) -> str:
    return as_choice(value, "活动类型", ActivityType.values)


def clean_held_on(value: object, today: dt.date, closed: frozenset[int]) -> dt.date:
    """A meeting date: real, not in the future, not before 2000, not in a closed year."""
    day = as_date(value, "日期")
    if day > today:
        raise BusinessError(f"日期 {day} 在今天（{today}）之后，不能登记未召开的会议", "held_on")
    if day.year < EARLIEST_YEAR:
        raise BusinessError(f"日期 {day} 过早（应不早于{EARLIEST_YEAR}年）", "held_on")
    check_year_open(day.year, closed, "组织生活", "held_on")
    return day


def clean_topic(value: object) -> str:
    return as_text(value, "主题", max_length=200)


def clean_attendance_counts(expected: object, present: object) -> tuple[int, int]:
    """应到 ≥ 1 and 0 ≤ 实到 ≤ 应到."""
    try:
        exp = as_count(expected, "应到人数")
    except BusinessError as exc:
        raise BusinessError(exc.message, "expected") from None
    try:
        pre = as_count(present, "实到人数")
    except BusinessError as exc:
        raise BusinessError(exc.message, "present") from None
    if exp < 1:
        raise BusinessError("应到人数应至少为1", "expected")
    if pre > exp:
        raise BusinessError(f"实到人数（{pre}）不能大于应到人数（{exp}）", "present")
    return exp, pre


def check_activity_fits(activity_type: str, org_type: str, org_name: str = "") -> None:
    """Branch meetings (all but 党课) are held by a 党支部 or 临时党支部."""
    if activity_type in BRANCH_ONLY_ACTIVITIES and org_type not in BRANCH_TYPES:
        who = f"“{org_name}”" if org_name else "该组织"
        raise BusinessError(f"{activity_type}只能由党支部召开，{who}是{org_type}", "organization")


def clean_dues_month(value: object, today: dt.date, closed: frozenset[int]) -> Month:
    """A payment month: YYYY-MM, real, not after this month, not in a closed year."""
    month = parse_month(value, "月份")
    if month > Month.of(today):
        raise BusinessError(f"月份 {month} 还未到，不能登记党费", "month")
    if month.year < EARLIEST_YEAR:
        raise BusinessError(f"月份 {month} 过早（应不早于{EARLIEST_YEAR}年）", "month")
    check_year_open(month.year, closed, "党费", "month")
    return month
