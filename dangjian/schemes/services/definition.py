"""Defining a C5 scheme: creating, changing, weighting, publishing, withdrawing and deleting a
year's scheme (`problems_of` says what keeps a draft from being published), and adding,
changing and removing the items of its tree, with the checks that keep the scores already
entered valid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core.cells import as_text
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Category
from dangjian.schemes import validation as v
from dangjian.schemes.choices import (
    DEFAULT_WEIGHTS,
    ENTERED_METHODS,
    MAX_DEPTH,
    MAX_ITEMS,
    Method,
    RaterKind,
    SchemeStatus,
    Source,
)
from dangjian.schemes.facts import item_spec
from dangjian.schemes.models import ItemScore, RaterGroup, RaterScore, Scheme, SchemeItem, SelfCheck
from dangjian.schemes.scoring import base_total, fmt
from dangjian.schemes.services.snapshots import (
    _category_names,
    _change,
    _item_snapshot,
    _scheme_snapshot,
    _score_snapshot,
)

HUNDRED = Decimal(100)


# --- schemes --------------------------------------------------------------------------------


@dataclass
class SchemeInput:
    """Values as typed; `categories` are Category ids or names."""

    year: object
    name: object
    categories: Sequence[object]
    satisfaction_max: object = "0"
    note: object = ""


@dataclass(frozen=True)
class CleanScheme:
    """A scheme's fields once checked."""

    year: int
    name: str
    categories: list[Category]
    satisfaction_max: Decimal
    note: str


def _clean_categories(values: Sequence[object]) -> list[Category]:
    wanted = [str(x).strip() for x in values if str(x).strip()]
    if not wanted:
        raise BusinessError("请至少选择一个适用组织类别", "categories")
    if len(wanted) > 100:
        raise BusinessError("适用组织类别过多", "categories")
    ids = [int(x) for x in wanted if x.isdigit()]
    names = [x for x in wanted if not x.isdigit()]
    found = list(Category.objects.filter(pk__in=ids)) + list(
        Category.objects.filter(name__in=names)
    )
    known = {str(c.pk) for c in found} | {c.name for c in found}
    unknown = [x for x in wanted if x not in known]
    if unknown:
        raise BusinessError(f"未知的组织类别：{'、'.join(unknown[:5])}", "categories")
    return list({c.pk: c for c in found}.values())


def _clean_scheme(data: SchemeInput) -> CleanScheme:
    return CleanScheme(
        year=v.clean_year(data.year, timezone.localdate()),
        name=as_text(data.name, "方案名称", max_length=100),
        categories=_clean_categories(data.categories),
        satisfaction_max=v.clean_satisfaction_max(data.satisfaction_max),
        note=as_text(data.note, "说明", required=False, max_length=2000),
    )


def _check_name_free(year: int, name: str, exclude: int | None = None) -> None:
    if Scheme.objects.filter(year=year, name=name).exclude(pk=exclude).exists():
        raise BusinessError(f"{year}年度已有名为“{name}”的考核方案", "name")


def create_scheme(actor, data: SchemeInput, weights: dict | None = None) -> Scheme:
    """A new draft scheme with the four rater groups (default weights unless given)."""
    clean = _clean_scheme(data)
    weights = v.clean_weights(weights) if weights is not None else dict(DEFAULT_WEIGHTS)
    _check_name_free(clean.year, clean.name)
    now = timezone.now()
    with transaction.atomic():
        scheme = Scheme.objects.create(
            year=clean.year,
            name=clean.name,
            satisfaction_max=clean.satisfaction_max,
            note=clean.note,
            created_at=now,
            updated_at=now,
        )
        scheme.categories.set(clean.categories)
        RaterGroup.objects.bulk_create(
            RaterGroup(scheme=scheme, kind=kind, weight=weights[kind]) for kind in RaterKind.values
        )
        after = _scheme_snapshot(scheme, [c.name for c in clean.categories])
        after["权重"] = {RaterKind(k).label: str(w) for k, w in weights.items()}
        audit.record(
            actor, [_change(audit.Action.CREATE, "考核方案", scheme.pk, str(scheme), after=after)]
        )
    return scheme


