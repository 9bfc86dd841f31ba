"""A literal reading of SPEC §6's assessment rules in plain Python, used to check the engine.

Scores are exact fractions (never Decimal or binary floats) and the final score is rounded
half-up by hand; classification walks the ranking exactly as §6 words it. Deliberately naive:
the engine must agree with it on any data."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

GOOD, FAIRLY_GOOD, FAIR, POOR = "好", "较好", "一般", "差"
ADVANCED, ORDINARY, BACKWARD = "先进", "一般", "后进"
TALKS_VETO = 2
MIN_GROUP = 5


@dataclass(frozen=True)
class Scored:
    """One 考核得分 row of the year: scores as written in the sheet."""

    code: str
    parent: str | None
    party: Fraction
    economic: Fraction | None
    review: str  # 好/较好/一般/差, or "" when there was no 述职评议
    talks: int


def final_score(party: Fraction, economic: Fraction | None) -> Fraction:
    """0.5 × 党建得分 + 0.5 × 经济社会得分 (or 党建得分 alone), half-up to two places."""
    value = party if economic is None else (party + economic) / 2
    return Fraction(math.floor(value * 100 + Fraction(1, 2)), 100)


def grade_by_score(final: Fraction) -> str:
    if final >= 90:
        return GOOD
    if final >= 80:
        return FAIRLY_GOOD
    if final >= 70:
        return FAIR
    return POOR


def grade(final: Fraction, talks: int) -> str:
    """≥ 90 好, ≥ 80 较好, ≥ 70 一般, else 差; with ≥ 2 约谈 at most 较好."""
    by_score = grade_by_score(final)
    return FAIRLY_GOOD if by_score == GOOD and talks >= TALKS_VETO else by_score


def vetoes(s: Scored, final: Fraction) -> list[dict]:
    """The vetoes the §5 document lists: the talks cap on the grade, and what bars an
    organization from 先进 or puts it among 后进."""
    found = []
    if grade_by_score(final) == GOOD and s.talks >= TALKS_VETO:
        rule = f"年度内约谈{s.talks}次（≥{TALKS_VETO}次），等次最高为较好"
        found.append({"code": "talks_grade_cap", "rule": rule})
    if s.talks >= TALKS_VETO:
        rule = f"年度内约谈{s.talks}次（≥{TALKS_VETO}次），不能评为先进"
        found.append({"code": "talks_no_advanced", "rule": rule})
    if s.review in (FAIR, POOR):
        rule = f"述职评议等次为{s.review}，不能评为先进"
        found.append({"code": "review_no_advanced", "rule": rule})
    if s.review == POOR:
        found.append({"code": "review_backward", "rule": "述职评议等次为差，列入后进"})
    return found


def classify(group: list[Scored], finals: dict[str, Fraction]) -> dict[str, tuple]:
    """(class, 软弱涣散) of each organization of one peer group; (None, None) when the group
    has fewer than five."""
    n = len(group)
    if n < MIN_GROUP:
        return {s.code: (None, None) for s in group}
    scores = sorted({finals[s.code] for s in group}, reverse=True)
    ties = [[s for s in group if finals[s.code] == score] for score in scores]

    def may_be_advanced(s: Scored) -> bool:
        return s.talks < TALKS_VETO and s.review not in (FAIR, POOR)

    advanced: set[str] = set()
    for tie in ties:  # walk down
        eligible = {s.code for s in tie if may_be_advanced(s)}
        if not eligible:
            continue
        if len(advanced) + len(eligible) > math.floor(Fraction(3, 10) * n):
            break
        advanced |= eligible

    backward: set[str] = set()
    for tie in reversed(ties):  # walk up
        if len(backward) >= math.ceil(Fraction(2, 10) * n):
            break
        backward |= {s.code for s in tie if s.code not in advanced}
    backward |= {s.code for s in group if s.review == POOR}

    weak: set[str] = set()
    for tie in reversed(ties):
        if len(weak) >= math.ceil(Fraction(1, 2) * len(backward)):
            break
        weak |= {s.code for s in tie if s.code in backward}

    placed = {}
    for s in group:
        if s.code in advanced:
            placed[s.code] = (ADVANCED, False)
        elif s.code in backward:
            placed[s.code] = (BACKWARD, s.code in weak)
        else:
            placed[s.code] = (ORDINARY, False)
    return placed


def outcomes(rows: list[Scored]) -> dict[str, dict]:
    """The §5 score fields of every scored organization; peer group = same parent."""
    finals = {s.code: final_score(s.party, s.economic) for s in rows}
    groups: dict[str | None, list[Scored]] = {}
    for s in rows:
        groups.setdefault(s.parent, []).append(s)
    placed = {}
    for group in groups.values():
        placed.update(classify(group, finals))
    return {
        s.code: {
            "party_score": float(s.party),
            "final_score": float(finals[s.code]),
            "grade": grade(finals[s.code], s.talks),
            "class": placed[s.code][0],
            "weak_lax": placed[s.code][1],
            "vetoes": vetoes(s, finals[s.code]),
        }
        for s in rows
    }
