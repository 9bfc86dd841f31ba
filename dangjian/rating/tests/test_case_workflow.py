"""Complaint cases (C8): 转办 to a department with a deadline in working days, 跟踪 notes, 反馈
with a written reply, 回访 by the person, 办结; escalation of overdue cases to the department's
superior on a schedule (and by command); every step logged and every officer's change audited;
wrong transitions refused in Chinese without changing anything."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from conftest import client_for
from dangjian.accounts.models import AuditEntry
from dangjian.core.errors import BusinessError
from dangjian.core.workdays import add_working_days, is_working_day
from dangjian.rating import intake, rollups, services
from dangjian.rating.choices import CaseState, StepKind
from dangjian.rating.models import Case, CaseStep, TargetMonth
from dangjian.rating.tests.factories import make_target, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(tree):
    return make_target(tree.a1, "财政局办事窗口")


def open_case(target, comment="办事要跑好几趟") -> Case:
    ack = rate(target, 2, comment)
    return Case.objects.select_related("organization", "target").get(
        tracking_code=ack.tracking_code
    )


def kinds(case) -> list[str]:
    return list(case.steps.order_by("at", "id").values_list("kind", flat=True))


# --- working days --------------------------------------------------------------------------


def test_working_days_skip_weekends():
    friday = dt.date(2026, 5, 15)
    assert friday.weekday() == 4
    assert add_working_days(friday, 1) == dt.date(2026, 5, 18)  # Monday
    assert add_working_days(friday, 5) == dt.date(2026, 5, 22)
    assert add_working_days(dt.date(2026, 5, 16), 1) == dt.date(2026, 5, 18)  # from Saturday


@override_settings(HOLIDAYS=["2026-10-01", "2026-10-02"], WORKDAYS=["2026-10-10"])
def test_holidays_and_swapped_workdays_are_configurable():
    assert not is_working_day(dt.date(2026, 10, 1)) and is_working_day(dt.date(2026, 10, 10))
    assert add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 5)


@override_settings(CASE_WORKING_DAYS=3)
def test_a_new_case_gets_the_configured_working_days(target):
    case = open_case(target)
    assert case.deadline == add_working_days(timezone.localdate(), 3)


# --- the workflow --------------------------------------------------------------------------


def test_assign_track_reply_and_feedback_close_the_loop(tree, officer, target):
    case = open_case(target)
    deadline = add_working_days(timezone.localdate(), 4)
    services.assign(officer, case, tree.a2, deadline, "请组织部机关核实")
    case.refresh_from_db()
    assert (case.state, case.organization_id, case.deadline) == (
        CaseState.HANDLING,
        tree.a2.pk,
        deadline,
    )
    services.track(officer, case, "已电话联系群众")
    services.reply(officer, case, "已核实，窗口已增加一名工作人员")
    case.refresh_from_db()
    assert case.state == CaseState.REPLIED and case.replied_by.startswith("officer")
    services.public_feedback(case, True, "满意")
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.resolved is True and case.closed_at
    assert kinds(case) == [
        StepKind.OPENED,
        StepKind.ASSIGNED,
        StepKind.TRACKED,
        StepKind.REPLIED,
        StepKind.FEEDBACK,
    ]
    step = case.steps.get(kind=StepKind.ASSIGNED)
    assert (step.organization_id, step.deadline, step.note) == (
        tree.a2.pk,
        deadline,
        "请组织部机关核实",
    )
    audited = AuditEntry.objects.filter(object_type=services.CASE, object_id=str(case.pk))
    assert audited.count() == 3  # assign, track, reply (the person's feedback is a step)


def test_not_solved_sends_the_case_back_with_a_new_deadline(officer, target):
    case = open_case(target)
    services.reply(officer, case, "已处理")
    services.public_feedback(case, False, "还是一样")
    case.refresh_from_db()
    assert case.state == CaseState.HANDLING and case.resolved is False
    assert kinds(case)[-2:] == [StepKind.FEEDBACK, StepKind.REOPENED]
    services.reply(officer, case, "再次处理")  # answered again
    case.refresh_from_db()
    assert case.state == CaseState.REPLIED and case.resolved is None


def test_close_after_a_reply_without_feedback(officer, target):
    case = open_case(target)
    with pytest.raises(BusinessError, match="不能办结"):
        services.close(officer, case)
    services.reply(officer, case, "已处理")
    services.close(officer, case, "群众未回访，予以办结")
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and kinds(case)[-1] == StepKind.CLOSED


def test_wrong_moves_are_refused_and_change_nothing(tree, officer, target):
    case = open_case(target)
    before = (CaseStep.objects.count(), AuditEntry.objects.count())
    with pytest.raises(BusinessError, match="答复内容"):
        services.reply(officer, case, "   ")
    with pytest.raises(BusinessError, match="过长"):
        services.track(officer, case, "很" * 2001)
    with pytest.raises(BusinessError, match="不能早于今天"):
        services.assign(officer, case, tree.a2, timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(BusinessError, match="最长"):
        services.assign(officer, case, tree.a2, timezone.localdate() + dt.timedelta(days=90))
    with pytest.raises(BusinessError, match="日期"):
        services.assign(officer, case, tree.a2, "明天")
    with pytest.raises(intake.PublicError, match="尚未答复"):
        services.public_feedback(case, True)
    services.reply(officer, case, "已处理")
    with pytest.raises(intake.PublicError, match="true 或 false"):
        services.public_feedback(case, "yes")
    for call in (
        lambda: services.assign(officer, case, tree.a2),
        lambda: services.escalate(officer, case),
        lambda: services.reply(officer, case, "再答复"),
    ):
        with pytest.raises(BusinessError, match="已反馈"):
            call()
    assert (CaseStep.objects.count(), AuditEntry.objects.count()) == (
        before[0] + 1,
        before[1] + 1,
    )


def test_a_stale_copy_cannot_move_a_case_twice(officer, target):
    case = open_case(target)
    stale = Case.objects.get(pk=case.pk)
    services.reply(officer, case, "已处理")
    with pytest.raises(BusinessError, match="已反馈"):
        services.reply(officer, stale, "第二次答复")
    assert Case.objects.get(pk=case.pk).reply == "已处理"


# --- escalation ----------------------------------------------------------------------------


def test_escalate_moves_the_case_to_the_superior(tree, officer, target):
    case = open_case(target)
    services.escalate(officer, case, "督办")
    case.refresh_from_db()
    assert case.organization_id == tree.a.pk and case.escalation_level == 1
    services.escalate(officer, case)
    services.escalate(officer, case)
    case.refresh_from_db()
    assert case.organization_id == tree.root.pk and case.escalation_level == 3  # stays at the top


def test_overdue_cases_escalate_on_schedule_set_based(tree, target, django_assert_max_num_queries):
    t1_target = make_target(tree.t1, "新村便民服务站", "station")
    late = [open_case(target), open_case(t1_target)]
    on_time = open_case(target)
    replied = open_case(target)
    services.reply(None, replied, "已答复")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Case.objects.filter(pk__in=[c.pk for c in [*late, replied]]).update(deadline=yesterday)

    # one read, names, one update per superior, steps, paths, audit (lock, last hash, insert)
    with django_assert_max_num_queries(12):
        assert services.escalate_overdue() == 2
    by_pk = {c.pk: c for c in Case.objects.all()}
    assert by_pk[late[0].pk].organization_id == tree.a.pk
    assert by_pk[late[1].pk].organization_id == tree.t.pk
    assert all(by_pk[c.pk].deadline > timezone.localdate() for c in late)
    assert by_pk[on_time.pk].escalation_level == 0 and by_pk[replied.pk].escalation_level == 0
    step = CaseStep.objects.get(case=late[1], kind=StepKind.ESCALATED)
    assert "逾期未办结" in step.note and step.actor_label == intake.SYSTEM_LABEL
    assert services.escalate_overdue() == 0  # the new deadline is ahead: nothing to do


def test_the_escalation_command_and_the_officer_list(tree, target, client, committee_admin):
    case = open_case(target)
    Case.objects.filter(pk=case.pk).update(deadline=timezone.localdate() - dt.timedelta(days=3))
    call_command("escalate_cases")
    case.refresh_from_db()
    assert case.organization_id == tree.a.pk and case.escalation_level == 1
    # the superior (机关工委) sees it on its list, the department still sees it
    client_for(client, committee_admin)
    assert case.tracking_code in client.get("/rating/cases/").content.decode()


def test_the_escalation_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("escalate_cases", "--date", "昨天")


def test_rollups_follow_case_changes(officer, target, django_capture_on_commit_callbacks):
    case = open_case(target)
    rollups.refresh_all()
    month = case.month
    row = TargetMonth.objects.get(target=target, month=month)
    assert (row.cases, row.open_cases, row.overdue_cases) == (1, 1, 0)
    Case.objects.filter(pk=case.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))
    rollups.refresh_open_cases()
    assert TargetMonth.objects.get(target=target, month=month).overdue_cases == 1
    # the officer's actions refresh the case's month after commit
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(officer, case, "已处理")
        services.close(officer, case)
    row = TargetMonth.objects.get(target=target, month=month)
    assert (row.cases, row.open_cases, row.overdue_cases) == (1, 0, 0)


def test_reading_the_phone_is_logged(officer, target):
    ack = rate(target, 1, "请回电", phone="13700001234")
    case = Case.objects.select_related("organization").get(tracking_code=ack.tracking_code)
    before = AuditEntry.objects.filter(action="read_pii").count()
    assert services.reveal_phone(officer, case) == "13700001234"
    assert AuditEntry.objects.filter(action="read_pii").count() == before + 1
    assert services.masked_phone(case.rating.phone) == "137****1234"


def test_the_scheduled_tasks_run(tree, target):
    """The huey schedule (immediate in tests): rollups of new ratings, escalation, nightly."""
    from dangjian.rating import tasks

    case = open_case(target)
    Case.objects.filter(pk=case.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))
    assert tasks.refresh_rollups.call_local() == 1
    assert tasks.escalate_overdue_cases.call_local() == 1
    assert Case.objects.get(pk=case.pk).organization_id == tree.a.pk
    assert tasks.daily_rollups.call_local() == 1
    # all three are on the periodic schedule
    from huey.contrib.djhuey import HUEY

    scheduled = {t.__name__ for t in HUEY._registry._periodic_tasks}
    assert {"refresh_rollups", "escalate_overdue_cases", "daily_rollups"} <= scheduled