def _locked(scheme: Scheme) -> Scheme:
    """The scheme row locked for the rest of the transaction, as it is now."""
    return Scheme.objects.select_for_update().get(pk=scheme.pk)


def _scheme_scored(scheme: Scheme) -> bool:
    return (
        ItemScore.objects.filter(scheme=scheme).exists()
        or RaterScore.objects.filter(scheme=scheme).exists()
    )


def _refuse_if_scored(scheme: Scheme, scored: bool, what: str) -> None:
    if scheme.status == SchemeStatus.PUBLISHED and scored:
        raise BusinessError(
            f"方案已发布且已有评分，不能修改{what}；如确需修改，请先撤回为草稿", "status"
        )


def update_scheme(actor, scheme: Scheme, data: SchemeInput) -> Scheme:
    """Change a scheme's year, name, categories, satisfaction maximum and note. Once published
    and scored only the name and the note may change (unless withdrawn to a draft)."""
    clean = _clean_scheme(data)
    _check_name_free(clean.year, clean.name, exclude=scheme.pk)
    with transaction.atomic():
        scheme = _locked(scheme)
        old_names = _category_names(scheme)
        before = _scheme_snapshot(scheme, old_names)
        structural = (
            clean.year != scheme.year
            or clean.satisfaction_max != scheme.satisfaction_max
            or {c.name for c in clean.categories} != set(old_names)
        )
        if structural:
            _refuse_if_scored(scheme, _scheme_scored(scheme), "年度、适用类别或满意度满分")
        scheme.year, scheme.name, scheme.note = clean.year, clean.name, clean.note
        scheme.satisfaction_max = clean.satisfaction_max
        scheme.updated_at = timezone.now()
        scheme.save(update_fields=["year", "name", "note", "satisfaction_max", "updated_at"])
        scheme.categories.set(clean.categories)
        if scheme.status == SchemeStatus.PUBLISHED:
            _check_publishable(scheme)
        old, new = audit.diff(before, _scheme_snapshot(scheme, [c.name for c in clean.categories]))
        if new:
            audit.record(
                actor,
                [_change(audit.Action.UPDATE, "考核方案", scheme.pk, str(scheme), "", old, new)],
            )
    return scheme


def set_weights(actor, scheme: Scheme, values: dict) -> dict[str, Decimal]:
    """The satisfaction part's rater-group weights, which must sum to 1."""
    weights = v.clean_weights(values)
    with transaction.atomic():
        scheme = _locked(scheme)
        _refuse_if_scored(scheme, RaterScore.objects.filter(scheme=scheme).exists(), "评议群体权重")
        groups = {g.kind: g for g in RaterGroup.objects.filter(scheme=scheme)}
        before = {RaterKind(k).label: str(g.weight) for k, g in groups.items()}
        made, changed = [], []
        for kind, weight in weights.items():
            group = groups.get(kind)
            if group is None:
                made.append(RaterGroup(scheme=scheme, kind=kind, weight=weight))
            elif group.weight != weight:
                group.weight = weight
                changed.append(group)
        RaterGroup.objects.bulk_create(made)
        RaterGroup.objects.bulk_update(changed, ["weight"])
        after = {RaterKind(k).label: str(w) for k, w in weights.items()}
        old, new = audit.diff(before, after)
        if new:
            audit.record(
                actor,
                [
                    _change(
                        audit.Action.UPDATE, "考核方案权重", scheme.pk, str(scheme), "", old, new
                    )
                ],
            )
    return weights


