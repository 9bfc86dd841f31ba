"""C5 writes: defining a year's assessment scheme (items, satisfaction weights, publishing),
entering scores (per organization, item and source), raters' satisfaction scores, the
self-check workflow, and computing 党建得分 for every organization a scheme applies to.

Each function checks its whole input first and raises BusinessError (a Chinese message)
before changing anything; writes run in one transaction together with their audit entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.accounts.roles import Perm
from dangjian.assessment import services as assessment_services
from dangjian.core.cells import as_text
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Category, Organization
from dangjian.schemes import validation as v
from dangjian.schemes.choices import (
    DEFAULT_WEIGHTS,
    ENTERED_METHODS,
    MAX_DEPTH,
    MAX_ITEMS,
    SELF_CHECK_OPEN,
    Method,
    RaterKind,
    SchemeStatus,
    SelfCheckState,
    Source,
)
from dangjian.schemes.facts import covered_orgs, item_spec, load_facts, load_spec
from dangjian.schemes.models import (
    ItemScore,
    RaterGroup,
    RaterScore,
    Scheme,
    SchemeItem,
    SelfCheck,
)
from dangjian.schemes.scoring import OrgFacts, base_total, fmt

HUNDRED = Decimal(100)


# --- who may do what ------------------------------------------------------------------------


def is_superior(user, org: Organization) -> bool:
    """True when `org` lies strictly below the user's scope (评下不评己)."""
    path = getattr(user, "scope_path", None)
    return bool(path) and org.path.startswith(path) and org.pk != user.scope_id


def may_assess(user, org: Organization) -> bool:
    """Spot checks, year-end scores, satisfaction and self-check reviews: a superior whose
    role records assessments. None is the command line."""
    return user is None or (user.can(Perm.RECORD_ASSESSMENT) and is_superior(user, org))


def may_self_check(user, org: Organization) -> bool:
    """The self-check is filled in by the organization itself: its secretary or party-affairs
    staff (whose scope is the organization)."""
    if user is None:
        return True
    return user.scope_id == org.pk and (
        user.can(Perm.RECORD_LEDGER) or user.can(Perm.RECORD_ASSESSMENT)
    )


def check_may_assess(actor, org: Organization) -> None:
    """Refuse unless `actor` may assess `org` (see `may_assess`), with the reason."""
    if actor is None:
        return
    if not actor.can(Perm.RECORD_ASSESSMENT):
        raise PermissionDenied("当前角色无权登记考核评分")
    if actor.scope_id == org.pk:
        raise BusinessError(
            "不能给本级组织评分或审核（评下不评己），应由上级组织进行", "organization"
        )
    if not is_superior(actor, org):
        raise BusinessError("该组织不在管辖范围内", "organization")


def check_may_enter(actor, org: Organization, source: str) -> None:
    """单位自查 by the organization itself; 平时抽查 and 年终考评 by a superior."""
    if source != Source.SELF:
        check_may_assess(actor, org)
        return
    if actor is None:
        return
    if actor.scope_id != org.pk:
        raise BusinessError("单位自查由本组织填报；上级组织可在审核时退回修改", "source")
    if not may_self_check(actor, org):
        raise PermissionDenied("当前角色无权填报单位自查")


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


def _change(action, kind, pk, label, path="", before=None, after=None) -> audit.Change:
    return audit.Change(action, kind, pk, label, path, before=before, after=after)


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
        audit.record(
            actor,
            [
                _change(
                    audit.Action.UPDATE,
                    "考核方案",
                    scheme.pk,
                    str(scheme),
                    before={"状态": SchemeStatus.DRAFT.label},
                    after={"状态": SchemeStatus.PUBLISHED.label},
                )
            ],
        )
    return scheme


def withdraw_scheme(actor, scheme: Scheme) -> Scheme:
    """Back to a draft (scores are kept; no new scores until published again)."""
    with transaction.atomic():
        scheme = _locked(scheme)
        if scheme.status != SchemeStatus.PUBLISHED:
            raise BusinessError("方案尚未发布", "status")
        scheme.status, scheme.updated_at = SchemeStatus.DRAFT, timezone.now()
        scheme.save(update_fields=["status", "updated_at"])
        audit.record(
            actor,
            [
                _change(
                    audit.Action.UPDATE,
                    "考核方案",
                    scheme.pk,
                    str(scheme),
                    before={"状态": SchemeStatus.PUBLISHED.label},
                    after={"状态": SchemeStatus.DRAFT.label},
                )
            ],
        )
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


# --- scores ---------------------------------------------------------------------------------


