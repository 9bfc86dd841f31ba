"""Bulletins by schedule and from the command line: the huey tasks make each account's scope its
周通报 and 月通报 (committees) and 成绩单 (everyone) once per period, again only after a new
evaluation; `manage.py make_bulletins` makes editions on demand and refuses bad input in
Chinese."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conftest import _user
from dangjian.accounts.roles import Role
from dangjian.assessment.engine import evaluate_assessment
from dangjian.compliance.models import ComplianceRun
from dangjian.reports import documents, services, tasks
from dangjian.reports.choices import Kind, Trigger
from dangjian.reports.models import Bulletin
from dangjian.reports.periods import month_period, week_of
from dangjian.reports.tests import factories as f

AFTER_OCTOBER = dt.date(2025, 11, 1)  # the 1st of November 2025, a Saturday


@pytest.fixture(autouse=True)
def quick_pdf(monkeypatch):
    """The schedule is what is tested here; rendering PDFs is test_documents.py's part."""
    monkeypatch.setattr(documents, "render_pdf", lambda figures, at: b"%PDF-1.7 stub")


@pytest.fixture
def county(db):
    county = f.full_county()
    _user("officer", Role.ADMIN, county.root)
    _user("committee", Role.COMMITTEE, county.a)
    _user("secretary", Role.SECRETARY, county.a1)
    return county


def _made(kind: str) -> list[tuple[str, str, str]]:
    return sorted(
        Bulletin.objects.filter(kind=kind).values_list("organization__code", "period", "trigger")
    )


def test_monthly_schedule_writes_for_each_committee_scope_once(county):
    outcome = services.make_bulletins(Kind.MONTHLY, AFTER_OCTOBER)

    assert outcome.period == month_period(f.MONTH)
    assert _made(Kind.MONTHLY) == [
        ("A", "2025-10", Trigger.SCHEDULE),
        ("R", "2025-10", Trigger.SCHEDULE),
    ]  # the secretary's branch gets no monthly bulletin
    assert Bulletin.objects.filter(created_by_label="定时任务").count() == 2
    again = services.make_bulletins(Kind.MONTHLY, AFTER_OCTOBER)
    assert again.made == [] and again.skipped == 2
    assert "已有 2 份未重复生成" in again.line()


def test_weekly_schedule_on_monday(county):
    monday = f.WEEK_MONDAY + dt.timedelta(days=7)
    outcome = services.make_bulletins(Kind.WEEKLY, monday)
    assert outcome.period == week_of(f.WEEK_MONDAY)
    assert [code for code, *_ in _made(Kind.WEEKLY)] == ["A", "R"]


def test_report_cards_follow_each_new_evaluation(county):
    first = services.make_bulletins(Kind.YEARLY, timezone.localdate())
    assert first.period.key == str(f.YEAR)
    assert [code for code, *_ in _made(Kind.YEARLY)] == ["A", "A1", "R"]
    assert services.make_bulletins(Kind.YEARLY, timezone.localdate()).made == []

    evaluate_assessment(f.YEAR)  # evaluated again: new editions
    again = services.make_bulletins(Kind.YEARLY, timezone.localdate())
    assert len(again.made) == 3 and {b.edition for b in again.made} == {2}


def test_december_is_judged_before_its_monthly_bulletin(county, monkeypatch):
    ComplianceRun.objects.filter(year=f.YEAR).update(judged_through=11)
    judged = []

    def evaluate(year, today=None):
        judged.append((year, today))
        ComplianceRun.objects.filter(year=year).update(judged_through=12)

    monkeypatch.setattr(services, "evaluate_year", evaluate)
    outcome = services.make_bulletins(Kind.MONTHLY, dt.date(2026, 1, 1))
    assert judged == [(f.YEAR, dt.date(2026, 1, 1))]
    assert outcome.period.key == "2025-12" and len(outcome.made) == 2


