"""The reminders go out once each time they fall due (`compliance.schedule`): by the schedule,
or, if no worker ran then (a restart, a server off for the night), when a worker starts, while
it is not too late; never twice for the same moment."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dangjian.compliance import schedule, tasks
from dangjian.notices.models import Notice, NoticeKind

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")
WEDNESDAY_9 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=BEIJING)


@pytest.fixture
def sent(monkeypatch, tree):
    """Each kind's sender replaced by one that writes a notice and notes the day it got."""
    calls = []

    def sender(kind):
        def send(today):
            calls.append((kind, today))
            Notice.objects.create(
                organization=tree.root, kind=kind, title="t", body="b", created_at=_now[0]
            )
            return 1

        return send

    for kind, (due, _send) in list(schedule.REMINDERS.items()):
        monkeypatch.setitem(schedule.REMINDERS, kind, (due, sender(kind)))
    return calls


_now = [WEDNESDAY_9]


def _notice(tree, kind, at):
    Notice.objects.create(organization=tree.root, kind=kind, title="t", body="b", created_at=at)


def test_a_worker_started_on_wednesday_morning_sends_what_it_missed(sent):
    _now[0] = WEDNESDAY_9
    assert schedule.catch_up(WEDNESDAY_9) == {NoticeKind.DAILY: 1, NoticeKind.WEEKLY: 1}
    assert sent == [
        (NoticeKind.DAILY, dt.date(2026, 11, 25)),
        (NoticeKind.WEEKLY, dt.date(2026, 11, 25)),
    ]  # 月约谈 of the 1st is 24 days old: too late
    assert schedule.catch_up(WEDNESDAY_9) == {}  # once


def test_what_the_schedule_sent_is_not_sent_again(sent, tree):
    _notice(tree, NoticeKind.DAILY, dt.datetime(2026, 11, 25, 6, 30, 5, tzinfo=BEIJING))
    _notice(tree, NoticeKind.WEEKLY, dt.datetime(2026, 11, 23, 8, 0, 9, tzinfo=BEIJING))
    assert schedule.catch_up(WEDNESDAY_9) == {}
    assert sent == []


def test_yesterdays_reminder_is_not_caught_up_in_the_evening(sent, tree):
    _notice(tree, NoticeKind.WEEKLY, dt.datetime(2026, 11, 23, 8, 0, tzinfo=BEIJING))
    evening = dt.datetime(2026, 11, 25, 19, 0, tzinfo=BEIJING)
    assert schedule.catch_up(evening) == {}


def test_the_schedule_skips_a_kind_the_catch_up_sent(sent, tree):
    _now[0] = WEDNESDAY_9
    schedule.catch_up(WEDNESDAY_9)
    assert schedule.send_due(NoticeKind.DAILY, WEDNESDAY_9) is None
    tomorrow = WEDNESDAY_9 + dt.timedelta(days=1)
    _now[0] = tomorrow
    assert schedule.send_due(NoticeKind.DAILY, tomorrow) == 1  # the next day's is due again


def test_the_catch_up_task_sends_with_real_reminders(tree, officer):
    """The task the worker queues at its start, with the real senders, on a Wednesday
    morning: the county office gets today's 日提醒, once. (No ranking to send on Monday, with
    no month judged yet: a kind that sent nothing is tried again, and sends nothing again.)"""
    with time_machine.travel(WEDNESDAY_9, tick=False):
        first = tasks.catch_up_reminders.call_local()
        again = tasks.catch_up_reminders.call_local()
    assert first == {NoticeKind.DAILY: 1, NoticeKind.WEEKLY: 0}
    assert again == {NoticeKind.WEEKLY: 0}
    titles = Notice.objects.filter(organization=officer.scope).values_list("title", flat=True)
    assert list(titles) == ["11月25日提醒：辖区 3 个支部本期组织生活尚未完成"]


def test_a_worker_started_on_an_empty_installation_sends_nothing_and_fails_nothing():
    """A fresh installation, no organization yet, its worker started on a Monday the 1st in
    the morning (every kind is due): the evaluation behind the reminders has nothing to count."""
    monday_the_1st = dt.datetime(2026, 6, 1, 9, 0, tzinfo=BEIJING)
    with time_machine.travel(monday_the_1st, tick=False):
        sent = tasks.catch_up_reminders.call_local()
    assert sent == {NoticeKind.DAILY: 0, NoticeKind.WEEKLY: 0, NoticeKind.MONTHLY: 0}
    assert not Notice.objects.exists()
