"""The figures of each bulletin (SPEC C17), gathered set-based from stored results and rollups:
compliance (SubtreeYear, BranchYear, RuleCheck), dues facts (MemberYear), the satisfaction
rollups (OrgMonth), meetings of a week, assessment results and the scheme's items.

Every figure per child organization comes from one GROUP BY over the subtree, keyed by the
first step of the tree path below the organization (`Scope.key`), so a bulletin costs the
same fixed number of queries for a branch and for a province (tests/test_figures.py counts
them). Lists of names (branches that missed, branches idle this month, the report card's
rows) are capped at LIST_LIMIT, with the total beside them.

Nothing here writes; `services.py` renders and archives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Substr

from dangjian.assessment import selectors as assessment_selectors
from dangjian.assessment.choices import Grade
from dangjian.assessment.models import AssessmentRecord, AssessmentResult, AssessmentRun
from dangjian.compliance import selectors as compliance_selectors
from dangjian.compliance.models import BranchYear, ComplianceRun, MonthRate
from dangjian.core.errors import BusinessError
from dangjian.core.periods import Month, month_bit
from dangjian.dashboard import selectors as dashboard_selectors
from dangjian.ledger.models import Meeting, MemberYear
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization
from dangjian.orgs.querysets import is_jurisdiction_root
from dangjian.rating.models import OrgMonth
from dangjian.rating.selectors import RatedCounts
from dangjian.rectification import selectors as rectification_selectors
from dangjian.reports.periods import Period
from dangjian.reports.ranking import change_label, competition_ranks, exact_rate

LIST_LIMIT = 500  # names listed in a bulletin (the total is always given)
OWN = "本级"
OTHERS = "其他下级组织"
MONTHS = range(1, 13)


# --- the subtree and its children -------------------------------------------------------------


@dataclass
class Scope:
    """An organization and its direct children: every per-child figure is a GROUP BY on the
    child's path prefix, `key(path_field)`; rows of the organization itself fall under 本级."""

    org: Organization
    children: list[Organization]

    @property
    def key_length(self) -> int:
        return len(self.org.path) + Organization.steplen

    def key(self, path_field: str) -> Substr:
        """The child's path (or the organization's own, shorter) of a row's organization."""
        return Substr(path_field, 1, self.key_length)

    def within(self, qs, path_field: str):
        """`qs` restricted to the organization's subtree by `path_field`."""
        if is_jurisdiction_root(self.org.path):
            return qs
        return qs.filter(**{f"{path_field}__startswith": self.org.path})

    @cached_property
    def by_path(self) -> dict[str, Organization]:
        return {c.path: c for c in self.children}

    def label(self, key: str) -> str:
        """The child's name, 本级, or 其他下级组织 (a dissolved child, or one past the
        dashboard's cap on listed children)."""
        if key == self.org.path:
            return OWN
        child = self.by_path.get(key)
        return child.name if child else OTHERS

    def row(self, rows: dict, key: str, make):
        """The row of `rows` for a GROUP BY key (its label), made with `make(label)` the first
        time: several grouped reads add up into one row per child."""
        label = self.label(key)
        if label not in rows:
            rows[label] = make(label)
        return rows[label]


def scope_of(org: Organization) -> Scope:
    """The organization with its active children (one query; the dashboard's own read)."""
    return Scope(org, dashboard_selectors.children_of(org))


# --- compliance rows --------------------------------------------------------------------------


@dataclass
class RateRow:
    """One organization's subtree 达标率: the month, the month before, the year to date, and
    its rank among its siblings in the month and the month before."""

    name: str
    code: str
    month: MonthRate | None
    previous: MonthRate | None
    year_to_date: MonthRate | None
    rank: int | None = None
    previous_rank: int | None = None

    @property
    def rate(self) -> float | None:
        return self.month.rate if self.month else None

    @property
    def previous_rate(self) -> float | None:
        return self.previous.rate if self.previous else None

    @property
    def ytd_rate(self) -> float | None:
        return self.year_to_date.rate if self.year_to_date else None

    @property
    def missed(self) -> int | None:
        return self.month.applicable - self.month.compliant if self.month else None

    @property
    def change(self) -> str:
        return change_label(self.previous_rank, self.rank)


