"""The compliance engine of SPEC C2 and §6, a pipeline of named steps:

1. `judgement_window`: which months of the year are judged (closed) and which is in progress;
2. `rules_for_year` (rules.py): the rules in force, as a snapshot;
3. `plan_checks`: each rule's check months and the months each check counts;
4. SQL (sql.py): one row per organization and rule with its 12 monthly counts of quorate
   meetings and the month masks of checks judged, pending and met; the checks not met; per
   organization the months judged and met; subtree 达标率 for every organization at once;
5. `member_warnings`: members with ≥ 6 consecutive months unpaid or without organizational
   life (early warnings, never an automatic action), read from the per-member-year facts of
   the ledger (`ledger.facts`), not from every dues row.

Set-based: a fixed number of queries whatever the size of the tree. Same data, same result.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.compliance import sql
from dangjian.compliance.models import (
    BranchYear,
    ComplianceRun,
    Exemption,
    MemberWarning,
    RuleCheck,
    SubtreeYear,
    WarningKind,
)
from dangjian.compliance.rules import RuleSpec, rules_for_year
from dangjian.core.bulk import insert_rows, lock_for_sequence
from dangjian.core.errors import BusinessError
from dangjian.core.periods import Month, check_months, longest_run, month_bit, period_months
from dangjian.core.signals import results_changed
from dangjian.ledger.facts import ensure_activity_quorums, ensure_member_years
from dangjian.orgs.models import Organization


@dataclass(frozen=True)
class Window:
    """Months 1..judged_through are judged; `current` (if any) is in progress."""

    year: int
    judged_through: int
    current: int | None


@dataclass(frozen=True)
class Check:
    rule_no: int
    check_month: int
    first_month: int
    pending: bool


@dataclass
class EvaluationResult:
    year: int
    window: Window
    rules: list[RuleSpec]
    stats: dict = field(default_factory=dict)
    seconds: float = 0.0


def judgement_window(year: int, today: dt.date) -> Window:
    """A past year is judged whole; in the current year the months before this one are
    judged and this month is in progress; a future year cannot be evaluated."""
    if year < 2000 or year > today.year:
        raise BusinessError(f"不能评价 {year} 年：年度应在 2000 年至今年之间", "year")
    if year < today.year:
        return Window(year, 12, None)
    return Window(year, today.month - 1, today.month)


def plan_checks(rules: list[RuleSpec], window: Window) -> list[Check]:
    """Judged checks close in a judged month; pending checks are the periods that contain the
    month in progress (what a branch still owes this month, quarter and year)."""
    checks = []
    for rule_no, rule in enumerate(rules, start=1):
        for month in check_months(rule.period):
            first, last = period_months(rule.period, month)
            if month <= window.judged_through:
                checks.append(Check(rule_no, month, first, False))
            elif window.current and first <= window.current <= last:
                checks.append(Check(rule_no, month, first, True))
    return checks


def rule_plans(rules: list[RuleSpec], checks: list[Check]) -> list[sql.RulePlan]:
    """Each rule with its numbered checks, as the SQL of the run uses them."""
    return [
        sql.RulePlan(
            rule_no=n,
            code=r.code,
            label=r.label,
            activity_type=r.activity_type,
            min_count=r.min_count,
            applies_to=r.applies_to,
            min_formal=r.min_formal_members,
            quorum_percent=r.quorum_percent,
            checks=tuple(
                (c.check_month, c.first_month, c.pending) for c in checks if c.rule_no == n
            ),
        )
        for n, r in enumerate(rules, start=1)
    ]


def exemption_masks(year: int, plans: list[sql.RulePlan]) -> list[tuple[int, int, int]]:
    """(organization, rule number, exempted check months) of the exemptions touching `year`:
    a check month is exempted when its first day falls in the exemption's months."""
    masks: dict[tuple[int, int], int] = {}
    exemptions = Exemption.objects.filter(
        first_month__lte=dt.date(year, 12, 1), last_month__gte=dt.date(year, 1, 1)
    ).values_list("organization_id", "rule_code", "first_month", "last_month")
    for org_id, rule_code, first, last in exemptions:
        bits = sum(month_bit(m) for m in range(1, 13) if first <= Month(year, m).first_day <= last)
        for plan in plans:
            if rule_code in ("", plan.code) and bits:
                masks[(org_id, plan.rule_no)] = masks.get((org_id, plan.rule_no), 0) | bits
    return [(org_id, rule_no, bits) for (org_id, rule_no), bits in masks.items()]


