"""C5 scoring rules of an assessment scheme, as plain functions over dataclasses (no queries).

From the scores people gave, the compliance facts and the raters' scores of one organization,
`explain` returns every item's score with the source it came from and the rule that produced
it, the satisfaction part and the 党建得分:

- an item's score never exceeds its maximum and is never below 0;
- a leaf's year-end score takes 年终考评 if present, else 平时抽查, else the accepted 单位自查,
  else 0 (PRECEDENCE);
- a compliance item scores max × months met ÷ months judged;
- an item with children scores the sum of its children (bonus items add, deduction items
  subtract), capped at its own maximum;
- a bonus item adds at most its maximum, a deduction item subtracts at most its maximum;
- satisfaction = Σ round(weight × group average) ÷ 100 × satisfaction maximum;
- 党建得分 = items + satisfaction, clamped to 0..100.

Every figure is a Decimal rounded half-up to two places, so the page shows exactly the numbers
the result was computed from. Same inputs, same result, whatever order the items come in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dangjian.schemes.choices import PRECEDENCE, Method, RaterKind, Source

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def q2(value: Decimal) -> Decimal:
    """Two decimal places, half-up (never binary floats)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """`value` within [low, high]."""
    return max(low, min(high, value))


def fmt(value: Decimal | None) -> str:
    """A score as people read it: 8 → "8", 7.50 → "7.5", None → "—"."""
    if value is None:
        return "—"
    text = f"{q2(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    """An item of a scheme as the rules see it."""

    id: int
    parent_id: int | None
    title: str
    max_points: Decimal
    method: str
    sources: frozenset[str] = frozenset(Source.values)
    sort_order: int = 0


@dataclass(frozen=True)
class ComplianceFacts:
    """Months of a year an organization was judged on and met (compliance results). `basis`
    is "branch" for its own months, "subtree" for the branch-months of the branches below."""

    met: int
    judged: int
    basis: str = "branch"


@dataclass
class OrgFacts:
    """What one organization has under a scheme: scores by item and source, whether its
    self-check was accepted, its compliance, and its raters' scores (sum, count) by group."""

    scores: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    self_check_accepted: bool = False
    compliance: ComplianceFacts | None = None
    ratings: dict[str, tuple[Decimal, int]] = field(default_factory=dict)


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    """One item's score, where it came from and why."""

    item: ItemSpec
    depth: int
    score: Decimal
    signed: Decimal  # what it adds to its parent or the total (negative for deductions)
    source: str  # a Source, "compliance", "children" or "none"
    source_label: str
    rule: str
    entered: Mapping[str, Decimal]
    is_leaf: bool


@dataclass(frozen=True)
class GroupLine:
    """One rater group's part of the satisfaction score."""

    kind: str
    label: str
    weight: Decimal
    count: int
    average: Decimal | None
    weighted: Decimal  # round(weight × average), 0 without ratings


@dataclass(frozen=True)
class Satisfaction:
    """The satisfaction part: each rater group's line, the weighted average, the score."""

    max_points: Decimal
    lines: list[GroupLine]
    weighted_average: Decimal
    score: Decimal
    rule: str


@dataclass(frozen=True)
class Explanation:
    """The whole of an organization's 党建得分 under a scheme."""

    items: list[ItemResult]
    items_total: Decimal
    satisfaction: Satisfaction
    raw_total: Decimal
    party_score: Decimal
    rule: str

    def by_item(self) -> dict[int, ItemResult]:
        """Results by item id."""
        return {r.item.id: r for r in self.items}

    @property
    def top_level(self) -> list[ItemResult]:
        return [r for r in self.items if r.depth == 0]


SOURCE_LABELS = {
    **dict(Source.choices),
    "compliance": "达标率计算",
    "children": "子项合计",
    "none": "无有效评分",
}


# --- single rules ---------------------------------------------------------------------------


def pick_source(
    entered: Mapping[str, Decimal], self_accepted: bool
) -> tuple[str | None, Decimal | None]:
    """The score that counts for an item: 年终考评, else 平时抽查, else the accepted 单位自查."""
    for source in PRECEDENCE:
        if source == Source.SELF and not self_accepted:
            continue
        if source in entered:
            return source, entered[source]
    return None, None


