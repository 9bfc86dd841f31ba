"""Demo 考核得分 rows (SPEC §5, C5) for the demo tree: every organization below the root except
temporary branches gets a 党建得分 each year, most an 经济社会得分, a 述职评议等次 and now and then
约谈. Scores are in half points, so peer groups have ties; each organization keeps a level of its
own from year to year with a slight improvement, so the year-on-year class flow is realistic.
Reproducible from the seed alone."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator

SCORE_COLUMNS = ("组织编码", "年度", "党建得分", "经济社会得分", "述职评议等次", "约谈次数")
DEMO_SCORE_YEARS = (2024, 2025)  # whole years before the demo's "today"
UNSCORED_TYPES = frozenset(("临时党支部",))
REVIEWS = (("好", 0.40), ("较好", 0.40), ("一般", 0.15), ("差", 0.05))


def _half_points(value: float, low: float, high: float) -> str:
    return f"{min(high, max(low, round(value * 2) / 2)):.2f}"


def _review(rng: random.Random, level: float) -> str:
    """Better-scoring organizations get better 述职评议 more often."""
    shift = (level - 86) / 20
    pick = rng.random() - shift * 0.3
    total = 0.0
    for grade, share in REVIEWS:
        total += share
        if pick < total:
            return grade
    return REVIEWS[-1][0]


def iter_scores(orgs: Iterable[tuple], years: Iterable[int], seed: int) -> Iterator[tuple]:
    """考核得分 rows for `orgs` (rows of 组织.csv: code, name, parent code, type, …)."""
    years = sorted(set(years))
    for code, _name, parent, org_type, *_rest in orgs:
        if not parent or org_type in UNSCORED_TYPES:
            continue
        rng = random.Random(f"scores-{seed}-{code}")
        level = rng.gauss(86, 5)
        has_economic = rng.random() < 0.7
        for offset, year in enumerate(years):
            party_level = level + offset * 0.8 + rng.gauss(0, 2.5)
            party = _half_points(party_level, 55, 99.5)
            economic = _half_points(rng.gauss(level - 1, 6), 50, 99.5) if has_economic else ""
            talks = 0 if rng.random() < 0.9 else (1 if rng.random() < 0.7 else 2)
            yield (code, year, party, economic, _review(rng, party_level), talks)
