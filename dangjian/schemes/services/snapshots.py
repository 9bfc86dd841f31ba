"""How C5 records look in the audit log: the before/after snapshots of a scheme, an item and a
score, and `_change`, the one constructor of an audit entry that the writers share."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from dangjian.accounts import audit
from dangjian.schemes.models import Scheme, SchemeItem

# --- audit snapshots ------------------------------------------------------------------------


def _scheme_snapshot(scheme: Scheme, categories: Iterable[str]) -> dict:
    return {
        "年度": scheme.year,
        "方案名称": scheme.name,
        "适用组织类别": sorted(categories),
        "满意度评价满分": str(scheme.satisfaction_max),
        "说明": scheme.note,
        "状态": scheme.get_status_display(),
    }


def _category_names(scheme: Scheme) -> list[str]:
    return list(scheme.categories.values_list("name", flat=True))


def _item_snapshot(item: SchemeItem, parent_title: str = "") -> dict:
    return {
        "考核项目": item.title,
        "上级项目": parent_title,
        "满分": str(item.max_points),
        "计分方式": item.get_method_display(),
        "评分来源": item.source_labels,
        "评分标准": item.criteria,
        "排序": item.sort_order,
    }


def _score_snapshot(score: Decimal, note: str) -> dict:
    return {"得分": str(score), "说明": note}


def _change(action, kind, pk, label, path="", before=None, after=None) -> audit.Change:
    return audit.Change(action, kind, pk, label, path, before=before, after=after)
