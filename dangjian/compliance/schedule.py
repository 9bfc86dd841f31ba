"""When the reminders go out (C2), in Beijing time: 日提醒 every day at 06:30, 周通报 on Mondays
at 08:00, 月约谈名单 on the 1st at 08:30. A kind is sent once per time it falls due, by the
schedule or, if the worker was not running then, when it starts (`catch_up`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from dangjian.compliance import reminders
from dangjian.core.schedule import Due
from dangjian.notices.models import Notice, NoticeKind

REMINDERS: dict[str, tuple[Due, Callable[[dt.date], int]]] = {
    NoticeKind.DAILY: (Due(6, 30), reminders.daily_reminders),
    NoticeKind.WEEKLY: (Due(8, 0, weekday=0), reminders.weekly_bulletin),
    NoticeKind.MONTHLY: (Due(8, 30, day=1), reminders.monthly_talks),
}


def sent_since(kind: str, moment: dt.datetime) -> bool:
    return Notice.objects.filter(kind=kind, created_at__gte=moment).exists()


def send_due(kind: str, now: dt.datetime | None = None) -> int | None:
    """Send the reminders of `kind` unless they were sent since they last fell due (a worker
    that caught them up at its start); None when skipped."""
    now = now or timezone.now()
    due, send = REMINDERS[kind]
    if sent_since(kind, due.last(now)):
        return None
    return send(timezone.localdate(now))


def catch_up(now: dt.datetime | None = None) -> dict[str, int]:
    """Send each kind that fell due while no worker ran, if it is not too late
    (`Due.to_catch_up`); how many notices of each kind were sent."""
    now = now or timezone.now()
    sent = {}
    for kind, (due, send) in REMINDERS.items():
        if due.to_catch_up(now, lambda moment, kind=kind: sent_since(kind, moment)):
            sent[kind] = send(timezone.localdate(now))
    return sent
