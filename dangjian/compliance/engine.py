"""The compliance engine of SPEC C2 and §6, a pipeline of named steps:

1. `judgement_window`: which months of the year are judged (closed) and which is in progress;
2. `rules_for_year` (rules.py): the rules in force, as a snapshot;
3. `plan_checks`: each rule's check months and the months each check counts;
4. SQL (sql.py): the organization × rule × check grid with counts of quorate meetings, the
   checks not met, per-organization month masks, subtree 达标率 level by level;
5. `dues_arrears` and `attendance_lapses`: members with ≥ 6 consecutive months unpaid or
   without organizational life (early warnings, never an automatic action).

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
    SubtreeMonth,
    WarningKind,
)
from dangjian.compliance.rules import RuleSpec, rules_for_year
from dangjian.core.bulk import lock_for_sequence, update_rows
from dangjian.core.errors import BusinessError
from dangjian.core.periods import Month, check_months, longest_run, period_months
from dangjian.members.choices import MemberType
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


def _fill_work_tables(rules: list[RuleSpec], checks: list[Check], year: int) -> None:
    sql.create_work_tables()
    sql.insert_many(
        "INSERT INTO cmp_rule VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [
            (
                n,
                r.code,
                r.label,
                r.activity_type,
                r.min_count,
                r.min_formal_members,
                r.quorum_percent,
            )
            for n, r in enumerate(rules, start=1)
        ],
    )
    sql.insert_many(
        "INSERT INTO cmp_rule_type VALUES (%s, %s)",
        [(n, t) for n, r in enumerate(rules, start=1) for t in r.applies_to],
    )
    sql.insert_many(
        "INSERT INTO cmp_check VALUES (%s, %s, %s, %s, %s, %s)",
        [
            (
                c.rule_no,
                c.check_month,
                c.first_month,
                c.pending,
                Month(year, c.check_month).first_day,
                Month(year, c.check_month).last_day,
            )
            for c in checks
        ],
    )
    sql.insert_many("INSERT INTO cmp_month VALUES (%s)", [(m,) for m in range(1, 13)])
    sql.insert_many(
        "INSERT INTO cmp_check_month VALUES (%s, %s, %s)",
        [
            (c.rule_no, c.check_month, m)
            for c in checks
            for m in range(c.first_month, c.check_month + 1)
        ],
    )
    sql.tune_session()


def _clear_year(year: int) -> None:
    for model in (RuleCheck, SubtreeMonth, MemberWarning, BranchYear):
        model.objects.filter(year=year)._raw_delete(model.objects.db)


def roll_up_subtrees(year: int) -> int:
    """SubtreeMonth rows from the deepest level to the root."""
    deepest = Organization.objects.aggregate(d=Max("depth"))["d"] or 0
    written = 0
    for depth in range(deepest, 0, -1):
        written += sql.roll_up_level(year, depth)
    return written


def _warnings(kind: str, year: int, rows: list[tuple[int, int, int]]) -> list[MemberWarning]:
    made = []
    for member_id, org_id, mask in rows:
        length, first, last = longest_run(int(mask))
        made.append(
            MemberWarning(
                year=year,
                kind=kind,
                member_id=member_id,
                organization_id=org_id,
                run_length=length,
                first_month=first,
                last_month=last,
            )
        )
    return made


def member_warnings(window: Window) -> tuple[list[MemberWarning], list[MemberWarning]]:
    """(dues arrears, attendance lapses) of the judged months."""
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


def _record_arrears(year: int, dues: list[MemberWarning]) -> None:
    """dues_arrears per organization (its own members, SPEC §5)."""
    per_org: dict[int, int] = {}
    for w in dues:
        per_org[w.organization_id] = per_org.get(w.organization_id, 0) + 1
    if not per_org:
        return
    row_of = dict(
        BranchYear.objects.filter(year=year).values_list("organization_id", "id").iterator()
    )
    BranchYear.objects.bulk_create(
        [
            BranchYear(year=year, organization_id=org_id, dues_arrears=n)
            for org_id, n in per_org.items()
            if org_id not in row_of
        ],
        batch_size=2000,
    )
    update_rows(
        BranchYear,
        ["dues_arrears"],
        [(row_of[org_id], n) for org_id, n in per_org.items() if org_id in row_of],
    )


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
        _fill_work_tables(rules, checks, year)
        exempted = Exemption.objects.filter(
            first_month__lte=dt.date(year, 12, 1), last_month__gte=dt.date(year, 1, 1)
        ).exists()
        sql.build_grid(dt.date(year, 1, 1), dt.date(year, 12, 31), MemberType.FORMAL, exempted)
        result.stats["rule_checks"] = sql.write_rule_checks(year)
        result.stats["organizations"] = sql.write_branch_years(year)
        result.stats["subtree_months"] = roll_up_subtrees(year)
        sql.drop_work_tables()
        dues, lapses = member_warnings(window)
        MemberWarning.objects.bulk_create(dues + lapses, batch_size=2000)
        _record_arrears(year, dues)
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
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.EVALUATE,
                    "达标评价",
                    str(year),
                    f"{year}年度组织生活达标与党费评价",
                    "",
                    after=result.stats,
                )
            ],
        )
    return result
