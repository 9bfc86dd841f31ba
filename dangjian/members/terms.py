"""C1: a member's terms counted from their dates (shown on the member's page): age, 党龄, and the
probationary year (党章: 预备期为一年, from the day the branch admitted them; 党龄 from the day
it ends)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dangjian.core.periods import add_years
from dangjian.members.choices import MemberType

PROBATION_SOON_DAYS = 30


def years_between(start: dt.date, day: dt.date) -> int:
    """Whole years from `start` to `day` (a birthday on 29 February counts on 1 March)."""
    return day.year - start.year - ((day.month, day.day) < (start.month, start.day))


def one_year_after(start: dt.date) -> dt.date:
    """The same day a year later; 29 February gives 28 February."""
    return add_years(start, 1)


def one_year_before(day: dt.date) -> dt.date:
    """The first day of the year before `day` whose year ends on or after `day`: the same day
    a year earlier, and 1 March for 29 February. A probationary year that began before it has
    ended before `day` (`one_year_after(start) < day`)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return dt.date(day.year - 1, 3, 1)


def party_years(member_type: str, join_date: dt.date, day: dt.date) -> int | None:
    """党龄 on `day`: 党章 counts it from the day the probationary year ends and the member
    becomes formal (入党日期 is the day they were admitted as probationary); None for a 预备
    member, who has none yet."""
    if member_type == MemberType.PROBATIONARY:
        return None
    return max(0, years_between(one_year_after(join_date), day))


@dataclass(frozen=True)
class Probation:
    """A probationary member's year: when it ends, and how that stands on `day`."""

    ends: dt.date
    day: dt.date

    @property
    def overdue_days(self) -> int:
        return max(0, (self.day - self.ends).days)

    @property
    def soon(self) -> bool:
        return 0 <= (self.ends - self.day).days <= PROBATION_SOON_DAYS

    def in_words(self) -> str:
        ends = f"{self.ends:%Y-%m-%d}"
        if self.overdue_days:
            return f"预备期已于 {ends} 期满（{self.overdue_days} 天前），请及时讨论其转正"
        if self.soon:
            return f"预备期将于 {ends} 期满，请做好转正准备"
        return f"预备期至 {ends}"


def probation(member_type: str, join_date: dt.date, day: dt.date) -> Probation | None:
    """The probationary year of a 预备 member; None for a 正式 member."""
    if member_type != MemberType.PROBATIONARY:
        return None
    return Probation(one_year_after(join_date), day)
