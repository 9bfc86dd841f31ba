"""C5/C7 exports (SPEC C17 成绩单): a year's assessment results of a subtree as Excel, every
filtered row (no pagination), read set-based: the peer-group labels once, then the rows in
one streamed query."""

from __future__ import annotations

from dangjian.assessment import selectors
from dangjian.core.excel import xlsx_response

HEADER = (
    "全辖排名",
    "组织编码",
    "组织名称",
    "分组（上级组织）",
    "党建得分",
    "经济社会得分",
    "综合得分",
    "等次",
    "类别",
    "软弱涣散",
    "组内排名",
    "组内组织数",
    "上年排名",
    "名次变化",
    "否决",
)


def _change(row) -> str:
    if row.previous_rank is None:
        return "新"
    if row.rank_change > 0:
        return f"↑{row.rank_change}"
    if row.rank_change < 0:
        return f"↓{-row.rank_change}"
    return "—"


def _weak(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def result_rows(user, org, year: int, filters: selectors.ResultFilters):
    """The rows of the export, in overall rank order."""
    qs = selectors.result_rows(user, org, year, filters)
    labels = selectors.peer_group_labels(
        qs.order_by().values_list("peer_group", flat=True).distinct()
    )
    for r in qs.iterator(2000):
        yield (
            r.overall_rank,
            r.organization.code,
            r.organization.name,
            labels.get(r.peer_group, r.peer_group),
            r.party_score,
            r.economic_score,
            r.final_score,
            r.grade,
            r.standing or selectors.UNCLASSIFIED,
            _weak(r.weak_lax),
            r.group_rank,
            r.group_size,
            r.previous_rank,
            _change(r),
            "；".join(v.get("rule", "") for v in r.vetoes),
        )


def results_workbook(user, org, year: int, filters: selectors.ResultFilters):
    """The download: one sheet 考核结果."""
    return xlsx_response(
        f"考核结果-{org.name}-{year}.xlsx",
        {"考核结果": (HEADER, result_rows(user, org, year, filters))},
    )