def test_a_failure_is_reported_and_the_others_still_made(county, monkeypatch):
    real = services.GATHER[Kind.MONTHLY]

    def flaky(org, period, today):
        if org.code == "A":
            raise services.BusinessError("测试：数据缺失")
        return real(org, period, today)

    monkeypatch.setitem(services.GATHER, Kind.MONTHLY, flaky)
    outcome = services.make_bulletins(Kind.MONTHLY, AFTER_OCTOBER)
    assert [b.organization.code for b in outcome.made] == ["R"]
    assert outcome.failed == [("县委机关工委", "测试：数据缺失")]


def test_the_huey_tasks_run_the_schedule(county, monkeypatch):
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: AFTER_OCTOBER)
    assert tasks.monthly_bulletins.call_local() == 2
    assert tasks.yearly_report_cards.call_local() == 3
    assert tasks.weekly_bulletins.call_local() == 2
    assert tasks.monthly_bulletins.call_local() == 0


def test_the_command_makes_an_edition_for_one_organization(county):
    out = StringIO()
    call_command(
        "make_bulletins", "--kind", "monthly", "--period", "2025-10", "--org", "T", stdout=out
    )
    call_command(
        "make_bulletins", "--kind", "月通报", "--period", "2025-10", "--org", "T", stdout=out
    )
    text = out.getvalue()
    assert "已生成 中共狮山镇委员会 2025年10月 党建工作月通报（第1版" in text
    assert "（第2版" in text
    assert _made(Kind.MONTHLY) == [("T", "2025-10", Trigger.COMMAND)] * 2


def test_the_command_without_org_covers_every_scope(county):
    out = StringIO()
    call_command("make_bulletins", "--kind", "yearly", stdout=out, stderr=StringIO())
    assert "成绩单 2025年度：生成 3 份" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--kind", "daily"], "未知的通报类型"),
        (["--kind", "monthly", "--period", "2099-01"], "尚未到来"),
        (["--kind", "monthly", "--period", "2025-13"], "不是真实的月份"),
        (["--kind", "weekly", "--period", "2025-W99"], "没有第99周"),
        (["--kind", "monthly", "--org", "NOPE"], "组织编码 NOPE 不存在"),
        (["--kind", "monthly", "--period", "2024-05", "--org", "R"], "月通报未能生成"),
    ],
)
def test_the_command_refuses_bad_input_in_chinese(county, args, words):
    with pytest.raises(CommandError, match=words):
        call_command("make_bulletins", *args, stdout=StringIO(), stderr=StringIO())
    assert not Bulletin.objects.exists()


def test_a_worker_that_starts_makes_the_bulletins_it_missed_while_not_too_late(monkeypatch):
    """Started on a Wednesday morning: Monday's 周通报 is made (2 days late), not the 月通报
    of the 1st (24 days late: the next one is nearer); a week later, on 2 December, both."""
    from zoneinfo import ZoneInfo

    import time_machine

    from dangjian.reports import tasks

    made = []
    monkeypatch.setattr(tasks, "_run", lambda kind: made.append(kind) or 2)
    beijing = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 0, tzinfo=beijing), tick=False):
        assert tasks.catch_up_bulletins.call_local() == {Kind.WEEKLY: 2}
    assert made == [Kind.WEEKLY]
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, 0, tzinfo=beijing), tick=False):
        assert tasks.catch_up_bulletins.call_local() == {Kind.WEEKLY: 2, Kind.MONTHLY: 2}


def test_a_worker_started_on_an_empty_installation_makes_no_bulletin(db):
    """No organization yet, started on Monday 1 June 2026 in the morning (both are due)."""
    from zoneinfo import ZoneInfo

    import time_machine

    from dangjian.reports import tasks

    monday_the_1st = dt.datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(monday_the_1st, tick=False):
        assert tasks.catch_up_bulletins.call_local() == {Kind.WEEKLY: 0, Kind.MONTHLY: 0}
    assert not Bulletin.objects.exists()