@dataclass
class ScoreEntry:
    """A score typed for one item (blank removes an earlier score)."""

    item_id: object
    score: object
    note: object = ""


class ScoreInputError(BusinessError):
    """Scores out of range: every bad item with its reason (nothing was saved)."""

    def __init__(self, problems: dict[int, str]):
        self.problems = problems
        first = next(iter(problems))
        super().__init__("；".join(problems.values()), f"item_{first}")


def check_scoreable(scheme: Scheme, org: Organization) -> None:
    """Scores go only to a published scheme and an active organization it applies to."""
    if scheme.status != SchemeStatus.PUBLISHED:
        raise BusinessError("方案尚未发布，不能评分", "scheme")
    if not org.is_active:
        raise BusinessError(f"{org.name}已撤销，不能评分", "organization")
    if not scheme.categories.filter(pk=org.category_id).exists():
        raise BusinessError(f"{org.name}的组织类别不适用方案“{scheme.name}”", "organization")


def _clean_entries(items: dict[int, SchemeItem], source: str, entries: Sequence[ScoreEntry]):
    parents = {i.parent_id for i in items.values()}
    problems: dict[int, str] = {}
    cleaned: dict[int, tuple[Decimal | None, str]] = {}
    for entry in entries:
        text = str(entry.item_id).strip()
        item = items.get(int(text)) if text.isdigit() else None
        if item is None:
            raise BusinessError("考核项目不存在或不属于本方案", "item")
        if item.pk in cleaned or item.pk in problems:
            raise BusinessError(
                f"同一组织、同一来源对“{item.title}”重复评分，每项只能评一次", "item"
            )
        if item.pk in parents:
            raise BusinessError(f"“{item.title}”的得分由子项合计，不能直接评分", "item")
        if item.method not in ENTERED_METHODS:
            raise BusinessError(f"“{item.title}”按组织生活达标率自动计算，不能评分", "item")
        if source not in item.sources:
            raise BusinessError(f"“{item.title}”不接受{Source(source).label}评分", "source")
        try:
            score = v.clean_points(entry.score, f"“{item.title}”", item.max_points)
            note = as_text(entry.note, f"“{item.title}”的说明", required=False, max_length=200)
        except BusinessError as exc:
            problems[item.pk] = exc.message
            continue
        cleaned[item.pk] = (score, note)
    if problems:
        raise ScoreInputError(problems)
    return cleaned


def _score_snapshot(score: Decimal, note: str) -> dict:
    return {"得分": str(score), "说明": note}


def _open_self_check(actor, scheme: Scheme, org: Organization) -> list[audit.Change]:
    """Lock the organization's self-check, creating a draft; refuse once it is submitted."""
    check = SelfCheck.objects.select_for_update().filter(scheme=scheme, organization=org).first()
    if check is None:
        check = SelfCheck.objects.create(scheme=scheme, organization=org, updated_at=timezone.now())
        return [
            _change(
                audit.Action.CREATE,
                "单位自查",
                check.pk,
                f"{org.name} · {scheme}",
                org.path,
                after={"状态": SelfCheckState.DRAFT.label},
            )
        ]
    if check.state not in SELF_CHECK_OPEN:
        raise BusinessError(
            f"单位自查{check.get_state_display()}，不能再修改；如需修改，请上级组织退回", "source"
        )
    return []


