"""Reads of the ledger for pages and exports (scoped through the organization)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from dangjian.ledger.models import Meeting


@dataclass
class MeetingFilters:
    activity_type: str = ""
    year: int | None = None
    month: int | None = None

    @classmethod
    def from_params(cls, params, default_year: int) -> MeetingFilters:
        def number(name, low, high):
            try:
                value = int(params.get(name, ""))
            except ValueError:
                return None
            return value if low <= value <= high else None

        year = number("year", 2000, 2200) or default_year
        return cls(params.get("type", ""), year, number("month", 1, 12))

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, 1)

    @property
    def last_day(self) -> dt.date:
        month = self.month or 12
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])


def meetings_of(org, filters: MeetingFilters):
    """Meetings of `org` (and its subtree when it is not a branch) in the filtered period."""
    qs = (
        Meeting.objects.in_subtree(org)
        if not org.is_branch
        else Meeting.objects.filter(organization=org)
    )
    qs = qs.filter(held_on__gte=filters.first_day, held_on__lte=filters.last_day)
    if filters.activity_type:
        qs = qs.filter(activity_type=filters.activity_type)
    return qs.select_related("organization").order_by("-held_on", "-id")


def month_calendar(year: int, month: int, meetings) -> list[list[tuple[dt.date | None, list]]]:
    """Weeks (Monday first) of (day, meetings that day) for a calendar grid."""
    by_day: dict[dt.date, list] = {}
    for meeting in meetings:
        by_day.setdefault(meeting.held_on, []).append(meeting)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([(d if d.month == month else None, by_day.get(d, [])) for d in week])
    return weeks