def _months_before(month: Month) -> Month:
    first = month.first_day - dt.timedelta(days=1)
    return Month(first.year, first.month)


def judged_run(month: Month) -> ComplianceRun | None:
    """The compliance run of the month's year if it has judged that month (one query)."""
    run = compliance_selectors.latest_run(month.year)
    return run if run is not None and run.judged_through >= month.month else None


def rate_rows(scope: Scope, month: Month) -> tuple[RateRow, list[RateRow], list[float | None]]:
    """The organization's own subtree row, its children ranked by the month's 达标率 (best
    first, then tree order; children without a judged branch last), and the organization's
    monthly trend up to the month in percent. Two queries, four in January (December of the
    year before gives the previous ranks)."""
    ids = [scope.org.pk] + [c.pk for c in scope.children]
    rows = compliance_selectors.subtree_years(month.year, ids)
    before = _months_before(month)
    before_rows = (
        rows if before.year == month.year else compliance_selectors.subtree_years(before.year, ids)
    )
    ytd_months = range(1, month.month + 1)

    def row_of(org: Organization) -> RateRow:
        year, last = rows.get(org.pk), before_rows.get(org.pk)
        return RateRow(
            name=org.name,
            code=org.code,
            month=year.month(month.month) if year else None,
            previous=last.month(before.month) if last else None,
            year_to_date=year.over(ytd_months) if year else None,
        )

    total = row_of(scope.org)
    children = [row_of(c) for c in scope.children]
    now = competition_ranks({i: exact_rate(r.month) for i, r in enumerate(children)})
    then = competition_ranks({i: exact_rate(r.previous) for i, r in enumerate(children)})
    for i, row in enumerate(children):
        row.rank, row.previous_rank = now.get(i), then.get(i)
    order = {id(r): i for i, r in enumerate(children)}
    children.sort(key=lambda r: (r.rank is None, r.rank or 0, order[id(r)]))
    own = rows.get(scope.org.pk)
    trend = [
        round(own.month(m).rate * 100, 1) if own and m <= month.month and own.month(m) else None
        for m in MONTHS
    ]
    return total, children, trend


@dataclass
class MissedBranch:
    """A branch that missed the month, with its parent and the rules it missed (their labels,
    and their activity types for the printed list)."""

    name: str
    code: str
    parent: str
    rules: list[str]
    activities: list[str] = field(default_factory=list)


def missed_branches(scope: Scope, month: Month) -> list[MissedBranch]:
    """Branches of the subtree not compliant in the month (tree order, at most LIST_LIMIT),
    with the rules they missed that closed in the month: two queries."""
    found = list(
        compliance_selectors.branches_in_month(month.year, scope.org, month.month, "missed")
        .select_related("organization__parent")
        .only(
            "organization_id",
            "organization__name",
            "organization__code",
            "organization__path",
            "organization__parent__name",
        )[:LIST_LIMIT]
    )
    misses = compliance_selectors.misses_by_org(
        month.year, [b.organization_id for b in found], month.month
    )
    return [
        MissedBranch(
            name=b.organization.name,
            code=b.organization.code,
            parent=b.organization.parent.name if b.organization.parent else "",
            rules=[c.rule_label for c in misses.get(b.organization_id, [])],
            activities=list(
                dict.fromkeys(c.activity_type for c in misses.get(b.organization_id, []))
            ),
        )
        for b in found
    ]


# --- dues ------------------------------------------------------------------------------------


@dataclass
class DuesRow:
    """Members whose dues count in the month, how many paid in full, and members in arrears
    (six or more consecutive unpaid months in the year so far, SPEC §6)."""

    label: str
    members: int = 0
    paid: int = 0
    arrears: int = 0

    @property
    def rate(self) -> float | None:
        return self.paid / self.members if self.members else None

    @property
    def unpaid(self) -> int:
        return self.members - self.paid


