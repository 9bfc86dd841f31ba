"""Classification within a peer group, exactly as SPEC §6 words it: literal cases on the caps
and boundaries, and properties over generated groups (quotas never exceeded, tie groups never
split, vetoes always applied, the order of the rows never matters)."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.assessment.classification import Candidate, classify_group
from dangjian.assessment.rules import DEFAULT_RULES

RULES = DEFAULT_RULES


def group(*scores, barred=(), poor=()):
    """Candidates numbered 1..N in the order given."""
    return [
        Candidate(
            i,
            Decimal(str(s)),
            barred_from_advanced=i in barred or i in poor,
            poor_review=i in poor,
        )
        for i, s in enumerate(scores, start=1)
    ]


def classes(candidates, rules=RULES):
    placed = classify_group(candidates, rules)
    return {
        "先进": sorted(i for i, p in placed.items() if p.standing == "先进"),
        "后进": sorted(i for i, p in placed.items() if p.standing == "后进"),
        "软弱涣散": sorted(i for i, p in placed.items() if p.weak_lax),
    }


def test_ten_distinct_scores():
    # floor(0.3 × 10) = 3 先进, ceil(0.2 × 10) = 2 后进, ceil(0.5 × 2) = 1 软弱涣散
    got = classes(group(99, 98, 97, 96, 95, 94, 93, 92, 91, 90))
    assert got == {"先进": [1, 2, 3], "后进": [9, 10], "软弱涣散": [10]}


def test_a_tie_group_that_fits_the_cap_exactly_is_taken_whole():
    got = classes(group(99, 98, 98, 96, 95, 94, 93, 92, 91, 90))
    assert got["先进"] == [1, 2, 3]


def test_a_tie_group_that_would_exceed_the_cap_stops_the_walk():
    # 99, 98 fit (2); the tie 97, 97 would make 4 > 3: stop, even though 96 would fit
    got = classes(group(99, 98, 97, 97, 96, 95, 94, 93, 92, 91))
    assert got["先进"] == [1, 2]


def test_organizations_barred_from_advanced_are_skipped_not_counted():
    # 1 has two talks (barred): skipped; 2, 3, 4 take the three places
    got = classes(group(99, 98, 97, 96, 95, 94, 93, 92, 91, 90, barred={1}))
    assert got["先进"] == [2, 3, 4]


def test_only_the_eligible_part_of_a_tie_group_counts_towards_the_cap():
    # tie 98 × 3 of which one is barred: 1 + 2 = 3 = cap, all eligible taken
    got = classes(group(99, 98, 98, 98, 95, 94, 93, 92, 91, 90, barred={3}))
    assert got["先进"] == [1, 2, 4]


def test_backward_takes_whole_tie_groups_from_the_bottom_until_the_quota():
    # ceil(0.2 × 10) = 2: bottom 60 (1) is short, the tie 61 × 2 goes in whole → 3
    got = classes(group(99, 98, 97, 96, 95, 94, 93, 61, 61, 60))
    assert got["后进"] == [8, 9, 10]
    # 软弱涣散: ceil(0.5 × 3) = 2: 60 (1) is short, the tie 61 × 2 goes in whole → 3
    assert got["软弱涣散"] == [8, 9, 10]


def test_a_poor_review_is_added_to_backward_wherever_it_ranks():
    got = classes(group(99, 98, 97, 96, 95, 94, 93, 92, 91, 90, poor={2}))
    assert got["先进"] == [1, 3, 4]
    assert got["后进"] == [2, 9, 10]
    # 软弱涣散 walks up from the bottom among 后进: ceil(1.5) = 2 → 10, 9
    assert got["软弱涣散"] == [9, 10]


def test_backward_walk_skips_advanced_organizations():
    # five organizations, all tied: the cap floor(1.5) = 1 cannot take the tie of 5 → no 先进;
    # the 后进 walk takes the whole tie group
    got = classes(group(80, 80, 80, 80, 80))
    assert got == {"先进": [], "后进": [1, 2, 3, 4, 5], "软弱涣散": [1, 2, 3, 4, 5]}


def test_smallest_classified_group():
    got = classes(group(95, 90, 85, 80, 75))
    assert got == {"先进": [1], "后进": [5], "软弱涣散": [5]}


def test_groups_below_five_are_not_classified():
    placed = classify_group(group(95, 90, 85, 80), RULES)
    assert {p.standing for p in placed.values()} == {None}
    assert {p.weak_lax for p in placed.values()} == {None}
    assert all("不参加分类" in p.reasons[0] for p in placed.values())


def test_competition_ranks_share_ties():
    placed = classify_group(group(99, 98, 98, 96, 95), RULES)
    assert [placed[i].rank for i in range(1, 6)] == [1, 2, 2, 4, 5]


def test_changed_quotas_are_followed():
    rules = RULES.changed(advanced_share=Decimal("0.5"), backward_share=Decimal("0.1"))
    got = classes(group(99, 98, 97, 96, 95, 94, 93, 92, 91, 90), rules)
    assert got["先进"] == [1, 2, 3, 4, 5] and got["后进"] == [10]


# --- properties ----------------------------------------------------------------------------

candidates = st.lists(
    st.tuples(
        st.sampled_from(["60", "70", "75.5", "80", "85", "90", "95.25", "99"]),
        st.booleans(),  # barred
        st.integers(0, 9),  # poor review when 0
    ),
    min_size=1,
    max_size=30,
).map(
    lambda rows: [
        Candidate(i, Decimal(s), barred_from_advanced=barred or poor == 0, poor_review=poor == 0)
        for i, (s, barred, poor) in enumerate(rows, start=1)
    ]
)


@settings(max_examples=300, deadline=None)
@given(candidates, st.randoms(use_true_random=False))
def test_properties_of_every_group(group_, rnd: random.Random):
    n = len(group_)
    placed = classify_group(group_, RULES)
    by_id = {c.org_id: c for c in group_}
    if n < RULES.min_group:
        assert all(p.standing is None and p.weak_lax is None for p in placed.values())
        return
    advanced = {i for i, p in placed.items() if p.standing == "先进"}
    backward = {i for i, p in placed.items() if p.standing == "后进"}
    weak = {i for i, p in placed.items() if p.weak_lax}

    # quotas never exceeded, vetoes always applied
    assert len(advanced) <= math.floor(Decimal("0.3") * n)
    assert not any(by_id[i].barred_from_advanced for i in advanced)
    assert {c.org_id for c in group_ if c.poor_review} <= backward
    assert not advanced & backward
    # 后进 reaches its quota when enough organizations are left
    assert len(backward) >= min(math.ceil(Decimal("0.2") * n), n - len(advanced))
    # 软弱涣散 only among 后进, at least half of them
    assert weak <= backward
    assert len(weak) >= math.ceil(Decimal("0.5") * len(backward))

    # tie groups never split
    for a in group_:
        for b in group_:
            if a.score != b.score:
                continue
            if not a.barred_from_advanced and not b.barred_from_advanced:
                assert (a.org_id in advanced) == (b.org_id in advanced)
            neither = {a.org_id, b.org_id}.isdisjoint(advanced)
            if neither and not a.poor_review and not b.poor_review:
                assert placed[a.org_id].standing == placed[b.org_id].standing
            if a.org_id in backward and b.org_id in backward:
                assert (a.org_id in weak) == (b.org_id in weak)
    # the 先进 walk stops at the first group that does not fit: nothing eligible below a gap
    eligible = [c for c in group_ if not c.barred_from_advanced]
    for missed in (c for c in eligible if c.org_id not in advanced):
        assert not any(c.score < missed.score for c in eligible if c.org_id in advanced)

    # the order of the rows never matters
    shuffled = list(group_)
    rnd.shuffle(shuffled)
    again = classify_group(shuffled, RULES)
    assert {i: (p.standing, p.weak_lax, p.rank) for i, p in again.items()} == {
        i: (p.standing, p.weak_lax, p.rank) for i, p in placed.items()
    }
