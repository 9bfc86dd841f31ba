"""C7 writes: opening the rectification ledgers of a year's 软弱涣散 organizations, the plan,
problems and countermeasures, leaders, progress, and the transitions 整顿中 → 已转化 (验收)
→ 巩固.

Every function checks its input first and raises BusinessError (in Chinese) before changing
anything; the change and its audit entry (before/after) commit together. State changes are
compare-and-set on the row read under `select_for_update`, so two officers accepting the same
rectification at once cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.assessment.models import AssessmentResult, AssessmentRun
from dangjian.core.bulk import lock_for_sequence
from dangjian.core.cells import form_text
from dangjian.core.errors import BusinessError
from dangjian.core.signals import results_changed
from dangjian.rectification.choices import (
    COUNTERMEASURE_MAX,
    NAME_MAX,
    OPINION_MAX,
    PLAN_MAX,
    POST_MAX,
    PROBLEM_MAX,
    PROGRESS_MAX,
    LeaderKind,
    State,
)
from dangjian.rectification.models import Leader, Problem, ProgressEntry, Rectification

RECTIFICATION = "整顿台账"
PROBLEM = "整顿问题"
LEADER = "整顿包联领导"
PROGRESS = "整顿进展"
EARLIEST_YEAR = 2000


# --- cleaning -------------------------------------------------------------------------------


def _date(value, label: str, field: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise BusinessError(f"请填写{label}", field)
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BusinessError(f"{label}应为日期，格式如 2025-03-01", field) from None


def clean_year(value, today: dt.date) -> int:
    """An assessment year between 2000 and this year."""
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise BusinessError("请选择考核年度", "year") from None
    if not EARLIEST_YEAR <= year <= today.year:
        raise BusinessError(f"考核年度应在{EARLIEST_YEAR}–{today.year}年之间", "year")
    return year


def _label(rect: Rectification) -> str:
    return f"{rect.organization.name} {rect.year}年度"


def _change(action: str, object_type: str, obj, rect: Rectification, before=None, after=None):
    return audit.Change(
        action,
        object_type,
        obj.pk,
        _label(rect) if obj is rect else f"{_label(rect)}：{obj}",
        rect.organization.path,
        before=before,
        after=after,
    )


def _locked(rect: Rectification, states: tuple[str, ...], doing: str) -> Rectification:
    """Re-read `rect` under a row lock (inside the caller's transaction) and check that its
    state allows `doing`; the caller's copy is refreshed with the current values."""
    current = Rectification.objects.select_for_update().filter(pk=rect.pk).first()
    if current is None:
        raise BusinessError("该整顿台账已不存在")
    for name in ("state", "plan", "transformed_at", "consolidated_at", "updated_at"):
        setattr(rect, name, getattr(current, name))
    if rect.state not in states:
        raise BusinessError(f"当前状态为“{rect.state}”，不能{doing}", "state")
    return rect


def _check_state(rect: Rectification, states: tuple[str, ...], doing: str) -> None:
    """The state check before any locking, so bad requests fail without a transaction."""
    if rect.state not in states:
        raise BusinessError(f"当前状态为“{rect.state}”，不能{doing}", "state")


def _touch(rect: Rectification, now) -> None:
    rect.updated_at = now
    rect.save(update_fields=["updated_at"])


def _counts_changed(rect: Rectification) -> None:
    """Tell the rollups (C16 dashboard) that the ledger's state or problems changed."""
    results_changed.send(
        Rectification, kind="rectification", years=[rect.year], org_ids=[rect.organization_id]
    )


# --- opening the ledgers of a year ---------------------------------------------------------


def open_rectifications(actor, year, today: dt.date | None = None) -> int:
    """Open one rectification for every organization the year's assessment designated
    软弱涣散 and that has none for that year, within the actor's scope (everything from the
    command line). Idempotent; returns how many were opened.

    One read of the flagged results without a ledger (with their organization), one bulk
    insert and one bulk audit write: the same queries for 1 or 1,000.
    """
    today = today or timezone.localdate()
    year = clean_year(year, today)
    if not AssessmentRun.objects.filter(year=year).exists():
        raise BusinessError(f"{year}年度尚未进行考核评价，无法认定软弱涣散党组织", "year")
    now = timezone.now()
    label = audit.actor_label(actor)
    with transaction.atomic():
        lock_for_sequence(f"rectification-open-{year}")
        results = (
            AssessmentResult.objects.all()
            if actor is None
            else AssessmentResult.objects.visible_to(actor)
        )
        flagged = list(
            results.filter(year=year, weak_lax=True)
            .filter(
                ~Exists(
                    Rectification.objects.filter(
                        year=year, organization_id=OuterRef("organization_id")
                    )
                )
            )
            .order_by("organization__path")
            .values_list(
                "organization_id",
                "organization__name",
                "organization__path",
                "final_score",
                "standing",
                "reasons",
            )
        )
        if not flagged:
            return 0
        # both databases return the new ids from the bulk insert (RETURNING)
        made = Rectification.objects.bulk_create(
            [
                Rectification(
                    organization_id=org_id,
                    year=year,
                    state=State.IN_PROGRESS,
                    assessed_score=score,
                    assessed_standing=standing or "",
                    assessed_reasons=reasons or [],
                    opened_at=now,
                    opened_by=label,
                    updated_at=now,
                )
                for org_id, _name, _path, score, standing, reasons in flagged
            ]
        )
        ids = {r.organization_id: r.pk for r in made}
        results_changed.send(Rectification, kind="rectification", years=[year], org_ids=list(ids))
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.CREATE,
                    RECTIFICATION,
                    ids[org_id],
                    f"{name} {year}年度",
                    path,
                    after={
                        "考核年度": year,
                        "状态": State.IN_PROGRESS,
                        "考核综合得分": score,
                        "考核类别": standing,
                    },
                )
                for org_id, name, path, score, standing, _reasons in flagged
            ],
        )
    return len(flagged)


