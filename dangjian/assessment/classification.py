"""Classification within a peer group (SPEC §6, C7 分类晋级): 先进 / 一般 / 后进, then 软弱涣散
among 后进. A plain function over the group's candidates; the order they come in never matters.

- Ranked by final score, higher first; equal scores form a tie group that is never split.
- 先进: walk down the ranking, skipping organizations that may not be 先进 (vetoed by talks, or
  述职评议 一般/差); add each tie group's eligible organizations while the total stays
  ≤ floor(share × N); stop at the first group that would exceed it.
- 后进: walk up from the bottom over organizations not already 先进, adding whole tie groups
  until the total is ≥ ceil(share × N); then every organization whose 述职评议 is 差.
- 软弱涣散: among 后进, walk up from the bottom adding whole tie groups until the total is
  ≥ ceil(share × number of 后进).
- Groups smaller than `min_group` are not classified (class and flag None).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from dangjian.assessment.choices import Standing
from dangjian.assessment.rules import RuleSet


@dataclass(frozen=True)
class Candidate:
    org_id: int
    score: Decimal
    barred_from_advanced: bool  # vetoed by talks, or 述职评议 一般/差
    poor_review: bool  # 述职评议 差


@dataclass
class Placement:
    """Where one organization landed and why (each reason names the rule)."""

    standing: str | None = None
    weak_lax: bool | None = None
    rank: int = 0  # competition rank in the group: ties share it ("1, 2, 2, 4")
    group_size: int = 0
    reasons: list[str] = field(default_factory=list)


def ranked_ties(candidates: Iterable[Candidate]) -> list[list[Candidate]]:
    """Tie groups from the highest score down; inside a group by organization id."""
    ordered = sorted(candidates, key=lambda c: (-c.score, c.org_id))
    return [list(group) for _score, group in groupby(ordered, key=lambda c: c.score)]


def classify_group(candidates: Iterable[Candidate], rules: RuleSet) -> dict[int, Placement]:
    ties = ranked_ties(candidates)
    size = sum(len(t) for t in ties)
    placed: dict[int, Placement] = {}
    rank = 1
    for tie in ties:
        for c in tie:
            placed[c.org_id] = Placement(rank=rank, group_size=size)
        rank += len(tie)
    if size < rules.min_group:
        for p in placed.values():
            p.reasons.append(f"同组仅{size}个组织（少于{rules.min_group}个），不参加分类")
        return placed

    cap = math.floor(rules.advanced_share * size)
    advanced = _advanced(ties, cap, placed)
    target = math.ceil(rules.backward_share * size)
    backward = _backward(ties, advanced, target, placed)
    for tie in ties:
        for c in tie:
            if c.poor_review and c.org_id not in backward:
                backward.add(c.org_id)
                placed[c.org_id].reasons.append("述职评议等次为差，列入后进")
    weak = _weak(ties, backward, rules, placed)

    for org_id, p in placed.items():
        if org_id in advanced:
            p.standing = Standing.ADVANCED
        elif org_id in backward:
            p.standing = Standing.BACKWARD
        else:
            p.standing = Standing.ORDINARY
            p.reasons.append("未进入先进和后进名额，为一般")
        p.weak_lax = org_id in weak
    return placed


def _advanced(ties: list[list[Candidate]], cap: int, placed: dict[int, Placement]) -> set[int]:
    chosen: set[int] = set()
    for tie in ties:
        eligible = [c for c in tie if not c.barred_from_advanced]
        for c in tie:
            if c.barred_from_advanced:
                placed[c.org_id].reasons.append("受否决（约谈次数或述职评议等次），不能评为先进")
        if not eligible:
            continue
        if len(chosen) + len(eligible) > cap:
            for c in eligible:
                placed[c.org_id].reasons.append(
                    f"先进名额 floor(比例×{_n(placed)}) = {cap}，本并列组"
                    f"{len(eligible)}个组织加入后将超出，整组不列入先进"
                )
            break
        chosen.update(c.org_id for c in eligible)
        for c in eligible:
            placed[c.org_id].reasons.append(
                f"排名第{placed[c.org_id].rank}，在先进名额 {cap} 个以内，列入先进"
            )
    return chosen


def _walk_up(ties: list[list[Candidate]], counted, target: int) -> list[Candidate]:
    """From the bottom up, whole tie groups (of the candidates `counted` admits) until at
    least `target` are taken (§6: for 后进, and for 软弱涣散 among 后进)."""
    chosen: list[Candidate] = []
    for tie in reversed(ties):
        if len(chosen) >= target:
            break
        chosen.extend(c for c in tie if counted(c))
    return chosen


def _backward(
    ties: list[list[Candidate]], advanced: set[int], target: int, placed: dict[int, Placement]
) -> set[int]:
    chosen = _walk_up(ties, lambda c: c.org_id not in advanced, target)
    for c in chosen:
        placed[c.org_id].reasons.append(
            f"从末位向上按整组计入后进，直至不少于 ceil(比例×{_n(placed)}) = {target} 个"
        )
    return {c.org_id for c in chosen}


def _weak(
    ties: list[list[Candidate]], backward: set[int], rules: RuleSet, placed: dict[int, Placement]
) -> set[int]:
    target = math.ceil(rules.weak_share * len(backward))
    chosen = _walk_up(ties, lambda c: c.org_id in backward, target)
    for c in chosen:
        placed[c.org_id].reasons.append(
            f"后进{len(backward)}个中从末位向上按整组计入软弱涣散，"
            f"直至不少于 ceil(比例×{len(backward)}) = {target} 个"
        )
    return {c.org_id for c in chosen}


def _n(placed: dict[int, Placement]) -> int:
    return next(iter(placed.values())).group_size if placed else 0
