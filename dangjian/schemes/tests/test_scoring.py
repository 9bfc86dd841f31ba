"""The C5 scoring rules as plain functions: worked examples, then hypothesis properties (caps,
bounds, precedence, order independence)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.core.errors import BusinessError
from dangjian.schemes import validation as v
from dangjian.schemes.choices import Method, RaterKind, Source
from dangjian.schemes.scoring import (
    ComplianceFacts,
    ItemSpec,
    OrgFacts,
    combine_children,
    compliance_points,
    explain,
    party_score,
    pick_source,
    q2,
    satisfaction_score,
    tree_order,
)

D = Decimal
WEIGHTS = {
    RaterKind.SUPERIOR: D("0.4"),
    RaterKind.MEMBERS: D("0.3"),
    RaterKind.PEERS: D("0.2"),
    RaterKind.PUBLIC: D("0.1"),
}
ALL = frozenset(Source.values)


def scheme_items() -> list[ItemSpec]:
    """一、组织建设 40 (班子建设 20 manual, 组织生活 20 compliance); 二、党员教育 30;
    三、党风廉政 20 (责任落实 15, 问题扣分 ≤10); 加分项 ≤5. Satisfaction 10: 90 + 10 = 100."""
    return [
        ItemSpec(1, None, "组织建设", D(40), Method.MANUAL, ALL, 1),
        ItemSpec(2, 1, "班子建设", D(20), Method.MANUAL, ALL, 1),
        ItemSpec(3, 1, "组织生活", D(20), Method.COMPLIANCE, frozenset(), 2),
        ItemSpec(4, None, "党员教育", D(30), Method.MANUAL, ALL, 2),
        ItemSpec(5, None, "党风廉政", D(20), Method.MANUAL, ALL, 3),
        ItemSpec(6, 5, "责任落实", D(15), Method.MANUAL, ALL, 1),
        ItemSpec(7, 5, "问题扣分", D(10), Method.DEDUCTION, ALL, 2),
        ItemSpec(8, None, "加分项", D(5), Method.BONUS, ALL, 4),
    ]


# --- examples ---------------------------------------------------------------------------------


def test_precedence_year_end_then_spot_then_accepted_self_check():
    every = {Source.SELF: D(9), Source.SPOT: D(8), Source.YEAR_END: D(7)}
    assert pick_source(every, True) == (Source.YEAR_END, D(7))
    assert pick_source({Source.SELF: D(9), Source.SPOT: D(8)}, True) == (Source.SPOT, D(8))
    assert pick_source({Source.SELF: D(9)}, True) == (Source.SELF, D(9))
    assert pick_source({Source.SELF: D(9)}, False) == (None, None)
    assert pick_source({}, True) == (None, None)


def test_compliance_points_is_max_times_months_met_over_months_judged():
    assert compliance_points(D(20), ComplianceFacts(met=9, judged=12)) == D("15.00")
    assert compliance_points(D(10), ComplianceFacts(met=2, judged=3)) == D("6.67")
    assert compliance_points(D(10), ComplianceFacts(met=1, judged=6)) == D("1.67")
    assert compliance_points(D(10), ComplianceFacts(met=0, judged=0)) == D("0.00")
    assert compliance_points(D(10), None) == D("0.00")


def test_half_up_rounding():
    assert q2(D("2.345")) == D("2.35")
    assert q2(D("2.335")) == D("2.34")
    assert compliance_points(D("0.1"), ComplianceFacts(met=1, judged=8)) == D("0.01")  # 0.0125


def test_parent_is_sum_of_children_capped_at_its_max():
    assert combine_children(D(20), [D(12), D(5)]) == D(17)
    assert combine_children(D(20), [D(15), D(10)]) == D(20)
    assert combine_children(D(20), [D(5), D(-10)]) == D(0)


def test_satisfaction_weighted_average_over_100_times_max():
    ratings = {
        RaterKind.SUPERIOR: (D(180), 2),  # average 90
        RaterKind.MEMBERS: (D(80), 1),
        RaterKind.PEERS: (D(210), 3),  # 70
        RaterKind.PUBLIC: (D(100), 1),
    }
    result = satisfaction_score(D(10), WEIGHTS, ratings)
    # 0.4×90 + 0.3×80 + 0.2×70 + 0.1×100 = 36 + 24 + 14 + 10 = 84 → 8.4
    assert result.weighted_average == D(84)
    assert result.score == D("8.40")
    assert [line.average for line in result.lines] == [D(90), D(80), D(70), D(100)]
    assert "8.4" in result.rule


def test_satisfaction_group_without_ratings_counts_zero():
    result = satisfaction_score(D(10), WEIGHTS, {RaterKind.SUPERIOR: (D(100), 1)})
    assert result.score == D("4.00")
    assert "无评分的评议群体按0分计" in result.rule


def test_full_explanation_of_an_organization():
    facts = OrgFacts(
        scores={
            2: {Source.SELF: D(19), Source.YEAR_END: D(18)},
            4: {Source.SELF: D(28), Source.SPOT: D(25)},
            6: {Source.SELF: D(14)},
            7: {Source.YEAR_END: D(3)},
            8: {Source.YEAR_END: D(2)},
        },
        self_check_accepted=True,
        compliance=ComplianceFacts(met=9, judged=12),
        ratings={kind: (D(90), 1) for kind in RaterKind.values},
    )
    result = explain(scheme_items(), WEIGHTS, D(10), facts)
    by = result.by_item()
    assert (by[2].score, by[2].source) == (D(18), Source.YEAR_END)
    assert (by[3].score, by[3].source) == (D(15), "compliance")
    assert "满分20 × 达标9个月 ÷ 评价12个月 = 15" in by[3].rule
    assert by[1].score == D(33)  # 18 + 15
    assert (by[4].score, by[4].source) == (D(25), Source.SPOT)
    assert (by[6].score, by[6].source) == (D(14), Source.SELF)
    assert (by[7].score, by[7].signed) == (D(3), D(-3))
    assert by[5].score == D(11)  # 14 − 3
    assert (by[8].score, by[8].signed) == (D(2), D(2))
    assert result.items_total == D(71)  # 33 + 25 + 11 + 2
    assert result.satisfaction.score == D(9)
    assert result.party_score == D(80)
    assert [r.item.id for r in result.items] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [r.depth for r in result.items] == [0, 1, 1, 0, 0, 1, 1, 0]


def test_self_check_not_accepted_does_not_count():
    facts = OrgFacts(scores={4: {Source.SELF: D(28)}}, self_check_accepted=False)
    by = explain(scheme_items(), WEIGHTS, D(10), facts).by_item()
    assert (by[4].score, by[4].source) == (D(0), "none")
    assert "尚未经上级审核通过" in by[4].rule


def test_party_score_clamped_to_0_100():
    assert party_score(D(99), D(10)) == D(100)
    assert party_score(D(-5), D(2)) == D(0)
    items = [
        ItemSpec(1, None, "全部", D(90), Method.MANUAL, ALL),
        ItemSpec(2, None, "加分", D(20), Method.BONUS, ALL),
    ]
    facts = OrgFacts(scores={1: {Source.YEAR_END: D(90)}, 2: {Source.YEAR_END: D(20)}})
    result = explain(items, WEIGHTS, D(10), facts)
    assert result.raw_total == D(110)
    assert result.party_score == D(100)
    assert "超出0–100分范围" in result.rule


def test_score_over_max_is_capped():
    items = [ItemSpec(1, None, "A", D(10), Method.MANUAL, ALL)]
    result = explain(items, WEIGHTS, D(0), OrgFacts(scores={1: {Source.YEAR_END: D(12)}}))
    assert result.items[0].score == D(10)


def test_sources_not_open_to_an_item_are_ignored():
    items = [ItemSpec(1, None, "A", D(10), Method.MANUAL, frozenset({Source.YEAR_END}))]
    facts = OrgFacts(scores={1: {Source.SPOT: D(8)}}, self_check_accepted=True)
    assert explain(items, WEIGHTS, D(0), facts).items[0].score == D(0)


def test_typed_points_are_checked_against_the_maximum():
    assert v.clean_points("7.5", "A", D(10)) == D("7.50")
    assert v.clean_points("", "A", D(10)) is None
    for bad in ("-1", "10.01", "abc", "1.234", "NaN", "Infinity", True):
        with pytest.raises(BusinessError):
            v.clean_points(bad, "A", D(10))


def test_weights_must_sum_to_one():
    assert v.clean_weights({"superior": "0.5", "members": "0.5"})["peers"] == D(0)
    with pytest.raises(BusinessError, match="权重之和应为1"):
        v.clean_weights({"superior": "0.5", "members": "0.4"})
    with pytest.raises(BusinessError, match="未知的评议群体"):
        v.clean_weights({"boss": "1"})


def test_unknown_source_is_refused():
    assert v.clean_source("年终考评") == Source.YEAR_END
    with pytest.raises(BusinessError, match="未知的评分来源"):
        v.clean_source("领导印象")


# --- properties -------------------------------------------------------------------------------

points = st.decimals(min_value=D("0.01"), max_value=D(100), places=2)
any_score = st.decimals(min_value=D(-20), max_value=D(150), places=2)


@st.composite
def trees(draw):
    """A random scheme tree: each item's parent is an earlier item (or none), any method."""
    count = draw(st.integers(min_value=1, max_value=14))
    items = []
    for i in range(1, count + 1):
        parent = (
            draw(st.one_of(st.none(), st.integers(min_value=1, max_value=i - 1))) if i > 1 else None
        )
        method = draw(st.sampled_from(Method.values))
        sources = frozenset(draw(st.sets(st.sampled_from(Source.values))))
        items.append(
            ItemSpec(i, parent, f"项目{i}", draw(points), method, sources, draw(st.integers(0, 5)))
        )
    return items