def dues_rows(scope: Scope, month: Month) -> tuple[list[DuesRow], DuesRow]:
    """Per child (and 本级): the month's dues from the members' facts (a member counts from the
    month after joining), arrears from the compliance results. Two GROUP BY queries."""
    bit = month_bit(month.month)
    facts = (
        scope.within(MemberYear.objects.all(), "member__organization__path")
        .filter(year=month.year, member__is_active=True, member__join_date__lt=month.first_day)
        .annotate(key=scope.key("member__organization__path"), paid_bit=F("paid_mask").bitand(bit))
        .order_by()
        .values("key")
        .annotate(members=Count("id"), paid=Count("id", filter=Q(paid_bit__gt=0)))
    )
    arrears = (
        BranchYear.objects.in_subtree(scope.org)
        .filter(year=month.year, dues_arrears__gt=0)
        .annotate(key=scope.key("organization__path"))
        .order_by()
        .values("key")
        .annotate(n=Sum("dues_arrears"))
    )
    rows: dict[str, DuesRow] = {}
    for found in facts:
        r = scope.row(rows, found["key"], DuesRow)
        r.members += found["members"]
        r.paid += found["paid"]
    for found in arrears:
        scope.row(rows, found["key"], DuesRow).arrears += found["n"]
    ordered = _in_scope_order(scope, rows)
    total = DuesRow(
        "合计",
        sum(r.members for r in ordered),
        sum(r.paid for r in ordered),
        sum(r.arrears for r in ordered),
    )
    return ordered, total


def _in_scope_order(scope: Scope, rows: dict) -> list:
    """Rows keyed by label in tree order: 本级 first, the children, then 其他下级组织."""
    labels = [OWN] + [c.name for c in scope.children] + [OTHERS]
    return [rows[label] for label in labels if label in rows]


# --- satisfaction and cases ------------------------------------------------------------------


@dataclass
class SatisfactionRow(RatedCounts):
    """Public ratings and complaint cases of the month (C8 rollups)."""

    label: str
    ratings: int = 0
    satisfied: int = 0
    score_sum: int = 0
    cases: int = 0
    open_cases: int = 0
    overdue_cases: int = 0

    @classmethod
    def of(cls, label: str, row: OrgMonth | None) -> SatisfactionRow:
        if row is None:
            return cls(label)
        return cls(
            label,
            row.ratings,
            row.satisfied,
            row.score_sum,
            row.cases,
            row.open_cases,
            row.overdue_cases,
        )


def satisfaction_rows(scope: Scope, month: Month) -> tuple[list[SatisfactionRow], SatisfactionRow]:
    """Each child's subtree and the organization's own targets in the month, and the whole
    subtree as the total: one query over the rollup rows."""
    ids = [c.pk for c in scope.children]
    found = OrgMonth.objects.filter(month=month.first_day).filter(
        Q(subtree=True, organization_id__in=[scope.org.pk, *ids])
        | Q(subtree=False, organization_id=scope.org.pk)
    )
    subtree, own = {}, None
    for row in found:
        if row.subtree:
            subtree[row.organization_id] = row
        else:
            own = row
    rows = [SatisfactionRow.of(OWN, own)] if own and own.ratings + own.cases else []
    rows += [SatisfactionRow.of(c.name, subtree.get(c.pk)) for c in scope.children]
    return rows, SatisfactionRow.of("合计", subtree.get(scope.org.pk))


# --- 月通报 -----------------------------------------------------------------------------------


@dataclass
class MonthlyFigures:
    """Everything a 月通报 shows (SPEC C17: compliance, dues, satisfaction, cases)."""

    org: Organization
    period: Period
    generated_on: dt.date
    run: ComplianceRun
    counts: dashboard_selectors.TreeCounts
    total: RateRow
    children: list[RateRow]
    trend: list[float | None]
    missed: list[MissedBranch]
    dues: list[DuesRow]
    dues_total: DuesRow
    satisfaction: list[SatisfactionRow]
    satisfaction_total: SatisfactionRow
    rectification: rectification_selectors.SubtreeSummary

    @property
    def missed_total(self) -> int:
        return self.total.missed or 0

    @property
    def missed_more(self) -> int:
        """Missed branches not listed by name (past LIST_LIMIT)."""
        return max(self.missed_total - len(self.missed), 0)