# --- the plan -------------------------------------------------------------------------------


def update_plan(actor, rect: Rectification, plan) -> Rectification:
    """Write the organization's plan (一支部一方案) while it is being rectified."""
    _check_state(rect, (State.IN_PROGRESS,), "修改整顿方案")
    plan = form_text(plan, "整顿方案", PLAN_MAX, "plan")
    with transaction.atomic():
        _locked(rect, (State.IN_PROGRESS,), "修改整顿方案")
        before = rect.plan
        if before == plan:
            return rect
        rect.plan = plan
        rect.updated_at = timezone.now()
        rect.save(update_fields=["plan", "updated_at"])
        audit.record(
            actor,
            [
                _change(
                    audit.Action.UPDATE,
                    RECTIFICATION,
                    rect,
                    rect,
                    before={"整顿方案": before},
                    after={"整顿方案": plan},
                )
            ],
        )
    return rect


# --- problems and countermeasures ----------------------------------------------------------


@dataclass
class ProblemInput:
    """A problem as typed: text, its countermeasure, an optional due date, solved or not."""

    problem: object
    countermeasure: object
    due_on: object = None
    done: bool = False


def _clean_problem(
    rect: Rectification, data: ProblemInput, kept_due: dt.date | None = None
) -> tuple[str, str, dt.date | None]:
    """Cleaned text and due date; a due date left as it was (`kept_due`) is not checked
    again, so an overdue problem can still be edited and solved."""
    problem = form_text(data.problem, "存在问题", PROBLEM_MAX, "problem")
    countermeasure = form_text(
        data.countermeasure, "整改对策", COUNTERMEASURE_MAX, "countermeasure"
    )
    due_on = _date(data.due_on, "完成时限", "due_on", required=False)
    if due_on is not None and due_on != kept_due:
        opened = timezone.localtime(rect.opened_at).date()
        if due_on < opened:
            raise BusinessError(f"完成时限不能早于台账建立日期（{opened:%Y-%m-%d}）", "due_on")
        if due_on.year > opened.year + 5:
            raise BusinessError("完成时限过远，请检查年份", "due_on")
    return problem, countermeasure, due_on


def _problem_snapshot(p: Problem) -> dict:
    return {
        "存在问题": p.problem,
        "整改对策": p.countermeasure,
        "完成时限": p.due_on.isoformat() if p.due_on else "",
        "已解决": p.done,
    }


def add_problem(actor, rect: Rectification, data: ProblemInput) -> Problem:
    """Add a problem and its countermeasure (一问题一对策)."""
    _check_state(rect, (State.IN_PROGRESS,), "增加问题")
    problem, countermeasure, due_on = _clean_problem(rect, data)
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        _locked(rect, (State.IN_PROGRESS,), "增加问题")
        row = Problem.objects.create(
            rectification=rect,
            problem=problem,
            countermeasure=countermeasure,
            due_on=due_on,
            done=bool(data.done),
            done_on=today if data.done else None,
            created_at=now,
        )
        _touch(rect, now)
        _counts_changed(rect)
        audit.record(
            actor, [_change(audit.Action.CREATE, PROBLEM, row, rect, after=_problem_snapshot(row))]
        )
    return row