@st.composite
def org_facts(draw, items):
    scores = {}
    for item in items:
        entered = draw(st.dictionaries(st.sampled_from(Source.values), any_score, max_size=3))
        if entered:
            scores[item.id] = entered
    judged = draw(st.integers(min_value=0, max_value=400))
    ratings = draw(
        st.dictionaries(
            st.sampled_from(RaterKind.values),
            st.integers(min_value=1, max_value=30).flatmap(
                lambda n: st.tuples(
                    st.decimals(min_value=D(0), max_value=D(100) * n, places=2), st.just(n)
                )
            ),
        )
    )
    return OrgFacts(
        scores=scores,
        self_check_accepted=draw(st.booleans()),
        compliance=ComplianceFacts(draw(st.integers(0, judged)), judged)
        if draw(st.booleans())
        else None,
        ratings=ratings,
    )


@st.composite
def weight_sets(draw):
    """Four weights in thousandths summing to exactly 1."""
    cuts = sorted(draw(st.lists(st.integers(0, 1000), min_size=3, max_size=3)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 1000], strict=True)]
    return {kind: D(p) / 1000 for kind, p in zip(RaterKind.values, parts, strict=True)}


@st.composite
def cases(draw):
    items = draw(trees())
    return items, draw(org_facts(items)), draw(weight_sets()), draw(points)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_every_item_stays_within_zero_and_its_max(case):
    items, facts, weights, satisfaction_max = case
    result = explain(items, weights, satisfaction_max, facts)
    assert len(result.items) == len(items)
    for r in result.items:
        assert D(0) <= r.score <= r.item.max_points, r
        assert r.score == r.score.quantize(D("0.01"))
        assert r.rule