def problems_of(scheme: Scheme) -> list[str]:
    """What keeps a scheme from being published (empty when it may be)."""
    items = list(SchemeItem.objects.filter(scheme=scheme))
    weights = list(RaterGroup.objects.filter(scheme=scheme).values_list("weight", flat=True))
    problems = []
    if not items:
        problems.append("尚未设置考核项目")
    if not scheme.categories.exists():
        problems.append("尚未选择适用组织类别")
    base = base_total(item_spec(i) for i in items)
    if base + scheme.satisfaction_max != HUNDRED:
        problems.append(
            f"一级考核项目（不含加分、扣分项）满分合计{fmt(base)}分 + 满意度评价满分"
            f"{fmt(scheme.satisfaction_max)}分 = {fmt(base + scheme.satisfaction_max)}分，应为100分"
        )
    total = sum(weights, Decimal(0))
    if total != 1:
        problems.append(f"各评议群体权重之和为{total.normalize():f}，应为1")
    parents = {i.parent_id for i in items}
    for item in items:
        if item.pk not in parents and item.method in ENTERED_METHODS and not item.sources:
            problems.append(f"“{item.title}”没有评分来源")
    clash = (
        Scheme.objects.published()
        .filter(year=scheme.year, categories__in=scheme.categories.all())
        .exclude(pk=scheme.pk)
        .distinct()
    )
    for other in clash:
        shared = set(_category_names(other)) & set(_category_names(scheme))
        problems.append(
            f"组织类别{'、'.join(sorted(shared))}已适用{scheme.year}年度已发布的方案“{other.name}”"
        )
    return problems


def _check_publishable(scheme: Scheme) -> None:
    problems = problems_of(scheme)
    if problems:
        raise BusinessError("；".join(problems), "status")


def _log_status(actor, scheme: Scheme, before: SchemeStatus) -> None:
    audit.record(
        actor,
        [
            _change(
                audit.Action.UPDATE,
                "考核方案",
                scheme.pk,
                str(scheme),
                before={"状态": before.label},
                after={"状态": SchemeStatus(scheme.status).label},
            )
        ],
    )


def publish_scheme(actor, scheme: Scheme) -> Scheme:
    """Publish a draft: it must add up to 100 points, its weights to 1, and no category may
    already be covered by another published scheme of the year."""
    with transaction.atomic():
        scheme = _locked(scheme)
        if scheme.status == SchemeStatus.PUBLISHED:
            raise BusinessError("方案已经发布", "status")
        _check_publishable(scheme)
        scheme.status, scheme.published_at = SchemeStatus.PUBLISHED, timezone.now()
        scheme.updated_at = scheme.published_at
        scheme.save(update_fields=["status", "published_at", "updated_at"])
        _log_status(actor, scheme, SchemeStatus.DRAFT)
    return scheme


def withdraw_scheme(actor, scheme: Scheme) -> Scheme:
    """Back to a draft (scores are kept; no new scores until published again)."""
    with transaction.atomic():
        scheme = _locked(scheme)
        if scheme.status != SchemeStatus.PUBLISHED:
            raise BusinessError("方案尚未发布", "status")
        scheme.status, scheme.updated_at = SchemeStatus.DRAFT, timezone.now()
        scheme.save(update_fields=["status", "updated_at"])
        _log_status(actor, scheme, SchemeStatus.PUBLISHED)
    return scheme


def delete_scheme(actor, scheme: Scheme) -> None:
    """Delete a draft that nobody has scored."""
    with transaction.atomic():
        scheme = _locked(scheme)
        if scheme.status != SchemeStatus.DRAFT:
            raise BusinessError("已发布的方案不能删除，请先撤回为草稿", "status")
        if _scheme_scored(scheme) or SelfCheck.objects.filter(scheme=scheme).exists():
            raise BusinessError("该方案已有评分，不能删除", "status")
        before = _scheme_snapshot(scheme, _category_names(scheme))
        audit.record(
            actor,
            [_change(audit.Action.DELETE, "考核方案", scheme.pk, str(scheme), before=before)],
        )
        scheme.delete()


# --- items ----------------------------------------------------------------------------------


@dataclass
class ItemInput:
    """An item as typed; `parent` is the parent item's id (blank for a top-level item)."""

    title: object
    max_points: object
    method: object = Method.MANUAL
    sources: Sequence[object] = tuple(Source.values)
    parent: object = None
    sort_order: object = None
    criteria: object = ""


