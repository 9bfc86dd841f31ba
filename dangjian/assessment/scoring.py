"""Final score and grade (SPEC §6, 双百分): plain functions over Decimal, rounded half-up."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dangjian.assessment.choices import Grade
from dangjian.assessment.rules import RuleSet

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Veto:
    """A veto the engine applied, with the rule that decided it."""

    code: str
    rule: str

    def as_dict(self) -> dict:
        return {"code": self.code, "rule": self.rule}


def final_score(party: Decimal, economic: Decimal | None, rules: RuleSet) -> Decimal:
    """weight × 党建得分 + weight × 经济社会得分 when both are present, else 党建得分; two places,
    half-up."""
    if economic is None:
        value = party
    else:
        value = rules.party_weight * party + rules.economic_weight * economic
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def grade_by_score(score: Decimal, rules: RuleSet) -> str:
    if score >= rules.good_from:
        return Grade.GOOD
    if score >= rules.fairly_good_from:
        return Grade.FAIRLY_GOOD
    if score >= rules.fair_from:
        return Grade.FAIR
    return Grade.POOR


def talks_vetoed(talks: int, rules: RuleSet) -> bool:
    return talks >= rules.talks_veto


def grade_of(score: Decimal, talks: int, rules: RuleSet) -> tuple[str, list[Veto]]:
    """The grade by score, capped at 较好 with ≥ talks_veto 约谈 in the year."""
    grade = grade_by_score(score, rules)
    if talks_vetoed(talks, rules) and grade == Grade.GOOD:
        return Grade.FAIRLY_GOOD, [
            Veto("talks_grade_cap", f"年度内约谈{talks}次（≥{rules.talks_veto}次），等次最高为较好")
        ]
    return grade, []