@settings(max_examples=300, deadline=None)
@given(cases())
def test_party_score_and_satisfaction_are_bounded(case):
    items, facts, weights, satisfaction_max = case
    result = explain(items, weights, satisfaction_max, facts)
    assert D(0) <= result.party_score <= D(100)
    assert result.party_score == result.party_score.quantize(D("0.01"))
    assert D(0) <= result.satisfaction.score <= satisfaction_max
    assert D(0) <= result.satisfaction.weighted_average <= D(100)


@settings(max_examples=200, deadline=None)
@given(cases())
def test_parent_is_capped_sum_of_signed_children(case):
    items, facts, weights, satisfaction_max = case
    result = explain(items, weights, satisfaction_max, facts)
    by = result.by_item()
    for r in result.items:
        kids = [c for c in result.items if c.item.parent_id == r.item.id]
        if kids:
            total = sum((c.signed for c in kids), D(0))
            assert r.score == max(D(0), min(r.item.max_points, total))
        elif r.item.method == Method.BONUS:
            assert r.signed == r.score
        if r.item.method == Method.DEDUCTION:
            parent = by.get(r.item.parent_id)
            expected = 1 if parent and parent.item.method == Method.DEDUCTION else -1
            assert r.signed == r.score * expected


@settings(max_examples=200, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_order_of_items_does_not_matter(case, rnd: random.Random):
    items, facts, weights, satisfaction_max = case
    shuffled = list(items)
    rnd.shuffle(shuffled)
    a = explain(items, weights, satisfaction_max, facts)
    b = explain(shuffled, weights, satisfaction_max, facts)
    assert a == b


@settings(max_examples=200, deadline=None)
@given(cases())
def test_year_end_score_wins_when_present(case):
    items, facts, weights, satisfaction_max = case
    result = explain(items, weights, satisfaction_max, facts)
    for r in result.items:
        if r.is_leaf and r.item.method != Method.COMPLIANCE:
            entered = {
                s: x for s, x in facts.scores.get(r.item.id, {}).items() if s in r.item.sources
            }
            if Source.YEAR_END in entered:
                assert r.source == Source.YEAR_END
                assert r.score == max(D(0), min(r.item.max_points, entered[Source.YEAR_END]))
            elif not entered:
                assert r.score == 0


@settings(max_examples=200, deadline=None)
@given(points, st.integers(0, 400), st.integers(0, 400))
def test_compliance_points_within_max(max_points, met, judged):
    value = compliance_points(max_points, ComplianceFacts(min(met, judged), judged))
    assert D(0) <= value <= max_points


def test_tree_order_is_depth_first_by_sort_order():
    items = [
        ItemSpec(3, None, "c", D(1), Method.MANUAL, ALL, 2),
        ItemSpec(1, None, "a", D(1), Method.MANUAL, ALL, 1),
        ItemSpec(2, 1, "a1", D(1), Method.MANUAL, ALL, 1),
        ItemSpec(4, 99, "orphan", D(1), Method.MANUAL, ALL, 0),
    ]
    assert [(i.id, d) for i, d in tree_order(items)] == [(4, 0), (1, 0), (2, 1), (3, 0)]