def enter_scores(
    actor, scheme: Scheme, org: Organization, source: object, entries: Sequence[ScoreEntry]
) -> int:
    """Save one organization's scores from one source for many items at once (the rater
    page): new scores are added, changed ones updated, blank ones removed. Returns how many
    changed."""
    source = v.clean_source(source)
    check_may_enter(actor, org, source)
    check_scoreable(scheme, org)
    cleaned = _clean_entries(_scheme_items(scheme), source, entries)
    label, now = audit.actor_label(actor), timezone.now()
    try:
        with transaction.atomic():
            if _locked(scheme).status != SchemeStatus.PUBLISHED:
                raise BusinessError("方案尚未发布，不能评分", "scheme")
            changes = _open_self_check(actor, scheme, org) if source == Source.SELF else []
            existing = {
                s.item_id: s
                for s in ItemScore.objects.select_for_update()
                .filter(scheme=scheme, organization=org, source=source, item_id__in=list(cleaned))
                .select_related("item")
            }
            made, changed, removed = [], [], []
            titles = dict(
                SchemeItem.objects.filter(pk__in=list(cleaned)).values_list("pk", "title")
            )
            for item_id, (score, note) in sorted(cleaned.items()):
                old = existing.get(item_id)
                what = f"{org.name} · {titles[item_id]} · {Source(source).label}"
                if score is None:
                    if old is not None:
                        removed.append(old.pk)
                        before = _score_snapshot(old.score, old.note)
                        changes.append(
                            _change(audit.Action.DELETE, "考核评分", old.pk, what, org.path, before)
                        )
                    continue
                if old is None:
                    made.append(
                        ItemScore(
                            scheme=scheme,
                            item_id=item_id,
                            organization=org,
                            source=source,
                            score=score,
                            note=note,
                            entered_by=actor,
                            entered_by_label=label,
                            entered_at=now,
                        )
                    )
                    changes.append(
                        _change(
                            audit.Action.CREATE,
                            "考核评分",
                            f"{item_id}/{org.pk}/{source}",
                            what,
                            org.path,
                            after=_score_snapshot(score, note),
                        )
                    )
                elif old.score != score or old.note != note:
                    before = _score_snapshot(old.score, old.note)
                    old.score, old.note = score, note
                    old.entered_by, old.entered_by_label, old.entered_at = actor, label, now
                    changed.append(old)
                    old_d, new_d = audit.diff(before, _score_snapshot(score, note))
                    changes.append(
                        _change(
                            audit.Action.UPDATE, "考核评分", old.pk, what, org.path, old_d, new_d
                        )
                    )
            ItemScore.objects.filter(pk__in=removed).delete()
            ItemScore.objects.bulk_create(made)
            ItemScore.objects.bulk_update(
                changed, ["score", "note", "entered_by", "entered_by_label", "entered_at"]
            )
            audit.record(actor, changes)
    except IntegrityError:
        raise BusinessError(
            "该组织的同一项目已有同一来源的评分（可能刚由他人录入），请刷新后修改", "item"
        ) from None
    return len(made) + len(changed) + len(removed)


def create_score(
    actor, item: SchemeItem, org: Organization, source: object, score: object, note: object = ""
) -> ItemScore:
    """Add one score (the API): refused when the organization already has a score for the
    item from that source."""
    source = v.clean_source(source)
    check_may_enter(actor, org, source)
    if score is None or (isinstance(score, str) and not score.strip()):
        raise BusinessError("得分不能为空", "score")
    if ItemScore.objects.filter(item=item, organization=org, source=source).exists():
        raise BusinessError(
            f"{org.name}的“{item.title}”已有{Source(source).label}评分，不能重复评分；"
            "如需修改，请在评分页面修改",
            "item",
        )
    scheme = Scheme.objects.get(pk=item.scheme_id)
    try:
        enter_scores(actor, scheme, org, source, [ScoreEntry(item.pk, score, note)])
    except ScoreInputError as exc:
        raise BusinessError(exc.message, "score") from None
    return ItemScore.objects.get(item=item, organization=org, source=source)


# --- satisfaction ---------------------------------------------------------------------------


@dataclass
class RatingEntry:
    """One rater's score as typed (a blank rater name means the person entering it; a blank
    score removes the rater's earlier score)."""

    rater: object
    score: object