def monthly_figures(org: Organization, period: Period, today: dt.date) -> MonthlyFigures:
    """The 月通报 of `org`'s subtree for the month `period` (15 queries at most, whatever the
    size of the subtree). The month must have been judged by a compliance run."""
    month = period.month
    run = judged_run(month)
    if run is None:
        raise BusinessError(
            f"{period.label}的组织生活达标率尚未计算：请先在“达标率”页重新计算{month.year}年度，"
            f"再生成月通报",
            "period",
        )
    scope = scope_of(org)
    total, children, trend = rate_rows(scope, month)
    dues, dues_total = dues_rows(scope, month)
    satisfaction, satisfaction_total = satisfaction_rows(scope, month)
    return MonthlyFigures(
        org=org,
        period=period,
        generated_on=today,
        run=run,
        counts=dashboard_selectors.tree_counts(org),
        total=total,
        children=children,
        trend=trend,
        missed=missed_branches(scope, month) if total.missed else [],
        dues=dues,
        dues_total=dues_total,
        satisfaction=satisfaction,
        satisfaction_total=satisfaction_total,
        rectification=rectification_selectors.subtree_summary(org, today),
    )


# --- 周通报 -----------------------------------------------------------------------------------


@dataclass
class ActivityRow:
    """A child's organizational life: meetings held in the week and by how many branches, its
    branches, and those without any meeting so far in the month of the week."""

    label: str
    meetings: int = 0
    active_branches: int = 0
    branches: int = 0
    idle: int = 0


@dataclass
class IdleBranch:
    """A branch with no meeting so far in the month of the week, and its parent."""

    name: str
    code: str
    parent: str


@dataclass
class WeeklyFigures:
    """Everything a 周通报 shows: the latest judged month's ranking by 达标率, the week's
    meetings per child, and the branches still without organizational life this month."""

    org: Organization
    period: Period
    generated_on: dt.date
    run: ComplianceRun | None
    ranking_month: Month | None
    total: RateRow | None
    children: list[RateRow]
    trend: list[float | None]
    progress_start: dt.date
    progress_end: dt.date
    activity: list[ActivityRow]
    activity_total: ActivityRow
    idle: list[IdleBranch]

    @property
    def idle_more(self) -> int:
        """Idle branches not listed by name (past LIST_LIMIT)."""
        return max(self.activity_total.idle - len(self.idle), 0)


def ranking_month(period: Period) -> tuple[Month, ComplianceRun | None]:
    """The last month that ended by the week's Sunday, or the last one its year's compliance
    run has judged if that is earlier (one query); the run is None when nothing is judged."""
    end = period.end
    month = Month.of(end)
    if end != month.last_day:
        month = _months_before(month)
    run = compliance_selectors.latest_run(month.year)
    if run is not None and 1 <= run.judged_through < month.month:
        month = Month(month.year, run.judged_through)
    if run is None or run.judged_through < 1:
        return month, None
    return month, run


def activity_rows(
    scope: Scope, period: Period, start: dt.date, end: dt.date
) -> tuple[list[ActivityRow], ActivityRow, list[IdleBranch]]:
    """Per child: the week's meetings (one GROUP BY over the week's meetings), its active
    branches and those with no meeting between `start` and `end` (one GROUP BY with an EXISTS),
    and the idle branches by name (one query, at most LIST_LIMIT)."""
    week = (
        scope.within(Meeting.objects.all(), "organization__path")
        .filter(held_on__gte=period.start, held_on__lte=period.end)
        .annotate(key=scope.key("organization__path"))
        .order_by()
        .values("key")
        .annotate(n=Count("id"), branches=Count("organization_id", distinct=True))
    )
    held = Meeting.objects.filter(organization=OuterRef("pk"), held_on__gte=start, held_on__lte=end)
    branches = (
        Organization.objects.in_subtree(scope.org)
        .filter(org_type__in=BRANCH_TYPES, is_active=True)
        .annotate(held=Exists(held))
    )
    per_child = (
        branches.annotate(key=scope.key("path"))
        .order_by()
        .values("key")
        .annotate(n=Count("id"), idle=Count("id", filter=Q(held=False)))
    )
    rows: dict[str, ActivityRow] = {}
    for found in week:
        r = scope.row(rows, found["key"], ActivityRow)
        r.meetings += found["n"]
        r.active_branches += found["branches"]
    for found in per_child:
        r = scope.row(rows, found["key"], ActivityRow)
        r.branches += found["n"]
        r.idle += found["idle"]
    ordered = _in_scope_order(scope, rows)
    total = ActivityRow(
        "合计",
        meetings=sum(r.meetings for r in ordered),
        active_branches=sum(r.active_branches for r in ordered),
        branches=sum(r.branches for r in ordered),
        idle=sum(r.idle for r in ordered),
    )
    idle = [
        IdleBranch(b.name, b.code, b.parent.name if b.parent else "")
        for b in branches.filter(held=False)
        .select_related("parent")
        .only("name", "code", "path", "parent__name")
        .order_by("path")[:LIST_LIMIT]
    ]
    return ordered, total, idle


