"""The assessment engine (SPEC C5, C7, §6): from the year's assessment records to final score,
grade, class and 软弱涣散 of every scored organization, with ranks and the vetoes and reasons
that decided them.

A pipeline of named steps over the whole jurisdiction: one read of the records (with each
organization's parent and category), `score_record` per record (final score, grade, veto),
peer groups, `classification.classify_group` per group, ranks, then one bulk write. Same data,
same result, whatever order the rows come in. `evaluate_assessment(..., store=False)` is the
what-if run: a changed rule set, nothing written.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.assessment.choices import Grade, PeerGrouping, Standing
from dangjian.assessment.classification import Candidate, classify_group
from dangjian.assessment.models import AssessmentRecord, AssessmentResult, AssessmentRun
from dangjian.assessment.rules import RuleSet, rules_for_year
from dangjian.assessment.scoring import Veto, final_score, grade_of, talks_vetoed
from dangjian.core.bulk import insert_rows, lock_for_sequence, to_json
from dangjian.core.signals import results_changed


@dataclass(frozen=True)
class Record:
    """An assessment record as the engine reads it."""

    org_id: int
    parent_id: int | None
    category_id: int | None
    party: Decimal
    economic: Decimal | None
    review: str
    talks: int


@dataclass
class Outcome:
    """One organization's evaluated year."""

    record: Record
    final: Decimal
    grade: str
    vetoes: list[Veto]
    peer_group: str
    standing: str | None = None
    weak_lax: bool | None = None
    group_rank: int = 0
    group_size: int = 0
    overall_rank: int = 0
    reasons: list[str] = field(default_factory=list)


AUDITED_AS = "考核评价"  # the audit log's object type of a run
# A run's figures as the audit page lists them: the total, then each class, then 软弱涣散.
STATS_ORDER = ("考核组织数", *Standing.values, "未分类", "软弱涣散")


@dataclass
class AssessmentEvaluation:
    year: int
    rules: RuleSet
    outcomes: dict[int, Outcome]
    seconds: float = 0.0

    @property
    def stats(self) -> dict:
        counts: dict[str, int] = defaultdict(int)
        for o in self.outcomes.values():
            counts[str(o.standing) if o.standing else "未分类"] += 1
            counts["软弱涣散"] += bool(o.weak_lax)
        return {"scored": len(self.outcomes), **counts}

    def stats_in_words(self) -> dict:
        """`stats` as the audit log shows them: every key in Chinese."""
        stats = self.stats
        return {"考核组织数": stats.pop("scored"), **stats}


def read_records(year: int) -> list[Record]:
    rows = (
        AssessmentRecord.objects.filter(year=year)
        .order_by()
        .values_list(
            "organization_id",
            "organization__parent_id",
            "organization__category_id",
            "party_score",
            "economic_score",
            "review_grade",
            "talks",
        )
    )
    return [Record(*row) for row in rows.iterator(20000)]


def peer_key(record: Record, rules: RuleSet) -> str:
    """The peer group of an organization (SPEC §6: the same parent unless configured)."""
    if rules.peer_grouping == PeerGrouping.CATEGORY:
        return f"category:{record.category_id}"
    if rules.peer_grouping == PeerGrouping.PARENT_CATEGORY:
        return f"parent:{record.parent_id}/category:{record.category_id}"
    return f"parent:{record.parent_id}"


def score_record(record: Record, rules: RuleSet) -> Outcome:
    final = final_score(record.party, record.economic, rules)
    grade, vetoes = grade_of(final, record.talks, rules)
    reasons = [_score_reason(record, final, rules), f"综合得分{final}，等次{grade}"]
    if talks_vetoed(record.talks, rules):
        rule = f"年度内约谈{record.talks}次（≥{rules.talks_veto}次），不能评为先进"
        vetoes.append(Veto("talks_no_advanced", rule))
    if record.review in (Grade.FAIR, Grade.POOR):
        vetoes.append(Veto("review_no_advanced", f"述职评议等次为{record.review}，不能评为先进"))
    if record.review == Grade.POOR:
        vetoes.append(Veto("review_backward", "述职评议等次为差，列入后进"))
    return Outcome(record, final, grade, vetoes, peer_key(record, rules), reasons=reasons)