def update_problem(actor, row: Problem, data: ProblemInput) -> Problem:
    """Change a problem's text, countermeasure, due date or solved flag."""
    rect = row.rectification
    _check_state(rect, (State.IN_PROGRESS,), "修改问题")
    problem, countermeasure, due_on = _clean_problem(rect, data, row.due_on)
    now = timezone.now()
    with transaction.atomic():
        _locked(rect, (State.IN_PROGRESS,), "修改问题")
        before = _problem_snapshot(row)
        done = bool(data.done)
        if done and not row.done:
            row.done_on = timezone.localdate()
        elif not done:
            row.done_on = None
        row.problem, row.countermeasure, row.due_on, row.done = (
            problem,
            countermeasure,
            due_on,
            done,
        )
        old, new = audit.diff(before, _problem_snapshot(row))
        if not new:
            return row
        row.save(update_fields=["problem", "countermeasure", "due_on", "done", "done_on"])
        _touch(rect, now)
        _counts_changed(rect)
        audit.record(
            actor, [_change(audit.Action.UPDATE, PROBLEM, row, rect, before=old, after=new)]
        )
    return row


def set_problem_done(actor, row: Problem, done: bool) -> Problem:
    """Mark a problem solved (or not yet), keeping everything else."""
    return update_problem(
        actor, row, ProblemInput(row.problem, row.countermeasure, row.due_on, done)
    )


def remove_problem(actor, row: Problem) -> None:
    """Remove a problem entered by mistake (only while rectifying; the log keeps it)."""
    rect = row.rectification
    _check_state(rect, (State.IN_PROGRESS,), "删除问题")
    with transaction.atomic():
        _locked(rect, (State.IN_PROGRESS,), "删除问题")
        audit.record(
            actor,
            [_change(audit.Action.DELETE, PROBLEM, row, rect, before=_problem_snapshot(row))],
        )
        row.delete()
        _touch(rect, timezone.now())
        _counts_changed(rect)


# --- leaders -------------------------------------------------------------------------------


def assign_leader(actor, rect: Rectification, kind, name, post="") -> Leader:
    """Attach a leader: 县处级领导包点, 党(工)委书记挂点 or 班子成员驻点."""
    _check_state(rect, (State.IN_PROGRESS,), "调整包联领导")
    if kind not in LeaderKind.values:
        raise BusinessError("包联方式应为包点、挂点或驻点", "kind")
    name = form_text(name, "领导姓名", NAME_MAX, "name")
    post = form_text(post, "职务/单位", POST_MAX, "post", required=False)
    now = timezone.now()
    duplicate = BusinessError(f"{name}已登记为{LeaderKind(kind).label}，不必重复登记", "name")
    try:
        with transaction.atomic():
            _locked(rect, (State.IN_PROGRESS,), "调整包联领导")
            if rect.leaders.filter(kind=kind, name=name).exists():
                raise duplicate
            leader = Leader.objects.create(
                rectification=rect, kind=kind, name=name, post=post, assigned_at=now
            )
            _touch(rect, now)
            audit.record(
                actor,
                [
                    _change(
                        audit.Action.CREATE,
                        LEADER,
                        leader,
                        rect,
                        after={
                            "包联方式": leader.get_kind_display(),
                            "姓名": name,
                            "职务/单位": post,
                        },
                    )
                ],
            )
    except IntegrityError:  # the same leader added at the same moment by someone else
        raise duplicate from None
    return leader


def remove_leader(actor, leader: Leader) -> None:
    """Detach a leader (only while rectifying; the log keeps who it was)."""
    rect = leader.rectification
    _check_state(rect, (State.IN_PROGRESS,), "调整包联领导")
    with transaction.atomic():
        _locked(rect, (State.IN_PROGRESS,), "调整包联领导")
        audit.record(
            actor,
            [
                _change(
                    audit.Action.DELETE,
                    LEADER,
                    leader,
                    rect,
                    before={
                        "包联方式": leader.get_kind_display(),
                        "姓名": leader.name,
                        "职务/单位": leader.post,
                    },
                )
            ],
        )
        leader.delete()
        _touch(rect, timezone.now())


# --- the progress ledger --------------------------------------------------------------------


def add_progress(actor, rect: Rectification, happened_on, content) -> ProgressEntry:
    """Record what was done on a day (while rectifying or consolidating; not in the future)."""
    _check_state(rect, (State.IN_PROGRESS, State.TRANSFORMED), "登记整顿进展")
    today = timezone.localdate()
    happened_on = _date(happened_on, "进展日期", "happened_on")
    if happened_on > today:
        raise BusinessError("进展日期不能晚于今天", "happened_on")
    if happened_on.year < rect.year:
        raise BusinessError(f"进展日期不能早于{rect.year}年", "happened_on")
    content = form_text(content, "进展情况", PROGRESS_MAX, "content")
    now = timezone.now()
    with transaction.atomic():
        _locked(rect, (State.IN_PROGRESS, State.TRANSFORMED), "登记整顿进展")
        entry = ProgressEntry.objects.create(
            rectification=rect,
            happened_on=happened_on,
            content=content,
            recorded_by=audit.actor_label(actor),
            recorded_at=now,
        )
        _touch(rect, now)
        audit.record(
            actor,
            [
                _change(
                    audit.Action.CREATE,
                    PROGRESS,
                    entry,
                    rect,
                    after={"日期": happened_on.isoformat(), "进展情况": content},
                )
            ],
        )
    return entry