def weekly_figures(org: Organization, period: Period, today: dt.date) -> WeeklyFigures:
    """The 周通报 of `org`'s subtree for the week `period` (11 queries at most). Progress is
    counted in the month holding the week's Monday, from its first day to the week's end."""
    scope = scope_of(org)
    month, run = ranking_month(period)
    total, children, trend = rate_rows(scope, month) if run else (None, [], [None] * 12)
    start = period.start.replace(day=1)
    end = min(period.end, Month.of(period.start).last_day)
    activity, activity_total, idle = activity_rows(scope, period, start, end)
    return WeeklyFigures(
        org=org,
        period=period,
        generated_on=today,
        run=run,
        ranking_month=month if run else None,
        total=total,
        children=children,
        trend=trend,
        progress_start=start,
        progress_end=end,
        activity=activity,
        activity_total=activity_total,
        idle=idle,
    )


# --- 成绩单 -----------------------------------------------------------------------------------


@dataclass
class CardRow:
    """One organization's assessed year as a report card shows it."""

    name: str
    code: str
    depth: int
    party_score: Decimal
    economic_score: Decimal | None
    final_score: Decimal
    grade: str
    standing: str | None
    weak_lax: bool | None
    group_rank: int
    group_size: int
    overall_rank: int
    previous_rank: int | None
    review_grade: str
    talks: int | None
    peer_group: str = ""
    vetoes: list = field(default_factory=list)
    reasons: list = field(default_factory=list)

    @property
    def change(self) -> str:
        return change_label(self.previous_rank, self.overall_rank)

    @property
    def standing_label(self) -> str:
        return self.standing or assessment_selectors.UNCLASSIFIED


@dataclass
class ItemLine:
    """A line of the report card's items: a scheme item or a part of the final score."""

    title: str
    depth: int
    max_points: Decimal | None
    score: Decimal | None
    note: str = ""

    @property
    def indent(self) -> str:
        return "　" * self.depth


@dataclass
class ReportCardFigures:
    """Everything a 成绩单 shows: the organization's own card (grade, class, items with scores,
    ranks and the change against last year), its years so far, and its subtree's results."""

    org: Organization
    period: Period
    generated_on: dt.date
    run: AssessmentRun
    own: CardRow | None
    peer_label: str
    items: list[ItemLine]
    scheme_name: str
    history: list[tuple[int, Decimal, str, str | None, int]]
    rows: list[CardRow]
    rows_total: int
    classes: dict[str, int]
    grades: dict[str, int]

    @property
    def rows_more(self) -> int:
        """Assessed organizations of the subtree not listed (past LIST_LIMIT)."""
        return max(self.rows_total - len(self.rows), 0)

    @property
    def child_rows(self) -> list[CardRow]:
        """The direct children's cards (for the chart)."""
        return [r for r in self.rows if r.depth == self.org.depth + 1]


_CARD_FIELDS = (
    "organization__name",
    "organization__code",
    "organization__depth",
    "party_score",
    "economic_score",
    "final_score",
    "grade",
    "standing",
    "weak_lax",
    "group_rank",
    "group_size",
    "overall_rank",
    "previous_rank",
    "review_grade",
    "talks",
    "peer_group",
)