def plain(value: Decimal) -> str:
    """A Decimal without trailing zeros: 0.500 → "0.5", 98.0000 → "98"."""
    return format(value.normalize(), "f")


def _score_reason(record: Record, final: Decimal, rules: RuleSet) -> str:
    if record.economic is None:
        return f"无经济社会得分，综合得分 = 党建得分 {plain(record.party)}"
    return (
        f"综合得分 = {plain(rules.party_weight)} × 党建得分 {plain(record.party)}"
        f" + {plain(rules.economic_weight)} × 经济社会得分 {plain(record.economic)}，"
        f"四舍五入到两位小数 = {final}"
    )


def _candidate(outcome: Outcome) -> Candidate:
    codes = {v.code for v in outcome.vetoes}
    return Candidate(
        org_id=outcome.record.org_id,
        score=outcome.final,
        barred_from_advanced=bool(codes & {"talks_no_advanced", "review_no_advanced"}),
        poor_review="review_backward" in codes,
    )


def classify(outcomes: dict[int, Outcome], rules: RuleSet) -> None:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes.values():
        groups[o.peer_group].append(o)
    for members in groups.values():
        placed = classify_group([_candidate(o) for o in members], rules)
        for o in members:
            p = placed[o.record.org_id]
            o.standing, o.weak_lax = p.standing, p.weak_lax
            o.group_rank, o.group_size = p.rank, p.group_size
            o.reasons.extend(p.reasons)
    ordered = sorted(outcomes.values(), key=lambda o: -o.final)
    higher = 0
    for index, o in enumerate(ordered):
        if index and o.final != ordered[index - 1].final:
            higher = index
        o.overall_rank = higher + 1


def compute(year: int, rules: RuleSet) -> AssessmentEvaluation:
    """Every scored organization's outcome for `year` under `rules` (nothing written)."""
    outcomes = {r.org_id: score_record(r, rules) for r in read_records(year)}
    classify(outcomes, rules)
    return AssessmentEvaluation(year, rules, outcomes)


RESULT_FIELDS = (
    *("year", "organization", "party_score", "economic_score", "final_score", "grade"),
    *("standing", "weak_lax", "peer_group", "group_size", "group_rank", "overall_rank"),
    *("vetoes", "reasons"),
)


def _result_row(year: int, o: Outcome) -> tuple:
    return (
        year,
        o.record.org_id,
        o.record.party,
        o.record.economic,
        o.final,
        o.grade,
        o.standing,
        o.weak_lax,
        o.peer_group,
        o.group_size,
        o.group_rank,
        o.overall_rank,
        to_json([v.as_dict() for v in o.vetoes]),
        to_json(o.reasons),
    )


def evaluate_assessment(
    year: int, *, actor=None, rules: RuleSet | None = None, store: bool = True
) -> AssessmentEvaluation:
    """Evaluate the year's assessment; with `store`, replace the year's stored results."""
    started = time.perf_counter()
    rules = (rules or rules_for_year(year)).checked()
    evaluation = compute(year, rules)
    if store:
        with transaction.atomic():
            lock_for_sequence(f"assessment-{year}")
            AssessmentResult.objects.filter(year=year)._raw_delete(AssessmentResult.objects.db)
            insert_rows(
                AssessmentResult,
                RESULT_FIELDS,
                (_result_row(year, o) for o in evaluation.outcomes.values()),
            )
            evaluation.seconds = round(time.perf_counter() - started, 3)
            AssessmentRun.objects.update_or_create(
                year=year,
                defaults={
                    "rules": rules.as_dict(),
                    "stats": evaluation.stats,
                    "computed_at": timezone.now(),
                    "actor_label": audit.actor_label(actor),
                },
            )
            results_changed.send(AssessmentRun, kind="assessment", years=[year])
            audit.record(
                actor,
                [
                    audit.Change(
                        audit.Action.EVALUATE,
                        AUDITED_AS,
                        str(year),
                        f"{year}年度考核与分类",
                        "",
                        after=evaluation.stats_in_words(),
                    )
                ],
            )
    evaluation.seconds = round(time.perf_counter() - started, 3)
    return evaluation