# --- transitions ----------------------------------------------------------------------------


def transform_blockers(rect: Rectification, problems=None, leaders=None) -> list[str]:
    """What still stands between a rectification and its acceptance (empty: ready).

    `problems` and `leaders` may be passed when the caller has already read them.
    """
    if problems is None:  # read afresh, never from a prefetch made before the row lock
        problems = Problem.objects.filter(rectification_id=rect.pk)
    if leaders is None:
        leaders = Leader.objects.filter(rectification_id=rect.pk)
    problems, leaders = list(problems), list(leaders)
    blockers = []
    if not rect.plan.strip():
        blockers.append("尚未制定整顿方案（一支部一方案）")
    if not problems:
        blockers.append("尚未登记存在问题和整改对策（一问题一对策）")
    else:
        open_count = sum(1 for p in problems if not p.done)
        if open_count:
            blockers.append(f"还有{open_count}个问题未解决")
    if not leaders:
        blockers.append("尚未登记包联领导（包点、挂点或驻点）")
    return blockers


def _check_acceptor(actor, rect: Rectification) -> None:
    """The superior accepts (评下不评己): an officer does not accept their own organization."""
    scope_id = getattr(actor, "scope_id", None)
    if scope_id is not None and scope_id == rect.organization_id:
        raise BusinessError("不能验收本级组织的整顿，应由上级组织验收", "acceptor")


def transform(actor, rect: Rectification, opinion, acceptor) -> Rectification:
    """整顿中 → 已转化: the superior accepts the rectification (验收) with an opinion.

    Needs a plan, at least one problem with every problem solved, and at least one leader.
    """
    _check_state(rect, (State.IN_PROGRESS,), "验收转化")
    _check_acceptor(actor, rect)
    opinion = form_text(opinion, "验收意见", OPINION_MAX, "acceptance_opinion")
    acceptor = form_text(acceptor, "验收人", NAME_MAX, "acceptor")
    now = timezone.now()
    with transaction.atomic():
        _locked(rect, (State.IN_PROGRESS,), "验收转化")
        blockers = transform_blockers(rect)
        if blockers:
            raise BusinessError("还不能验收转化：" + "；".join(blockers), "state")
        rect.state = State.TRANSFORMED
        rect.transformed_at = now
        rect.acceptance_opinion = opinion
        rect.acceptor = acceptor
        rect.accepted_by = audit.actor_label(actor)
        rect.updated_at = now
        rect.save(
            update_fields=[
                "state",
                "transformed_at",
                "acceptance_opinion",
                "acceptor",
                "accepted_by",
                "updated_at",
            ]
        )
        _counts_changed(rect)
        audit.record(
            actor,
            [
                _change(
                    audit.Action.UPDATE,
                    RECTIFICATION,
                    rect,
                    rect,
                    before={"状态": State.IN_PROGRESS},
                    after={"状态": State.TRANSFORMED, "验收意见": opinion, "验收人": acceptor},
                )
            ],
        )
    return rect


def consolidate(actor, rect: Rectification, note) -> Rectification:
    """已转化 → 巩固: confirm that the transformation has held, with a note on how."""
    if rect.state == State.IN_PROGRESS:
        raise BusinessError("尚未验收转化，不能确认巩固", "state")
    _check_state(rect, (State.TRANSFORMED,), "确认巩固")
    _check_acceptor(actor, rect)
    note = form_text(note, "巩固情况", OPINION_MAX, "consolidation_note")
    now = timezone.now()
    with transaction.atomic():
        _locked(rect, (State.TRANSFORMED,), "确认巩固")
        rect.state = State.CONSOLIDATED
        rect.consolidated_at = now
        rect.consolidation_note = note
        rect.updated_at = now
        rect.save(update_fields=["state", "consolidated_at", "consolidation_note", "updated_at"])
        _counts_changed(rect)
        audit.record(
            actor,
            [
                _change(
                    audit.Action.UPDATE,
                    RECTIFICATION,
                    rect,
                    rect,
                    before={"状态": State.TRANSFORMED},
                    after={"状态": State.CONSOLIDATED, "巩固情况": note},
                )
            ],
        )
    return rect
