"""The Excel export of rectification ledgers (C7, SPEC §4): the ledgers of a subtree as
filtered on the list page, their problems and their progress, one sheet each. A fixed number
of queries whatever the number of rows; the export itself is logged (who, what, how many)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.rectification import selectors
from dangjian.rectification.choices import LeaderKind

LEDGER_HEADER = [
    "考核年度",
    "组织编码",
    "组织名称",
    "整顿状态",
    "考核综合得分",
    "问题数",
    "已解决",
    "逾期未解决",
    *LeaderKind.labels,
    "进展记录数",
    "最近进展",
    "建立日期",
    "验收转化日期",
    "验收人",
    "巩固确认日期",
]
PROBLEM_HEADER = ["考核年度", "组织编码", "组织名称", "存在问题", "整改对策", "完成时限", "状态"]
PROGRESS_HEADER = ["考核年度", "组织编码", "组织名称", "日期", "进展情况", "记录人"]


def _day(value) -> dt.date | None:
    return timezone.localtime(value).date() if value else None


def _leaders(rect, kind: str) -> str:
    return "、".join(x.name for x in rect.leaders.all() if x.kind == kind)


def rectification_sheets(user, org, filters: selectors.Filters, today: dt.date) -> dict:
    """Sheets for `xlsx_response`: 整顿台账, 问题清单, 进展台账 of `org`'s subtree."""
    rects = list(selectors.listing(org, filters, today).prefetch_related("leaders"))
    by_id = {r.pk: r for r in rects}
    problems, progress = selectors.export_details(selectors.in_scope(org, filters, today))
    with transaction.atomic():
        audit.record_export(
            user,
            "整顿台账",
            org.path,
            {"组织": org.code, "筛选": filters.query() or "全部", "行数": len(rects)},
        )

    def owner(row) -> tuple:
        rect = by_id[row.rectification_id]
        return rect.year, rect.organization.code, rect.organization.name

    def problem_state(p) -> str:
        return "已解决" if p.done else ("逾期" if p.is_overdue(today) else "未解决")

    return {
        "整顿台账": (
            LEDGER_HEADER,
            (
                (
                    r.year,
                    r.organization.code,
                    r.organization.name,
                    r.state,
                    r.assessed_score,
                    r.problem_count,
                    r.solved_count,
                    r.overdue_count,
                    *(_leaders(r, kind) for kind in LeaderKind.values),
                    r.progress_count,
                    r.last_progress_on,
                    _day(r.opened_at),
                    _day(r.transformed_at),
                    r.acceptor,
                    _day(r.consolidated_at),
                )
                for r in rects
            ),
        ),
        "问题清单": (
            PROBLEM_HEADER,
            (
                (*owner(p), p.problem, p.countermeasure, p.due_on, problem_state(p))
                for p in problems
                if p.rectification_id in by_id
            ),
        ),
        "进展台账": (
            PROGRESS_HEADER,
            (
                (*owner(e), e.happened_on, e.content, e.recorded_by)
                for e in progress
                if e.rectification_id in by_id
            ),
        ),
    }