def _clean_item(scheme: Scheme, data: ItemInput, items: dict[int, SchemeItem], item=None):
    """Check an item against the scheme's tree (all items of the scheme, loaded once)."""
    title = as_text(data.title, "考核项目", max_length=200)
    max_points = v.clean_max_points(data.max_points)
    method = v.clean_method(data.method)
    sources = v.clean_sources(data.sources or (), method)
    criteria = as_text(data.criteria, "评分标准", required=False, max_length=2000)
    parent = None
    if data.parent not in (None, ""):
        text = str(data.parent).strip()
        parent = items.get(int(text)) if text.isdigit() else None
        if parent is None:
            raise BusinessError("上级项目不存在或不属于本方案", "parent")
    children: dict[int | None, list[SchemeItem]] = {}
    for other in items.values():
        children.setdefault(other.parent_id, []).append(other)

    def depth(node) -> int:
        d = 1
        while node.parent_id is not None and d <= MAX_DEPTH + 1:
            node, d = items[node.parent_id], d + 1
        return d

    def height(node) -> int:
        return 1 + max((height(c) for c in children.get(node.pk, [])), default=0)

    own_children = children.get(item.pk, []) if item else []
    if parent is not None:
        walker = parent
        while walker is not None:
            if item is not None and walker.pk == item.pk:
                raise BusinessError("不能把项目移到它自己或它的子项下面", "parent")
            walker = items.get(walker.parent_id) if walker.parent_id else None
        if parent.method == Method.COMPLIANCE:
            raise BusinessError(f"“{parent.title}”按达标率计算，不能有子项", "parent")
        if parent.method in (Method.BONUS, Method.DEDUCTION) and method != parent.method:
            raise BusinessError(
                f"“{parent.title}”是{parent.get_method_display()}，其子项也应为"
                f"{parent.get_method_display()}",
                "method",
            )
        if max_points > parent.max_points:
            raise BusinessError(
                f"子项满分{fmt(max_points)}不能超过上级项目“{parent.title}”的满分"
                f"{fmt(parent.max_points)}",
                "max_points",
            )
    levels = (depth(parent) if parent else 0) + (height(item) if item else 1)
    if levels > MAX_DEPTH:
        raise BusinessError(f"考核项目最多{MAX_DEPTH}级", "parent")
    if own_children:
        if method == Method.COMPLIANCE:
            raise BusinessError("有子项的项目不能按达标率计算", "method")
        if method in (Method.BONUS, Method.DEDUCTION) and any(
            c.method != method for c in own_children
        ):
            raise BusinessError(
                f"{Method(method).label}的子项也应为{Method(method).label}", "method"
            )
        widest = max(c.max_points for c in own_children)
        if max_points < widest:
            raise BusinessError(f"满分不能小于子项的满分{fmt(widest)}", "max_points")
    if data.sort_order in (None, ""):
        siblings = children.get(parent.pk if parent else None, [])
        sort_order = max((s.sort_order for s in siblings if s != item), default=0) + 1
    else:
        text = str(data.sort_order).strip()
        if not text.isdigit() or int(text) > 100000:
            raise BusinessError("排序应为非负整数", "sort_order")
        sort_order = int(text)
    return {
        "title": title,
        "max_points": max_points,
        "method": method,
        "sources": sources,
        "parent": parent,
        "sort_order": sort_order,
        "criteria": criteria,
    }


def _subtree_ids(item: SchemeItem, items: dict[int, SchemeItem]) -> list[int]:
    found, frontier = [item.pk], [item.pk]
    while frontier:
        frontier = [i.pk for i in items.values() if i.parent_id in frontier]
        found.extend(frontier)
    return found


def _scheme_items(scheme: Scheme) -> dict[int, SchemeItem]:
    return {i.pk: i for i in SchemeItem.objects.filter(scheme=scheme)}


def add_item(actor, scheme: Scheme, data: ItemInput) -> SchemeItem:
    """Add an item to a scheme's tree."""
    with transaction.atomic():
        scheme = _locked(scheme)
        items = _scheme_items(scheme)
        if len(items) >= MAX_ITEMS:
            raise BusinessError(f"一个方案最多{MAX_ITEMS}个考核项目", "title")
        fields = _clean_item(scheme, data, items)
        parent = fields["parent"]
        if parent is not None and ItemScore.objects.filter(item=parent).exists():
            raise BusinessError(f"“{parent.title}”已有评分，不能再添加子项", "parent")
        _refuse_if_scored(
            scheme,
            parent is not None
            and ItemScore.objects.filter(item_id__in=_subtree_ids(parent, items)).exists(),
            "已评分项目的子项",
        )
        item = SchemeItem.objects.create(scheme=scheme, **fields)
        if scheme.status == SchemeStatus.PUBLISHED:
            _check_publishable(scheme)
        audit.record(
            actor,
            [
                _change(
                    audit.Action.CREATE,
                    "考核项目",
                    item.pk,
                    f"{scheme} · {item.title}",
                    after=_item_snapshot(item, parent.title if parent else ""),
                )
            ],
        )
    return item


