"""Excel exports of C8 (SPEC §4): ratings and cases as filtered on their pages, and the
satisfaction table. Phones are masked; a fixed number of queries whatever the number of rows
(ratings and cases are read as values, streamed in chunks); the export itself is logged."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.rating import selectors, services
from dangjian.rating.choices import SCORE_LABELS, CaseState

MAX_ROWS = 200_000

RATING_HEADER = [
    "评价时间",
    "评议码",
    "评议对象",
    "所属组织编码",
    "评价",
    "评价等级",
    "意见建议",
    "联系电话",
    "计入统计",
    "诉求查询码",
]
CASE_HEADER = [
    "查询码",
    "状态",
    "评议码",
    "评议对象",
    "承办单位编码",
    "承办单位",
    "评价等级",
    "诉求内容",
    "联系电话",
    "受理时间",
    "办理时限",
    "是否逾期",
    "督办次数",
    "答复内容",
    "答复时间",
    "群众评价结果",
    "办结时间",
]
STATES = dict(CaseState.choices)


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _logged(user, org, what: str, filters: str, count: int) -> None:
    with transaction.atomic():
        audit.record_export(
            user, what, org.path, {"组织": org.code, "筛选": filters or "全部", "行数": count}
        )


def rating_sheets(user, org, filters: selectors.RatingFilters, rows) -> dict:
    """One sheet of ratings (one query)."""
    data = list(
        rows.values_list(
            "created_at",
            "target__code",
            "target__name",
            "organization__code",
            "score",
            "comment",
            "phone",
            "counted",
            "case__tracking_code",
        )[:MAX_ROWS]
    )
    _logged(user, org, "群众评价", filters.query(), len(data))
    body = (
        [
            _local(at),
            code,
            name,
            org_code,
            score,
            SCORE_LABELS.get(score, ""),
            comment,
            services.masked_phone(phone),
            "是" if counted else "否（重复评价）",
            tracking or "",
        ]
        for at, code, name, org_code, score, comment, phone, counted, tracking in data
    )
    return {"群众评价": (RATING_HEADER, body)}


def case_sheets(user, org, filters: selectors.CaseFilters, rows, today: dt.date) -> dict:
    """One sheet of cases, overdue first (one query)."""
    data = list(
        rows.values_list(
            "tracking_code",
            "state",
            "target__code",
            "target__name",
            "organization__code",
            "organization__name",
            "score",
            "complaint",
            "rating__phone",
            "opened_at",
            "deadline",
            "escalation_level",
            "reply",
            "replied_at",
            "resolved",
            "closed_at",
        )[:MAX_ROWS]
    )
    _logged(user, org, "群众诉求", filters.query(), len(data))
    owed = {CaseState.PENDING, CaseState.HANDLING}

    def line(row):
        (code, state, t_code, t_name, o_code, o_name, score, complaint, phone) = row[:9]
        opened, deadline, level, reply, replied, resolved, closed = row[9:]
        overdue = state in owed and deadline < today
        return [
            code,
            STATES.get(state, state),
            t_code,
            t_name,
            o_code,
            o_name,
            SCORE_LABELS.get(score, ""),
            complaint,
            services.masked_phone(phone),
            _local(opened),
            deadline,
            "是" if overdue else "否",
            level,
            reply,
            _local(replied),
            {True: "已解决", False: "未解决"}.get(resolved, ""),
            _local(closed),
        ]

    return {"群众诉求": (CASE_HEADER, (line(r) for r in data))}


def satisfaction_sheets(user, table: selectors.SatisfactionTable) -> dict:
    """The satisfaction table: one row per line and month (no query beyond the table's)."""
    header = [
        "类别",
        "名称",
        "月份",
        "评价数",
        "满意率",
        "平均分",
        *(SCORE_LABELS[s] for s in (5, 4, 3, 2, 1)),
        "诉求数",
        "未办结",
        "逾期",
    ]
    rows = []
    groups = [("合计", [table.total]), ("下级组织", table.children), ("本级", [table.own])]
    groups.append(("评议对象", table.targets))
    for group, lines in groups:
        for line in lines:
            for month, row in zip(table.months, line.months, strict=True):
                if row is None:
                    continue
                rows.append(
                    [
                        group,
                        line.label,
                        f"{month:%Y-%m}",
                        row.ratings,
                        round(row.satisfied_rate, 4) if row.ratings else "",
                        round(row.average, 2) if row.ratings else "",
                        row.s5,
                        row.s4,
                        row.s3,
                        row.s2,
                        row.s1,
                        row.cases,
                        row.open_cases,
                        row.overdue_cases,
                    ]
                )
    _logged(user, table.org, "群众满意度", f"year={table.year}", len(rows))
    return {f"{table.year}年满意度": (header, rows)}