def _precedence_rule(source: str | None, entered: Mapping[str, Decimal], accepted: bool) -> str:
    if source == Source.YEAR_END:
        return "取年终考评评分"
    if source == Source.SPOT:
        return "无年终考评，取平时抽查评分"
    if source == Source.SELF:
        return "无年终考评和平时抽查，取已审核的单位自查评分"
    if Source.SELF in entered and not accepted:
        return "单位自查尚未经上级审核通过，不计入；无其他评分，计0分"
    return "尚无评分，计0分"


def compliance_points(max_points: Decimal, facts: ComplianceFacts | None) -> Decimal:
    """max × months met ÷ months judged, two places; 0 when no month was judged."""
    if facts is None or facts.judged <= 0:
        return ZERO
    met = min(max(facts.met, 0), facts.judged)
    return clamp(q2(max_points * met / facts.judged), ZERO, max_points)


def _compliance_rule(max_points: Decimal, facts: ComplianceFacts | None, score: Decimal) -> str:
    if facts is None or facts.judged <= 0:
        return "尚无组织生活达标评价结果（请先计算达标率），计0分"
    unit = "个月" if facts.basis == "branch" else "个支部·月（下辖支部合计）"
    return (
        f"满分{fmt(max_points)} × 达标{facts.met}{unit} ÷ 评价{facts.judged}{unit} = {fmt(score)}"
    )


def leaf_result(item: ItemSpec, depth: int, facts: OrgFacts, signed_as: int) -> ItemResult:
    """A leaf item's score by its method."""
    entered = {s: v for s, v in facts.scores.get(item.id, {}).items() if s in item.sources}
    if item.method == Method.COMPLIANCE:
        score = compliance_points(item.max_points, facts.compliance)
        rule = _compliance_rule(item.max_points, facts.compliance, score)
        source = "compliance"
    else:
        source, value = pick_source(entered, facts.self_check_accepted)
        score = clamp(q2(value), ZERO, item.max_points) if value is not None else ZERO
        rule = _precedence_rule(source, entered, facts.self_check_accepted)
        if value is not None and value > item.max_points:
            rule += f"（超过满分，按满分{fmt(item.max_points)}计）"
        if item.method == Method.BONUS:
            rule = f"加分项，最多加{fmt(item.max_points)}分：{rule}"
        elif item.method == Method.DEDUCTION:
            rule = f"扣分项，最多扣{fmt(item.max_points)}分：{rule}"
        source = source or "none"
    return ItemResult(
        item=item,
        depth=depth,
        score=score,
        signed=score * signed_as,
        source=source,
        source_label=SOURCE_LABELS[source],
        rule=rule,
        entered=entered,
        is_leaf=True,
    )


def combine_children(max_points: Decimal, signed: Iterable[Decimal]) -> Decimal:
    """An item with children: their sum (deductions already negative), within 0..max."""
    return clamp(q2(sum(signed, Decimal(0))), ZERO, max_points)


def _children_rule(max_points: Decimal, total: Decimal, score: Decimal, method: str) -> str:
    what = "子项得分合计"
    if method == Method.BONUS:
        what = "加分子项合计"
    elif method == Method.DEDUCTION:
        what = "扣分子项合计"
    if total > max_points:
        return f"{what}{fmt(total)}，超过本项满分，按满分{fmt(max_points)}计"
    if total < 0:
        return f"{what}{fmt(total)}（扣分多于得分），按0分计"
    if method == Method.MANUAL:
        return f"{what}（加分项加、扣分项减）{fmt(score)}，不超过本项满分{fmt(max_points)}"
    return f"{what}{fmt(score)}，不超过{fmt(max_points)}分"


def sign_of(child_method: str, parent_method: str | None) -> int:
    """A deduction subtracts from its parent (or the total), unless the parent is itself a
    deduction item (then its children are the amounts it deducts)."""
    if child_method == Method.DEDUCTION and parent_method != Method.DEDUCTION:
        return -1
    return 1