def enter_ratings(
    actor, scheme: Scheme, org: Organization, kind: object, entries: Sequence[RatingEntry]
) -> int:
    """Save raters' satisfaction scores (0–100) of one organization in one rater group.

    群众评 is entered the same way for now; the public rating capability (C8) will write its
    result through this function as the rater “扫码评议”."""
    kind = v.clean_kind(kind)
    check_may_assess(actor, org)
    check_scoreable(scheme, org)
    group = RaterGroup.objects.filter(scheme=scheme, kind=kind).first()
    if group is None:
        raise BusinessError(f"方案没有“{RaterKind(kind).label}”评议群体", "group")
    cleaned: dict[str, tuple[Decimal | None, object]] = {}
    problems = []
    for entry in entries:
        name = as_text(entry.rater, "评议人", required=False, max_length=50)
        account = None
        if not name:
            if entry.score in (None, "") or actor is None:
                continue
            name, account = (actor.display_name or actor.get_username())[:50], actor
        if name in cleaned:
            raise BusinessError(f"评议人“{name}”重复，每人只能评一次", "rater")
        try:
            cleaned[name] = (v.clean_rating(entry.score, f"{name}的满意度得分"), account)
        except BusinessError as exc:
            problems.append(exc.message)
    if problems:
        raise BusinessError("；".join(problems), "score")
    label, now = audit.actor_label(actor), timezone.now()
    with transaction.atomic():
        if _locked(scheme).status != SchemeStatus.PUBLISHED:
            raise BusinessError("方案尚未发布，不能评分", "scheme")
        existing = {
            r.rater: r
            for r in RaterScore.objects.select_for_update().filter(
                group=group, organization=org, rater__in=list(cleaned)
            )
        }
        made, changed, removed, changes = [], [], [], []
        for name, (score, account) in sorted(cleaned.items()):
            old = existing.get(name)
            what = f"{org.name} · {group.get_kind_display()} · {name}"
            if score is None:
                if old is not None:
                    removed.append(old.pk)
                    changes.append(
                        _change(
                            audit.Action.DELETE,
                            "满意度评分",
                            old.pk,
                            what,
                            org.path,
                            {"得分": str(old.score)},
                        )
                    )
                continue
            if old is None:
                made.append(
                    RaterScore(
                        scheme=scheme,
                        group=group,
                        organization=org,
                        rater=name,
                        rater_account=account,
                        score=score,
                        entered_by_label=label,
                        entered_at=now,
                    )
                )
                changes.append(
                    _change(
                        audit.Action.CREATE,
                        "满意度评分",
                        f"{group.pk}/{org.pk}",
                        what,
                        org.path,
                        after={"得分": str(score)},
                    )
                )
            elif old.score != score:
                changes.append(
                    _change(
                        audit.Action.UPDATE,
                        "满意度评分",
                        old.pk,
                        what,
                        org.path,
                        {"得分": str(old.score)},
                        {"得分": str(score)},
                    )
                )
                old.score, old.entered_by_label, old.entered_at = score, label, now
                changed.append(old)
        RaterScore.objects.filter(pk__in=removed).delete()
        RaterScore.objects.bulk_create(made)
        RaterScore.objects.bulk_update(changed, ["score", "entered_by_label", "entered_at"])
        audit.record(actor, changes)
    return len(changes)


# --- self-check -----------------------------------------------------------------------------


def self_check_items(scheme: Scheme) -> list[SchemeItem]:
    """Leaf items the organization scores itself, in tree order."""
    from dangjian.schemes.selectors import item_rows

    return [r.item for r in item_rows(scheme) if r.is_leaf and Source.SELF in r.item.sources]


def submit_self_check(
    actor, scheme: Scheme, org: Organization, entries: Sequence[ScoreEntry] | None = None
) -> SelfCheck:
    """Submit the self-check for review, after saving `entries` (when given) in the same
    transaction: every manual item open to 单位自查 must be scored (bonus and deduction items
    may stay blank). On an error nothing is saved."""
    check_may_enter(actor, org, Source.SELF)
    check_scoreable(scheme, org)
    with transaction.atomic():
        if entries is not None:
            enter_scores(actor, scheme, org, Source.SELF, entries)
        wanted = [i for i in self_check_items(scheme) if i.method == Method.MANUAL]
        scored = set(
            ItemScore.objects.filter(
                scheme=scheme, organization=org, source=Source.SELF
            ).values_list("item_id", flat=True)
        )
        missing = [i.title for i in wanted if i.pk not in scored]
        if missing:
            more = "等" if len(missing) > 3 else ""
            raise BusinessError(
                f"还有{len(missing)}项未自评：{'、'.join(missing[:3])}{more}，请填写后再提交",
                "state",
            )
        check = (
            SelfCheck.objects.select_for_update().filter(scheme=scheme, organization=org).first()
        )
        if check is None:
            check = SelfCheck(scheme=scheme, organization=org)
        elif check.state not in SELF_CHECK_OPEN:
            raise BusinessError(f"单位自查{check.get_state_display()}，不能重复提交", "state")
        before = {"状态": check.get_state_display()} if check.pk else None
        now = timezone.now()
        check.state, check.submitted_at = SelfCheckState.SUBMITTED, now
        check.submitted_by_label, check.updated_at = audit.actor_label(actor), now
        check.save()
        audit.record(
            actor,
            [
                _change(
                    audit.Action.UPDATE if before else audit.Action.CREATE,
                    "单位自查",
                    check.pk,
                    f"{org.name} · {scheme}",
                    org.path,
                    before,
                    {"状态": SelfCheckState.SUBMITTED.label},
                )
            ],
        )
    return check