def update_item(actor, item: SchemeItem, data: ItemInput) -> SchemeItem:
    """Change an item. Once its scheme is published and it (or an item below it) has scores,
    it cannot change; in a draft the change must keep existing scores valid."""
    with transaction.atomic():
        scheme = _locked(item.scheme)
        items = _scheme_items(scheme)
        item = items[item.pk]
        old_parent = items.get(item.parent_id)
        before = _item_snapshot(item, old_parent.title if old_parent else "")
        fields = _clean_item(scheme, data, items, item)
        scores = ItemScore.objects.filter(item_id__in=_subtree_ids(item, items))
        _refuse_if_scored(scheme, scores.exists(), "已评分的考核项目")
        own = list(ItemScore.objects.filter(item=item).values_list("source", "score"))
        if own:
            if fields["method"] == Method.COMPLIANCE:
                raise BusinessError("该项已有评分，不能改为按达标率计算", "method")
            highest = max(score for _, score in own)
            if fields["max_points"] < highest:
                raise BusinessError(f"该项已有{fmt(highest)}分的评分，满分不能低于它", "max_points")
            dropped = {s for s, _ in own} - set(fields["sources"])
            if dropped:
                labels = "、".join(Source(s).label for s in Source.values if s in dropped)
                raise BusinessError(f"该项已有{labels}评分，不能取消该评分来源", "sources")
        for name, value in fields.items():
            setattr(item, name, value)
        item.save(
            update_fields=[
                "title",
                "max_points",
                "method",
                "sources",
                "parent",
                "sort_order",
                "criteria",
            ]
        )
        if scheme.status == SchemeStatus.PUBLISHED:
            _check_publishable(scheme)
        parent = fields["parent"]
        old, new = audit.diff(before, _item_snapshot(item, parent.title if parent else ""))
        if new:
            audit.record(
                actor,
                [
                    _change(
                        audit.Action.UPDATE,
                        "考核项目",
                        item.pk,
                        f"{scheme} · {item.title}",
                        "",
                        old,
                        new,
                    )
                ],
            )
    return item


def delete_item(actor, item: SchemeItem) -> None:
    """Remove an item and the items below it; in a draft their scores go with them (each one
    logged with its value), in a published scheme only items nobody scored."""
    with transaction.atomic():
        scheme = _locked(item.scheme)
        items = _scheme_items(scheme)
        item = items[item.pk]
        ids = _subtree_ids(item, items)
        scores = list(
            ItemScore.objects.filter(item_id__in=ids).values_list(
                "pk",
                "item_id",
                "source",
                "score",
                "note",
                "organization__name",
                "organization__path",
            )
        )
        _refuse_if_scored(scheme, bool(scores), "已评分的考核项目")
        parent = items.get(item.parent_id)
        before = _item_snapshot(item, parent.title if parent else "")
        before["下级项目数"] = len(ids) - 1
        before["评分条数"] = len(scores)
        changes = [
            _change(
                audit.Action.DELETE, "考核项目", item.pk, f"{scheme} · {item.title}", before=before
            )
        ]
        changes += [
            _change(
                audit.Action.DELETE,
                "考核评分",
                pk,
                f"{org_name} · {items[item_id].title} · {Source(source).label}（随项目删除）",
                org_path,
                _score_snapshot(score, note),
            )
            for pk, item_id, source, score, note, org_name, org_path in scores
        ]
        ItemScore.objects.filter(item_id__in=ids).delete()
        SchemeItem.objects.filter(pk__in=ids).delete()
        if scheme.status == SchemeStatus.PUBLISHED:
            _check_publishable(scheme)
        audit.record(actor, changes)
