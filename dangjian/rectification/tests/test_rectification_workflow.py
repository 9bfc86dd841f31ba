"""C7 rectification through the services: opening a year's ledgers for its 软弱涣散
organizations (idempotent, scoped, set-based), the plan, problems, leaders and progress, and
every transition 整顿中 → 已转化 → 巩固 with the illegal ones refused. Bad input raises a
Chinese BusinessError and changes nothing; every change is in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.accounts.models import AuditEntry
from dangjian.core.errors import BusinessError
from dangjian.orgs.tests.factories import make_org
from dangjian.rectification import services
from dangjian.rectification.choices import LeaderKind, State
from dangjian.rectification.models import Leader, Problem, ProgressEntry, Rectification
from dangjian.rectification.tests.factories import YEAR, flag, opened, ready

pytestmark = pytest.mark.django_db


def entries(object_type: str, action: str | None = None):
    qs = AuditEntry.objects.filter(object_type=object_type)
    return qs.filter(action=action) if action else qs


def transitions(to_state: str) -> list[AuditEntry]:
    """Audit entries of ledgers moving to `to_state`."""
    return [e for e in entries("整顿台账", "update") if (e.after or {}).get("状态") == to_state]


def snapshot(rect: Rectification) -> dict:
    """Everything a refused call must leave untouched."""
    rect = Rectification.objects.get(pk=rect.pk)
    return {
        "rect": (rect.state, rect.plan, rect.acceptor, rect.acceptance_opinion, rect.updated_at),
        "problems": list(Problem.objects.filter(rectification=rect).values()),
        "leaders": list(Leader.objects.filter(rectification=rect).values()),
        "progress": list(ProgressEntry.objects.filter(rectification=rect).values()),
        "audit": AuditEntry.objects.count(),
    }


# --- opening ---------------------------------------------------------------------------------


def test_opening_creates_one_ledger_per_flagged_organization(tree, officer):
    flag([tree.a1, tree.t1])
    flag([tree.a2], weak=False)  # 后进 but not 软弱涣散
    flag([tree.a2], YEAR - 1)  # flagged another year
    assert services.open_rectifications(officer, YEAR) == 2
    rects = Rectification.objects.filter(year=YEAR).order_by("organization__path")
    assert [r.organization_id for r in rects] == [tree.a1.pk, tree.t1.pk]
    first = rects[0]
    assert first.state == State.IN_PROGRESS
    assert str(first.assessed_score) == "55.00" and first.assessed_standing == "后进"
    assert "认定为软弱涣散" in first.assessed_reasons[-1]
    assert first.opened_by == "officer" and first.opened_at is not None
    created = entries("整顿台账", "create")
    assert created.count() == 2
    assert {e.org_path for e in created} == {tree.a1.path, tree.t1.path}
    assert created.get(object_id=str(first.pk)).after["状态"] == "整顿中"


def test_opening_twice_changes_nothing(tree, officer):
    flag([tree.a1, tree.t1])
    assert services.open_rectifications(officer, str(YEAR)) == 2
    audit_count = AuditEntry.objects.count()
    assert services.open_rectifications(officer, YEAR) == 0
    assert Rectification.objects.count() == 2
    assert AuditEntry.objects.count() == audit_count
    # a result flagged later (the year evaluated again) gets its ledger; the others stay
    flag([tree.a2])
    assert services.open_rectifications(officer, YEAR) == 1
    assert Rectification.objects.count() == 3


def test_opening_stays_inside_the_actors_scope(tree, committee_admin, officer):
    flag([tree.a1, tree.a2, tree.t1])
    assert services.open_rectifications(committee_admin, YEAR) == 2
    assert set(Rectification.objects.values_list("organization_id", flat=True)) == {
        tree.a1.pk,
        tree.a2.pk,
    }
    assert services.open_rectifications(officer, YEAR) == 1


@pytest.mark.parametrize(
    ("year", "message"),
    [
        (YEAR - 3, "尚未进行考核评价"),
        ("abc", "请选择考核年度"),
        ("", "请选择考核年度"),
        (1999, "2000"),
        (dt.date.today().year + 1, "之间"),
    ],
)
def test_opening_a_bad_year_is_refused(tree, officer, year, message):
    flag([tree.a1])
    with pytest.raises(BusinessError, match=message):
        services.open_rectifications(officer, year)
    assert not Rectification.objects.exists()
    assert not entries("整顿台账").exists()


def test_opening_is_set_based(tree, officer):
    """The same queries for one flagged organization as for many."""

    def count(year) -> int:
        with CaptureQueriesContext(connection) as ctx:
            services.open_rectifications(officer, year)
        return len(ctx.captured_queries)

    flag([tree.a1])
    few = count(YEAR)
    many = [make_org(tree.t, "党支部", "村") for _ in range(12)]
    flag(many, YEAR - 1)
    assert Rectification.objects.count() == 1
    assert count(YEAR - 1) == few
    assert Rectification.objects.filter(year=YEAR - 1).count() == 12
    assert entries("整顿台账", "create").count() == 13


# --- plan, problems, leaders, progress -------------------------------------------------------


def test_plan_is_written_and_audited(tree, officer):
    rect = opened(tree.a1)
    services.update_plan(officer, rect, "  配强支部班子，规范三会一课  ")
    rect.refresh_from_db()
    assert rect.plan == "配强支部班子，规范三会一课"
    entry = entries("整顿台账", "update").get()
    assert entry.before == {"整顿方案": ""}
    assert entry.after == {"整顿方案": "配强支部班子，规范三会一课"}
    assert entry.org_path == tree.a1.path
    services.update_plan(officer, rect, "配强支部班子，规范三会一课")  # unchanged: no entry
    assert entries("整顿台账", "update").count() == 1


def test_a_plan_pasted_from_word_keeps_its_line_breaks(tree, officer):
    rect = opened(tree.a1)
    services.update_plan(officer, rect, "一、配强班子\x0b二、规范三会一课")
    rect.refresh_from_db()
    assert rect.plan == "一、配强班子\n二、规范三会一课"


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("   ", "请填写整顿方案"),
        ("字" * 5001, "过长"),
        ("一、配强班子\x01二、规范三会一课", "整顿方案含有不可见的控制字符"),
    ],
)
def test_bad_plan_changes_nothing(tree, officer, plan, message):
    rect = opened(tree.a1)
    before = snapshot(rect)
    with pytest.raises(BusinessError, match=message):
        services.update_plan(officer, rect, plan)
    assert snapshot(rect) == before


def test_problems_are_added_changed_solved_and_removed(tree, officer):
    rect = opened(tree.a1)
    due = timezone.localdate() + dt.timedelta(days=30)
    problem = services.add_problem(
        officer, rect, services.ProblemInput("组织生活不经常", "每月召开支委会", due.isoformat())
    )
    assert (problem.due_on, problem.done, problem.done_on) == (due, False, None)
    assert entries("整顿问题", "create").get().after["完成时限"] == due.isoformat()

    services.update_problem(
        officer, problem, services.ProblemInput("组织生活不经常", "每月召开支委会和主题党日", due)
    )
    changed = entries("整顿问题", "update").get()
    assert changed.before == {"整改对策": "每月召开支委会"}
    assert changed.after == {"整改对策": "每月召开支委会和主题党日"}

    services.set_problem_done(officer, problem, True)
    problem.refresh_from_db()
    assert problem.done and problem.done_on == timezone.localdate()
    services.set_problem_done(officer, problem, False)
    problem.refresh_from_db()
    assert not problem.done and problem.done_on is None
    assert entries("整顿问题", "update").count() == 3

    services.remove_problem(officer, problem)
    assert not Problem.objects.exists()
    removed = entries("整顿问题", "delete").get()
    assert removed.before["存在问题"] == "组织生活不经常"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (services.ProblemInput("", "对策"), "请填写存在问题"),
        (services.ProblemInput("问题", "  "), "请填写整改对策"),
        (services.ProblemInput("问" * 501, "对策"), "存在问题过长"),
        (services.ProblemInput("问题", "对\x01策"), "整改对策含有不可见的控制字符"),
        (services.ProblemInput("问题", "对策", "2025-02-30"), "完成时限应为日期"),
        (services.ProblemInput("问题", "对策", "2001-01-01"), "不能早于台账建立日期"),
        (services.ProblemInput("问题", "对策", "2199-01-01"), "过远"),
    ],
)
def test_bad_problem_changes_nothing(tree, officer, data, message):
    rect = opened(tree.a1)
    before = snapshot(rect)
    with pytest.raises(BusinessError, match=message):
        services.add_problem(officer, rect, data)
    assert snapshot(rect) == before


def test_bad_problem_edit_changes_nothing(tree, officer):
    rect = opened(tree.a1)
    problem = services.add_problem(officer, rect, services.ProblemInput("问题", "对策"))
    before = snapshot(rect)
    with pytest.raises(BusinessError, match="请填写整改对策"):
        services.update_problem(officer, problem, services.ProblemInput("新问题", "", done=True))
    assert snapshot(rect) == before


def test_leaders_of_the_three_kinds(tree, officer):
    rect = opened(tree.a1)
    services.assign_leader(officer, rect, LeaderKind.COUNTY_LEADER, "王县长", "副县长")
    services.assign_leader(officer, rect, LeaderKind.COMMITTEE_SECRETARY, "李书记", "机关工委书记")
    member = services.assign_leader(officer, rect, LeaderKind.TEAM_MEMBER, "张局长")
    assert [x.get_kind_display() for x in rect.leaders.all()] == [
        "县处级领导包点",
        "党(工)委书记挂点",
        "班子成员驻点",
    ]
    assert entries("整顿包联领导", "create").count() == 3
    services.remove_leader(officer, member)
    assert rect.leaders.count() == 2
    assert entries("整顿包联领导", "delete").get().before["姓名"] == "张局长"


@pytest.mark.parametrize(
    ("kind", "name", "message"),
    [
        ("顾问", "王县长", "包联方式应为包点、挂点或驻点"),
        (LeaderKind.COUNTY_LEADER, " ", "请填写领导姓名"),
        (LeaderKind.COUNTY_LEADER, "名" * 51, "领导姓名过长"),
        (LeaderKind.COUNTY_LEADER, "王县长", "已登记为县处级领导包点"),
    ],
)
def test_bad_leader_changes_nothing(tree, officer, kind, name, message):
    rect = opened(tree.a1)
    services.assign_leader(officer, rect, LeaderKind.COUNTY_LEADER, "王县长")
    before = snapshot(rect)
    with pytest.raises(BusinessError, match=message):
        services.assign_leader(officer, rect, kind, name)
    assert snapshot(rect) == before


def test_progress_is_recorded_with_its_recorder(tree, officer):
    rect = opened(tree.a1)
    today = timezone.localdate()
    entry = services.add_progress(officer, rect, today.isoformat(), "召开专题组织生活会")
    assert (entry.happened_on, entry.recorded_by) == (today, "officer")
    logged = entries("整顿进展", "create").get()
    assert logged.after == {"日期": today.isoformat(), "进展情况": "召开专题组织生活会"}


@pytest.mark.parametrize(
    ("day", "content", "message"),
    [
        (dt.date.today() + dt.timedelta(days=1), "提前登记", "不能晚于今天"),
        (dt.date(YEAR - 1, 12, 31), "太早", f"不能早于{YEAR}年"),
        ("昨天", "内容", "应为日期"),
        (None, "内容", "请填写进展日期"),
        (dt.date.today(), "", "请填写进展情况"),
    ],
)
def test_bad_progress_changes_nothing(tree, officer, day, content, message):
    rect = opened(tree.a1)
    before = snapshot(rect)
    with pytest.raises(BusinessError, match=message):
        services.add_progress(officer, rect, day, content)
    assert snapshot(rect) == before


# --- transitions -----------------------------------------------------------------------------


def test_the_whole_way_to_consolidation(tree, officer):
    rect = ready(opened(tree.a1), officer)
    services.transform(officer, rect, "问题全部整改到位，同意转化", "组织部 刘部长")
    rect.refresh_from_db()
    assert rect.state == State.TRANSFORMED and rect.transformed_at is not None
    assert (rect.acceptor, rect.accepted_by) == ("组织部 刘部长", "officer")
    [accepted] = transitions("已转化")
    assert accepted.before == {"状态": "整顿中"}
    assert accepted.after["验收人"] == "组织部 刘部长"

    # consolidating: progress still recorded, the accepted plan and problems frozen
    services.add_progress(officer, rect, timezone.localdate(), "转化后回访，班子运转正常")
    for call in (
        lambda: services.update_plan(officer, rect, "新方案"),
        lambda: services.add_problem(officer, rect, services.ProblemInput("新问题", "新对策")),
        lambda: services.assign_leader(officer, rect, LeaderKind.TEAM_MEMBER, "新人"),
        lambda: services.remove_leader(officer, rect.leaders.first()),
        lambda: services.set_problem_done(officer, rect.problems.first(), False),
        lambda: services.remove_problem(officer, rect.problems.first()),
        lambda: services.transform(officer, rect, "再验收", "某人"),
    ):
        before = snapshot(rect)
        with pytest.raises(BusinessError, match="当前状态为“已转化”"):
            call()
        assert snapshot(rect) == before

    services.consolidate(officer, rect, "半年回访，长效机制落实")
    rect.refresh_from_db()
    assert rect.state == State.CONSOLIDATED and rect.consolidated_at is not None
    assert rect.consolidation_note == "半年回访，长效机制落实"
    assert len(transitions("巩固")) == 1

    for call in (
        lambda: services.consolidate(officer, rect, "再确认"),
        lambda: services.add_progress(officer, rect, timezone.localdate(), "结束后"),
        lambda: services.transform(officer, rect, "意见", "某人"),
    ):
        before = snapshot(rect)
        with pytest.raises(BusinessError, match="当前状态为“巩固”"):
            call()
        assert snapshot(rect) == before


@pytest.mark.parametrize(
    ("undo", "message"),
    [
        ("plan", "尚未制定整顿方案"),
        ("problems", "尚未登记存在问题和整改对策"),
        ("open_problem", "还有1个问题未解决"),
        ("leaders", "尚未登记包联领导"),
    ],
)
def test_acceptance_needs_plan_solved_problems_and_a_leader(tree, officer, undo, message):
    rect = ready(opened(tree.a1), officer)
    if undo == "plan":
        Rectification.objects.filter(pk=rect.pk).update(plan="")
        rect.refresh_from_db()
    elif undo == "problems":
        Problem.objects.all().delete()
    elif undo == "open_problem":
        services.add_problem(officer, rect, services.ProblemInput("党员教育薄弱", "开展党课"))
    else:
        Leader.objects.all().delete()
    before = snapshot(rect)
    with pytest.raises(BusinessError, match=message):
        services.transform(officer, rect, "同意", "刘部长")
    assert snapshot(rect) == before


def test_blockers_of_a_fresh_ledger_name_everything(tree):
    rect = opened(tree.a1)
    assert services.transform_blockers(rect) == [
        "尚未制定整顿方案（一支部一方案）",
        "尚未登记存在问题和整改对策（一问题一对策）",
        "尚未登记包联领导（包点、挂点或驻点）",
    ]


@pytest.mark.parametrize(
    ("opinion", "acceptor", "message"),
    [("", "刘部长", "请填写验收意见"), ("同意", "  ", "请填写验收人")],
)
def test_acceptance_needs_an_opinion_and_an_acceptor(tree, officer, opinion, acceptor, message):
    rect = ready(opened(tree.a1), officer)
    before = snapshot(rect)
    with pytest.raises(BusinessError, match=message):
        services.transform(officer, rect, opinion, acceptor)
    assert snapshot(rect) == before


def test_consolidation_comes_after_acceptance_and_needs_a_note(tree, officer):
    rect = ready(opened(tree.a1), officer)
    before = snapshot(rect)
    with pytest.raises(BusinessError, match="尚未验收转化，不能确认巩固"):
        services.consolidate(officer, rect, "巩固")
    assert snapshot(rect) == before
    services.transform(officer, rect, "同意", "刘部长")
    before = snapshot(rect)
    with pytest.raises(BusinessError, match="请填写巩固情况"):
        services.consolidate(officer, rect, " ")
    assert snapshot(rect) == before


def test_an_organization_does_not_accept_its_own_rectification(tree, committee_admin):
    rect = ready(opened(tree.a), committee_admin)  # the committee itself was flagged
    before = snapshot(rect)
    with pytest.raises(BusinessError, match="不能验收本级组织的整顿"):
        services.transform(committee_admin, rect, "同意", "自己")
    assert snapshot(rect) == before


def test_a_stale_copy_cannot_transform_twice(tree, officer):
    """Two officers open the page; the second acceptance finds the row already accepted."""
    rect = ready(opened(tree.a1), officer)
    stale = Rectification.objects.select_related("organization").get(pk=rect.pk)
    services.transform(officer, rect, "同意", "刘部长")
    with pytest.raises(BusinessError, match="当前状态为“已转化”"):
        services.transform(officer, stale, "也同意", "陈部长")
    rect.refresh_from_db()
    assert rect.acceptor == "刘部长"
    assert len(transitions("已转化")) == 1


def test_an_overdue_problem_can_still_be_solved(tree, officer):
    """The due date passed (and was checked when typed); solving it does not check it again."""
    rect = opened(tree.a1)
    Rectification.objects.filter(pk=rect.pk).update(
        opened_at=timezone.now() - dt.timedelta(days=90)
    )
    rect.refresh_from_db()
    late = timezone.localdate() - dt.timedelta(days=10)
    problem = services.add_problem(officer, rect, services.ProblemInput("问题", "对策", late))
    assert problem.is_overdue(timezone.localdate())
    Rectification.objects.filter(pk=rect.pk).update(opened_at=timezone.now())
    problem = Problem.objects.select_related("rectification__organization").get(pk=problem.pk)
    services.set_problem_done(officer, problem, True)
    problem.refresh_from_db()
    assert problem.done and not problem.is_overdue(timezone.localdate())


def test_ledgers_follow_the_assessment_engine(tree, officer):
    """Six villages scored through the assessment services and engine: the lowest ones are
    后进, the lowest of those 软弱涣散 (SPEC §6), and exactly those get a ledger."""
    from dangjian.assessment.engine import evaluate_assessment
    from dangjian.assessment.models import AssessmentResult
    from dangjian.assessment.services import RecordInput, save_record

    villages = [make_org(tree.t, "党支部", "村", name=f"第{i}村党支部") for i in range(6)]
    for village, score in zip(villages, ("95", "90", "85", "80", "60", "50"), strict=True):
        save_record(officer, village, YEAR, RecordInput(score))
    evaluate_assessment(YEAR, actor=officer)
    weak = set(
        AssessmentResult.objects.filter(year=YEAR, weak_lax=True).values_list(
            "organization_id", flat=True
        )
    )
    assert villages[-1].pk in weak and villages[0].pk not in weak
    assert services.open_rectifications(officer, YEAR) == len(weak)
    assert set(Rectification.objects.values_list("organization_id", flat=True)) == weak
    lowest = Rectification.objects.get(organization=villages[-1])
    assert str(lowest.assessed_score) == "50.00" and lowest.assessed_standing == "后进"
    assert lowest.assessed_reasons  # the engine's reasons travel with the ledger


def test_the_command_opens_the_whole_jurisdiction(tree):
    from io import StringIO

    from django.core.management import CommandError, call_command

    flag([tree.a1, tree.t1])
    out = StringIO()
    call_command("open_rectifications", "--year", str(YEAR), stdout=out)
    assert f"{YEAR}年度新建整顿台账 2 个" in out.getvalue()
    assert entries("整顿台账", "create").first().actor_label == "系统（命令行）"
    with pytest.raises(CommandError, match="尚未进行考核评价"):
        call_command("open_rectifications", "--year", str(YEAR - 5))
