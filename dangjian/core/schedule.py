"""When a scheduled job of the task worker was last due, in TIME_ZONE, and whether a worker
that was not running at that moment (a restart, a server switched off for the night) should
still do the job when it starts (补发).

A job is caught up while less than half of its period has passed since it was due: a 日提醒
missed at 06:30 is still sent at 09:00, not at 23:00 (the next one is hours away); a 周通报
missed on Monday morning is made up until Thursday evening."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from huey import crontab


@dataclass(frozen=True)
class Due:
    """A moment that comes back every day, every week (`weekday`, Monday = 0) or every month
    (`day`, at most 28), at `hour`:`minute` local time."""

    hour: int
    minute: int
    weekday: int | None = None
    day: int | None = None

    @property
    def period(self) -> dt.timedelta:
        if self.day is not None:
            return dt.timedelta(days=30)
        return dt.timedelta(days=7 if self.weekday is not None else 1)

    def crontab(self):
        """The huey schedule of this moment (huey counts the days of the week from Sunday)."""
        return crontab(
            minute=str(self.minute),
            hour=str(self.hour),
            day="*" if self.day is None else str(self.day),
            day_of_week="*" if self.weekday is None else str((self.weekday + 1) % 7),
        )

    def last(self, now: dt.datetime) -> dt.datetime:
        """The latest such moment at or before `now` (aware, in TIME_ZONE)."""
        local = timezone.localtime(now)
        moment = local.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        if self.day is not None:
            moment = moment.replace(day=self.day)
            if moment > local:
                before = moment.replace(day=1) - dt.timedelta(days=1)
                moment = moment.replace(year=before.year, month=before.month)
            return moment
        if self.weekday is not None:
            moment -= dt.timedelta(days=(local.weekday() - self.weekday) % 7)
        if moment > local:
            moment -= self.period
        return moment

    def to_catch_up(self, now: dt.datetime, done_since) -> dt.datetime | None:
        """The moment the job was last due if it should be done now: not done since then
        (`done_since(moment)` says whether it was) and less than half a period ago."""
        moment = self.last(now)
        if now - moment >= self.period / 2 or done_since(moment):
            return None
        return moment