def satisfaction_score(
    max_points: Decimal,
    weights: Mapping[str, Decimal],
    ratings: Mapping[str, tuple[Decimal, int]],
) -> Satisfaction:
    """Σ round(weight × group average) ÷ 100 × max; a group without ratings adds 0."""
    lines = []
    for kind in RaterKind.values:
        weight = weights.get(kind, Decimal(0))
        total, count = ratings.get(kind, (Decimal(0), 0))
        average = clamp(q2(total / count), ZERO, HUNDRED) if count else None
        weighted = q2(weight * average) if average is not None else ZERO
        lines.append(GroupLine(kind, RaterKind(kind).label, weight, count, average, weighted))
    weighted_average = clamp(sum((line.weighted for line in lines), ZERO), ZERO, HUNDRED)
    score = clamp(q2(weighted_average * max_points / HUNDRED), ZERO, max_points)
    if max_points == 0:
        rule = "本方案不含满意度评价"
    else:
        parts = " + ".join(
            f"{line.label}{line.weight.normalize():f}×{fmt(line.average) if line.count else 0}"
            for line in lines
            if line.weight
        )
        rule = (
            f"加权平均分 = {parts or 0} = {fmt(weighted_average)}；"
            f"满意度 = {fmt(weighted_average)} ÷ 100 × 满分{fmt(max_points)} = {fmt(score)}"
        )
        if any(line.weight and not line.count for line in lines):
            rule += "（无评分的评议群体按0分计）"
    return Satisfaction(max_points, lines, weighted_average, score, rule)


def party_score(items_total: Decimal, satisfaction: Decimal) -> Decimal:
    """Items plus satisfaction, clamped to 0..100, two places half-up."""
    return clamp(q2(items_total + satisfaction), ZERO, HUNDRED)


# --- the whole scheme -----------------------------------------------------------------------


def tree_order(items: Sequence[ItemSpec]) -> list[tuple[ItemSpec, int]]:
    """Items depth-first, siblings by (sort order, id), with their depth. An item whose parent
    is not among `items` counts as top-level (the services never store a cycle)."""
    ids = {i.id for i in items}
    children: dict[int | None, list[ItemSpec]] = {}
    for item in items:
        parent = item.parent_id if item.parent_id in ids else None
        children.setdefault(parent, []).append(item)
    for siblings in children.values():
        siblings.sort(key=lambda i: (i.sort_order, i.id))
    ordered: list[tuple[ItemSpec, int]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for item in children.get(parent, []):
            if item.id in seen:  # a cycle: stop rather than loop
                continue
            seen.add(item.id)
            ordered.append((item, depth))
            walk(item.id, depth + 1)

    walk(None, 0)
    return ordered


def explain(
    items: Sequence[ItemSpec],
    weights: Mapping[str, Decimal],
    satisfaction_max: Decimal,
    facts: OrgFacts,
) -> Explanation:
    """Every item's score, source and rule, the satisfaction part and the 党建得分."""
    ordered = tree_order(items)
    by_parent: dict[int | None, list[ItemSpec]] = {}
    depth_of: dict[int, int] = {}
    for item, depth in ordered:
        by_parent.setdefault(item.parent_id if depth else None, []).append(item)
        depth_of[item.id] = depth
    results: dict[int, ItemResult] = {}

    def score(item: ItemSpec, parent_method: str | None) -> ItemResult:
        sign = sign_of(item.method, parent_method)
        kids = by_parent.get(item.id, [])
        if not kids:
            result = leaf_result(item, depth_of[item.id], facts, sign)
        else:
            child_results = [score(k, item.method) for k in kids]
            total = q2(sum((c.signed for c in child_results), Decimal(0)))
            value = combine_children(item.max_points, [total])
            result = ItemResult(
                item=item,
                depth=depth_of[item.id],
                score=value,
                signed=value * sign,
                source="children",
                source_label=SOURCE_LABELS["children"],
                rule=_children_rule(item.max_points, total, value, item.method),
                entered={},
                is_leaf=False,
            )
        results[item.id] = result
        return result

    top = [score(item, None) for item in by_parent.get(None, [])]
    items_total = q2(sum((r.signed for r in top), Decimal(0)))
    satisfaction = satisfaction_score(satisfaction_max, weights, facts.ratings)
    raw = q2(items_total + satisfaction.score)
    final = party_score(items_total, satisfaction.score)
    rule = f"党建得分 = 考核项目合计{fmt(items_total)} + 满意度{fmt(satisfaction.score)}"
    rule += f" = {fmt(raw)}"
    if raw != final:
        rule += f"，超出0–100分范围，按{fmt(final)}计"
    return Explanation(
        items=[results[item.id] for item, _ in ordered],
        items_total=items_total,
        satisfaction=satisfaction,
        raw_total=raw,
        party_score=final,
        rule=rule,
    )


def base_total(items: Iterable[ItemSpec]) -> Decimal:
    """Maximum points of the top-level items that count towards 100 (bonus and deduction
    items come on top)."""
    return sum(
        (
            i.max_points
            for i in items
            if i.parent_id is None and i.method in (Method.MANUAL, Method.COMPLIANCE)
        ),
        Decimal(0),
    )