def review_self_check(
    actor, scheme: Scheme, org: Organization, accept: bool, opinion: object = ""
) -> SelfCheck:
    """The superior accepts a submitted self-check (it then counts) or sends it back with an
    opinion (also after accepting it, to reopen it)."""
    check_may_assess(actor, org)
    opinion = as_text(opinion, "审核意见", required=False, max_length=500)
    if not accept and not opinion:
        raise BusinessError("退回时请填写审核意见，说明需要修改的内容", "opinion")
    allowed = (
        {SelfCheckState.SUBMITTED}
        if accept
        else {SelfCheckState.SUBMITTED, SelfCheckState.ACCEPTED}
    )
    new_state = SelfCheckState.ACCEPTED if accept else SelfCheckState.RETURNED
    with transaction.atomic():
        check = (
            SelfCheck.objects.select_for_update().filter(scheme=scheme, organization=org).first()
        )
        if check is None or check.state not in allowed:
            state = check.get_state_display() if check else "未填报"
            raise BusinessError(
                f"单位自查当前为“{state}”，不能{'审核通过' if accept else '退回'}", "state"
            )
        before = {"状态": check.get_state_display(), "审核意见": check.opinion}
        now = timezone.now()
        updated = SelfCheck.objects.filter(pk=check.pk, state=check.state).update(
            state=new_state,
            reviewer=actor,
            reviewer_label=audit.actor_label(actor),
            reviewed_at=now,
            opinion=opinion,
            updated_at=now,
        )
        if updated != 1:  # compare-and-set: somebody else reviewed it meanwhile
            raise BusinessError("单位自查状态已变化，请刷新后重试", "state")
        check.refresh_from_db()
        old, new = audit.diff(before, {"状态": new_state.label, "审核意见": opinion})
        audit.record(
            actor,
            [
                _change(
                    audit.Action.UPDATE,
                    "单位自查",
                    check.pk,
                    f"{org.name} · {scheme}",
                    org.path,
                    old,
                    new,
                )
            ],
        )
    return check


# --- 党建得分 ---------------------------------------------------------------------------------


@dataclass
class ComputeResult:
    """What a computation wrote: organizations scored, records changed, the scores."""

    scheme: Scheme
    organizations: int
    changed: int
    scores: dict[int, Decimal] = field(default_factory=dict)


def scheme_for(org: Organization, year: int) -> Scheme:
    """The published scheme of `year` that applies to `org`'s category."""
    scheme = Scheme.objects.published().filter(year=year, categories=org.category_id).first()
    if scheme is None:
        raise BusinessError(f"{year}年度没有适用于“{org.category}”类组织的已发布考核方案", "year")
    return scheme


def scoped_orgs(actor, scheme: Scheme):
    """Organizations the scheme applies to that `actor` assesses: inside their scope, their
    own organization excluded (评下不评己); all of them for the command line."""
    orgs = covered_orgs(scheme)
    if actor is None:
        return orgs
    return orgs.visible_to(actor).exclude(pk=actor.scope_id)


def _compute(actor, scheme: Scheme, *, strict: bool) -> ComputeResult:
    if scheme.status != SchemeStatus.PUBLISHED:
        raise BusinessError("方案尚未发布，不能计算党建得分", "status")
    if scheme.year > timezone.localdate().year:
        raise BusinessError(f"{scheme.year}年度尚未开始，不能计算党建得分", "year")
    if actor is not None and not actor.can(Perm.RECORD_ASSESSMENT):
        raise PermissionDenied("当前角色无权计算党建得分")
    with transaction.atomic():
        orgs = scoped_orgs(actor, scheme)
        ids = list(orgs.values_list("pk", flat=True))
        if not ids:
            if strict:
                raise BusinessError("管辖范围内没有适用本方案的下级组织", "scheme")
            return ComputeResult(scheme, 0, 0)
        spec = load_spec(scheme)
        facts = load_facts(spec, orgs)
        scores = {org_id: spec.explain(facts.get(org_id, OrgFacts())).party_score for org_id in ids}
        changed = assessment_services.set_party_scores(
            actor, scheme.year, scores, f"考核方案“{scheme.name}”"
        )
    return ComputeResult(scheme, len(ids), changed, scores)


def compute_party_scores(actor, scheme: Scheme) -> ComputeResult:
    """Compute every in-scope organization's 党建得分 under a published scheme and write it to
    the year's assessment records (assessment.services.set_party_scores, audited). A fixed
    number of queries, whatever the number of organizations and items."""
    return _compute(actor, scheme, strict=True)


def compute_year(actor, year: int) -> list[ComputeResult]:
    """Compute 党建得分 under every published scheme of a year (schemes with no organization
    in the actor's scope are skipped)."""
    schemes = list(Scheme.objects.published().filter(year=year).order_by("name"))
    if not schemes:
        raise BusinessError(f"{year}年度没有已发布的考核方案", "year")
    return [_compute(actor, s, strict=False) for s in schemes]