def _clear_year(year: int) -> None:
    for model in (RuleCheck, SubtreeYear, MemberWarning, BranchYear):
        model.objects.filter(year=year)._raw_delete(model.objects.db)


def roll_up_subtrees(year: int) -> int:
    """SubtreeYear rows of every organization with a judged branch in its subtree."""
    deepest = Organization.objects.aggregate(d=Max("depth"))["d"]
    if not deepest:  # an empty tree has no subtree to count
        return 0
    return sql.write_subtree_years(year, Organization.steplen, deepest)


WARNING_FIELDS = (
    *("year", "kind", "member", "organization"),
    *("run_length", "first_month", "last_month"),
)


def _warnings(kind: str, year: int, rows: list[tuple[int, int, int]]) -> list[tuple]:
    """Rows of MemberWarning (WARNING_FIELDS) with each member's longest run."""
    return [(year, kind, member, org, *longest_run(int(mask))) for member, org, mask in rows]


def member_warnings(window: Window) -> tuple[list[tuple], list[tuple]]:
    """(dues arrears, attendance lapses) of the judged months, as MemberWarning rows."""
    year, through = window.year, window.judged_through
    if through < 6:
        return [], []
    first_days = [Month(year, m).first_day for m in range(1, 13)]
    start, end = dt.date(year, 1, 1), Month(year, through).last_day
    dues = _warnings(WarningKind.DUES, year, sql.unpaid_members(year, through, first_days))
    lapses = _warnings(
        WarningKind.LIFE, year, sql.absent_members(year, through, first_days, start, end)
    )
    return dues, lapses


# The run's counts as the audit log shows them.
AUDITED_AS = "达标评价"  # the audit log's object type of a run
STATS_IN_WORDS = {  # in the order the audit page shows them
    "organizations": "参评组织数",
    "subtrees": "汇总上级组织数",
    "rule_checks": "未达标检查项次",  # missed, or still owed in a period in progress
    "dues_arrears": "欠缴党费党员数",
    "attendance_lapses": "连续未参加组织生活党员数",
}


def stats_in_words(stats: dict) -> dict:
    return {STATS_IN_WORDS.get(key, key): value for key, value in stats.items()}


def evaluate_year(year: int, *, actor=None, today: dt.date | None = None) -> EvaluationResult:
    """Evaluate compliance and dues arrears of the whole jurisdiction for `year` and store the
    results, replacing the year's previous run."""
    started = time.perf_counter()
    window = judgement_window(year, today or timezone.localdate())
    rules = rules_for_year(year)
    checks = plan_checks(rules, window)
    result = EvaluationResult(year, window, rules)
    with transaction.atomic():
        lock_for_sequence(f"compliance-{year}")
        _clear_year(year)
        plans = rule_plans(rules, checks)
        ensure_activity_quorums(year, {r.quorum_percent for r in rules})
        ensure_member_years(year)
        exempted = sql.create_exempt_table(exemption_masks(year, plans))
        sql.build_org_rules(year, plans, exempted)
        result.stats["rule_checks"] = sql.write_rule_checks(year, plans)
        dues, lapses = member_warnings(window)
        insert_rows(MemberWarning, WARNING_FIELDS, dues + lapses)
        result.stats["organizations"] = sql.write_branch_years(year, WarningKind.DUES)
        sql.drop_work_tables()
        result.stats["subtrees"] = roll_up_subtrees(year)
        result.stats["dues_arrears"] = len(dues)
        result.stats["attendance_lapses"] = len(lapses)
        result.seconds = round(time.perf_counter() - started, 3)
        ComplianceRun.objects.update_or_create(
            year=year,
            defaults={
                "judged_through": window.judged_through,
                "current_month": window.current,
                "rules": [r.as_dict() for r in rules],
                "stats": result.stats,
                "seconds": result.seconds,
                "computed_at": timezone.now(),
                "actor_label": audit.actor_label(actor),
            },
        )
        results_changed.send(ComplianceRun, kind="compliance", years=[year])
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.EVALUATE,
                    AUDITED_AS,
                    str(year),
                    f"{year}年度组织生活达标与党费评价",
                    "",
                    after=stats_in_words(result.stats),
                )
            ],
        )
    return result