def _with_record(qs, year: int):
    """Annotate the year's 述职评议等次 and 约谈次数 from the organization's record."""
    record = AssessmentRecord.objects.filter(
        year=year, organization_id=OuterRef("organization_id")
    ).order_by()
    return qs.annotate(
        review_grade=Subquery(record.values("review_grade")[:1], output_field=CharField()),
        talks=Subquery(record.values("talks")[:1], output_field=IntegerField()),
    )


def _card(values: dict, **extra) -> CardRow:
    return CardRow(
        name=values["organization__name"],
        code=values["organization__code"],
        depth=values["organization__depth"],
        party_score=values["party_score"],
        economic_score=values["economic_score"],
        final_score=values["final_score"],
        grade=values["grade"],
        standing=values["standing"],
        weak_lax=values["weak_lax"],
        group_rank=values["group_rank"],
        group_size=values["group_size"],
        overall_rank=values["overall_rank"],
        previous_rank=values["previous_rank"],
        review_grade=values["review_grade"] or "",
        talks=values["talks"],
        peer_group=values["peer_group"],
        **extra,
    )


def scheme_items(org: Organization, year: int) -> tuple[str, list[ItemLine]]:
    """The items of the published scheme of the year for the organization's category, with
    the organization's scores (a fixed number of queries; none after the first without a
    scheme)."""
    from dangjian.schemes.facts import explain_org

    scheme = assessment_selectors.scheme_of(org, year)
    if scheme is None:
        return "", []
    explanation = explain_org(scheme, org)
    lines = [
        ItemLine(r.item.title, r.depth, r.item.max_points, r.signed, r.source_label)
        for r in explanation.items
    ]
    sat = explanation.satisfaction
    if sat.max_points:
        lines.append(ItemLine("满意度评价", 0, sat.max_points, sat.score, "评议群体加权"))
    lines.append(ItemLine("党建得分（按方案计算）", 0, None, explanation.party_score, ""))
    return str(scheme), lines


def report_card_figures(org: Organization, period: Period, today: dt.date) -> ReportCardFigures:
    """The 成绩单 of `org` for the year `period` (16 queries at most, whatever the size): its
    own card when it was assessed, and every assessed organization of its subtree by rank.
    The year must have been evaluated."""
    year = period.year
    run = AssessmentRun.objects.filter(year=year).first()
    if run is None:
        raise BusinessError(
            f"{year}年度尚未进行考核评价：请先在“考核”页计算{year}年度结果，再生成成绩单",
            "period",
        )
    results = AssessmentResult.objects.in_subtree(org).filter(year=year)
    cards = _with_record(assessment_selectors.with_previous(results, year), year)
    own_values = cards.filter(organization=org).values(*_CARD_FIELDS, "vetoes", "reasons").first()
    own = peer_label = None
    if own_values:
        own = _card(own_values, vetoes=own_values["vetoes"], reasons=own_values["reasons"])
        peer_label = assessment_selectors.peer_group_labels([own.peer_group])[own.peer_group]
    scheme_name, items = scheme_items(org, year)
    rows = [
        _card(values)
        for values in cards.exclude(organization=org)
        .order_by("overall_rank", "organization__path")
        .values(*_CARD_FIELDS)[:LIST_LIMIT]
    ]
    classes = assessment_selectors.class_counts(results)
    found = dict(results.order_by().values_list("grade").annotate(n=Count("id")))
    history = list(
        AssessmentResult.objects.filter(organization=org, year__lte=year)
        .order_by("year")
        .values_list("year", "final_score", "grade", "standing", "overall_rank")
    )
    return ReportCardFigures(
        org=org,
        period=period,
        generated_on=today,
        run=run,
        own=own,
        peer_label=peer_label or "",
        items=items,
        scheme_name=scheme_name,
        history=history,
        rows=rows,
        rows_total=classes["total"] - (1 if own else 0),
        classes=classes,
        grades={grade: found.get(grade, 0) for grade in Grade.values},
    )
