"""Reads of the leader dashboard (SPEC C16). Every figure comes from a rollup: the tree's
subtree totals (organizations and members), compliance SubtreeYear rows (达标率), the
dashboard's own SubtreeResults and SubtreeOpenItems (dues arrears, classes, grades, class flow,
rectifications, overdue problems) and the rating app's monthly OrgMonth rows (satisfaction,
complaint cases); never from raw meetings, dues, results, ledgers or ratings. Each function runs
a fixed number of queries whatever the size of the subtree; the caller passes an organization
already inside the user's scope, and every read below stays inside that organization's subtree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, Sum, When
from django.db.models.functions import Coalesce

from dangjian.assessment.choices import Grade
from dangjian.assessment.models import AssessmentRun
from dangjian.assessment.selectors import CLASSES, FLOW_ROWS, ClassFlow
from dangjian.compliance.models import ComplianceRun, MonthRate
from dangjian.core.periods import Month
from dangjian.dashboard import sql
from dangjian.dashboard.models import RollupState, SubtreeOpenItems, SubtreeResults
from dangjian.dashboard.rollups import STATE
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization
from dangjian.rating.models import OrgMonth
from dangjian.rating.selectors import RatedCounts

CHILDREN_LIMIT = 200  # a very wide node shows its first children (by tree order) only
GRANDCHILDREN_LIMIT = 400  # the outer ring of the subtree map (past it, sectors are slivers)
MONTHS = range(1, 13)
CLASS_COLUMNS = dict(
    zip(CLASSES, ("advanced", "ordinary", "backward", "unclassified"), strict=True)
)
GRADE_COLUMNS = dict(zip(Grade.values, ("good", "fairly_good", "fair", "poor"), strict=True))


# --- organizations and members --------------------------------------------------------------


@dataclass(frozen=True)
class TreeCounts:
    """Subtree totals of one organization (C1 rollups)."""

    organizations: int  # active organizations below it
    branches: int  # active branches below it (the organization itself when it is a branch)
    members: int
    probationary: int

    @property
    def formal(self) -> int:
        return self.members - self.probationary


def tree_counts(org: Organization) -> TreeCounts:
    """The stored subtree totals of `org`, as read with it (no query)."""
    branches = org.subtree_branches
    if org.org_type in BRANCH_TYPES and org.is_active:
        branches += 1  # a branch's own dashboard counts itself
    return TreeCounts(org.subtree_orgs, branches, org.subtree_members, org.subtree_probationary)


def children_of(org: Organization) -> list[Organization]:
    """Active direct children in tree order, capped for very wide nodes (one query)."""
    return list(
        Organization.objects.filter(parent=org, is_active=True).order_by("path")[:CHILDREN_LIMIT]
    )


@dataclass(frozen=True)
class MapNode:
    """A grandchild on the subtree map: read as a tuple, not a model (hundreds per page)."""

    id: int
    name: str
    parent_id: int
    members: int


def grandchildren_of(children: list[Organization]) -> list[MapNode]:
    """Active children of the children, in tree order, capped (one query, none for leaves)."""
    parents = [c.pk for c in children if c.numchild]
    if not parents:
        return []
    rows = (
        Organization.objects.filter(parent_id__in=parents, is_active=True)
        .order_by("path")
        .values_list("id", "name", "parent_id", "subtree_members")[:GRANDCHILDREN_LIMIT]
    )
    return [MapNode(*row) for row in rows]


def breadcrumbs(org: Organization, scope_path: str) -> list[Organization]:
    """The chain from the user's scope root down to `org`'s parent (one query)."""
    step = Organization.steplen
    prefixes = [org.path[:i] for i in range(len(scope_path), len(org.path), step)]
    if not prefixes:
        return []
    return list(Organization.objects.filter(path__in=prefixes).order_by("depth"))


# --- compliance (C2) ------------------------------------------------------------------------


@dataclass
class ComplianceSummary:
    """达标率 of a subtree for one year: each month's counts, the latest judged month and the
    year to date, plus each child's (and grandchild's) year to date."""

    year: int
    judged_through: int
    months: list[MonthRate | None]
    children: dict[int, MonthRate] = field(default_factory=dict)

    @property
    def judged(self) -> range:
        return range(1, self.judged_through + 1)

    @property
    def latest(self) -> tuple[int, MonthRate] | None:
        """The last judged month that had a rule applied, with its counts."""
        for month in reversed(self.judged):
            if self.months[month - 1] is not None:
                return month, self.months[month - 1]
        return None

    @property
    def year_to_date(self) -> MonthRate:
        found = [self.months[m - 1] for m in self.judged if self.months[m - 1] is not None]
        return MonthRate(sum(r.applicable for r in found), sum(r.compliant for r in found))

    @property
    def trend(self) -> list[float | None]:
        """Each judged month's 达标率 in percent (None when no rule applied or not judged)."""
        judged = self.judged_through
        return [
            round(r.rate * 100, 1) if m <= judged and r and r.rate is not None else None
            for m, r in zip(MONTHS, self.months, strict=True)
        ]

    def percent_of(self, org_id: int) -> float | None:
        rate = self.children.get(org_id)
        return round(rate.rate * 100, 1) if rate and rate.rate is not None else None


def compliance_run(today: dt.date) -> ComplianceRun | None:
    """The newest evaluated year up to this one (one query)."""
    return ComplianceRun.objects.filter(year__lte=today.year).order_by("-year").first()


def subtree_months(year: int, ids: list[int]) -> dict[int, tuple[list[int], list[int]]]:
    """Per organization with a judged branch in its subtree: branches judged and compliant
    in each month. SubtreeYear rows of organizations with children, the BranchYear masks of
    leaves (as compliance.selectors.subtree_years, but read as tuples: two queries for
    hundreds of organizations without building a model for each)."""
    found: dict[int, tuple[list[int], list[int]]] = {}
    for org_id, *values in sql.subtree_month_rows(year, ids):
        found[org_id] = (values[:12], values[12:])
    leaves = [i for i in ids if i not in found]
    for org_id, applicable, met in sql.leaf_masks(year, leaves):
        found[org_id] = (
            [(applicable >> (m - 1)) & 1 for m in MONTHS],
            [(applicable & met) >> (m - 1) & 1 for m in MONTHS],
        )
    return found


def compliance_summary(
    run: ComplianceRun | None, org: Organization, below: list[int]
) -> ComplianceSummary | None:
    """The subtree's months and the year to date of each organization of `below` (ids):
    two queries."""
    if run is None:
        return None
    rows = subtree_months(run.year, [org.pk, *below])
    judged = run.judged_through
    applicable, compliant = rows.get(org.pk, ([0] * 12, [0] * 12))
    return ComplianceSummary(
        year=run.year,
        judged_through=judged,
        months=[MonthRate(a, c) if a else None for a, c in zip(applicable, compliant, strict=True)],
        children={
            org_id: MonthRate(sum(a[:judged]), sum(c[:judged]))
            for org_id, (a, c) in rows.items()
            if org_id != org.pk
        },
    )


# --- stored results and open items (C2, C5, C7 through the dashboard rollups) ----------------


@dataclass(frozen=True)
class Arrears:
    """Members in dues arrears in a subtree and how many organizations have any."""

    members: int
    organizations: int


@dataclass
class AssessmentSummary:
    """The latest evaluated year of a subtree: classes, grades, the flow from the year before,
    and each child's own final score."""

    year: int
    classes: dict[str, int]
    grades: dict[str, int]
    flow: ClassFlow | None
    child_scores: dict[int, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.classes["total"]

    @property
    def flow_rows(self) -> list[tuple[str, list[tuple[str, int]], int]]:
        """(last year's class, [(this year's class, count)], row total), for the table."""
        if not self.flow:
            return []
        return [
            (prev, list(zip(CLASSES, cells, strict=True)), t) for prev, cells, t in self.flow.rows
        ]


@dataclass(frozen=True)
class OpenItems:
    """Rectification ledgers of a subtree by state, and their problems open and overdue."""

    by_state: dict[str, int]
    problems_open: int
    overdue_problems: int
    as_of: dt.date | None

    @property
    def open(self) -> int:
        return self.by_state["整顿中"]


NO_OPEN_ITEMS = OpenItems({"整顿中": 0, "已转化": 0, "巩固": 0}, 0, 0, None)


def _class_counts(row: SubtreeResults | None) -> dict[str, int]:
    """The shape of assessment.selectors.class_counts, from a rollup row."""
    counts = {name: getattr(row, column, 0) if row else 0 for name, column in CLASS_COLUMNS.items()}
    counts["weak"] = row.weak if row else 0
    counts["total"] = row.assessed if row else 0
    return counts


def _flow(row: SubtreeResults | None, before: SubtreeResults | None) -> ClassFlow:
    cells = {}
    if row:
        for p, prev in enumerate(FLOW_ROWS):
            for c, now in enumerate(CLASSES):
                if n := getattr(row, f"f{p}{c}"):
                    cells[(prev, now)] = n
    return ClassFlow(cells, _class_counts(row), _class_counts(before))


def assessment_years() -> list[int]:
    """The two newest evaluated assessment years (one query)."""
    return list(AssessmentRun.objects.order_by("-year").values_list("year", flat=True)[:2])


def results_rows(ids: list[int], years: set[int]) -> dict[tuple[int, int], SubtreeResults]:
    """SubtreeResults of these organizations in these years, by (organization, year)."""
    if not years:
        return {}
    return {
        (r.organization_id, r.year): r
        for r in SubtreeResults.objects.filter(organization_id__in=ids, year__in=sorted(years))
    }


def open_rows(ids: list[int]) -> dict[int, SubtreeOpenItems]:
    return {r.organization_id: r for r in SubtreeOpenItems.objects.filter(organization_id__in=ids)}


def dues_arrears(run: ComplianceRun | None, row: SubtreeResults | None) -> Arrears | None:
    if run is None:
        return None
    return Arrears(row.dues_arrears, row.arrears_orgs) if row else Arrears(0, 0)


def assessment_summary(
    years: list[int], rows: dict, org: Organization, children: list[Organization]
) -> AssessmentSummary | None:
    """Classes, grades and flow from the rollup rows; the children's own final scores (one
    query: stored results of the children only, bounded by CHILDREN_LIMIT)."""
    from dangjian.assessment.models import AssessmentResult

    if not years:
        return None
    year = years[0]
    row = rows.get((org.pk, year))
    grades = {g: getattr(row, column, 0) if row else 0 for g, column in GRADE_COLUMNS.items()}
    flow = None
    if len(years) > 1 and years[1] == year - 1:
        flow = _flow(row, rows.get((org.pk, year - 1)))
    scores = dict(
        AssessmentResult.objects.filter(year=year, organization__in=[c.pk for c in children])
        .order_by()
        .values_list("organization_id", "final_score")
    )
    return AssessmentSummary(
        year, _class_counts(row), grades, flow, {k: float(v) for k, v in scores.items()}
    )


def open_items(row: SubtreeOpenItems | None) -> OpenItems:
    if row is None:
        return NO_OPEN_ITEMS
    return OpenItems(
        {"整顿中": row.rect_open, "已转化": row.rect_transformed, "巩固": row.rect_consolidated},
        row.problems_open,
        row.problems_overdue,
        row.as_of,
    )


# --- public rating (C8) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Satisfaction(RatedCounts):
    """Counted ratings of a subtree and the satisfied among them (满意 and 非常满意), with the
    complaint cases still open and those overdue (as of the rating rollups' last refresh)."""

    ratings: int = 0
    satisfied: int = 0
    score_sum: int = 0
    month_ratings: int = 0
    month_satisfied: int = 0
    open_cases: int = 0
    overdue_cases: int = 0

    @property
    def month_rate(self) -> float | None:
        return self.month_satisfied / self.month_ratings if self.month_ratings else None

    @property
    def percent(self) -> float | None:
        return round(self.rate * 100, 1) if self.rate is not None else None


@dataclass
class RatingSummary:
    """The dashboard's 群众满意度与投诉 figures (C8): the subtree's year and month, each child's,
    and the subtree's satisfaction by month of the chart's year."""

    year: int
    month: int
    total: Satisfaction
    children: dict[int, Satisfaction]
    trend: list[float | None]

    @property
    def satisfaction(self) -> float | None:
        return self.total.rate

    @property
    def open_complaints(self) -> int:
        return self.total.open_cases


def _sum_if(column: str, condition: Q):
    return Coalesce(
        Sum(Case(When(condition, then=column), default=0, output_field=IntegerField())), 0
    )


def rating_summary(
    org: Organization, children: list[Organization], today: dt.date, chart_year: int
) -> RatingSummary | None:
    """Satisfaction and complaint cases of the subtree and of each child, from the rating
    app's subtree OrgMonth rows (two queries: one GROUP BY organization over every month,
    and the subtree's months of the chart's year). None when nothing was ever rated."""
    this_month = Month.of(today).first_day
    rows = sql.satisfaction_rows(
        [org.pk, *(c.pk for c in children)], dt.date(today.year, 1, 1), this_month
    )
    by_org = {org_id: Satisfaction(*(int(v or 0) for v in values)) for org_id, *values in rows}
    if org.pk not in by_org:
        return None
    months = {
        m.month.month: m
        for m in OrgMonth.objects.filter(
            subtree=True,
            organization=org,
            month__gte=dt.date(chart_year, 1, 1),
            month__lte=dt.date(chart_year, 12, 1),
        ).only("month", "ratings", "s4", "s5")
    }
    trend = [
        round(months[m].satisfied_rate * 100, 1)
        if m in months and months[m].ratings and dt.date(chart_year, m, 1) <= this_month
        else None
        for m in MONTHS
    ]
    return RatingSummary(today.year, today.month, by_org[org.pk], by_org, trend)


# --- rankings, the children's table and the subtree map --------------------------------------


@dataclass
class ChildRow:
    """One child of the current organization on the dashboard, with its subtree's figures."""

    org: Organization
    rate: MonthRate | None
    score: float | None
    arrears: int = 0
    open_items: OpenItems = NO_OPEN_ITEMS
    satisfaction: Satisfaction | None = None

    @property
    def is_branch(self) -> bool:
        return self.org.org_type in BRANCH_TYPES

    @property
    def rate_percent(self) -> float | None:
        return round(self.rate.rate * 100, 1) if self.rate and self.rate.rate is not None else None

    @property
    def satisfaction_percent(self) -> float | None:
        return self.satisfaction.percent if self.satisfaction else None


def child_rows(
    children: list[Organization],
    compliance: ComplianceSummary | None,
    assessment: AssessmentSummary | None,
    results: dict,
    opens: dict,
    rating: RatingSummary | None,
) -> list[ChildRow]:
    """Each child with its year-to-date 达标率, final score, arrears, open items and
    satisfaction (no query)."""
    rates = compliance.children if compliance else {}
    scores = assessment.child_scores if assessment else {}
    year = compliance.year if compliance else None
    rows = []
    for c in children:
        found = results.get((c.pk, year))
        rows.append(
            ChildRow(
                c,
                rates.get(c.pk),
                scores.get(c.pk),
                found.dues_arrears if found else 0,
                open_items(opens.get(c.pk)),
                rating.children.get(c.pk) if rating else None,
            )
        )
    return rows


def by_rate(rows: list[ChildRow]) -> list[ChildRow]:
    """Best 达标率 first; children without a judged branch left out."""
    rated = [r for r in rows if r.rate_percent is not None]
    return sorted(rated, key=lambda r: (-r.rate.rate, r.org.path))


def by_score(rows: list[ChildRow]) -> list[ChildRow]:
    """Highest final score first; children without a result are left out."""
    scored = [r for r in rows if r.score is not None]
    return sorted(scored, key=lambda r: (-r.score, r.org.path))


def by_satisfaction(rows: list[ChildRow]) -> list[ChildRow]:
    """Highest share of satisfied ratings this year first; children without ratings left out."""
    rated = [r for r in rows if r.satisfaction_percent is not None]
    return sorted(rated, key=lambda r: (-r.satisfaction.rate, r.org.path))


# --- the whole screen -----------------------------------------------------------------------


@dataclass
class Dashboard:
    org: Organization
    counts: TreeCounts
    children: list[ChildRow]
    grandchildren: list[MapNode]
    compliance: ComplianceSummary | None
    arrears: Arrears | None
    assessment: AssessmentSummary | None
    rectification: OpenItems
    rating: RatingSummary | None
    computed_at: dt.datetime | None = None  # when the 达标率 shown were computed
    refreshed_at: dt.datetime | None = None  # when the rollups were last rewritten whole

    @property
    def rate_ranking(self) -> list[ChildRow]:
        return by_rate(self.children)

    @property
    def score_ranking(self) -> list[ChildRow]:
        return by_score(self.children)

    @property
    def satisfaction_ranking(self) -> list[ChildRow]:
        return by_satisfaction(self.children)

    @property
    def overdue_items(self) -> int:
        """Problems past their deadline and complaint cases past theirs (逾期事项)."""
        cases = self.rating.total.overdue_cases if self.rating else 0
        return self.rectification.overdue_problems + cases


def dashboard_for(user, org: Organization, today: dt.date) -> Dashboard:
    """Everything the dashboard of `org` shows (at most 15 queries, whatever the size)."""
    children = children_of(org)
    grandchildren = grandchildren_of(children)
    run = compliance_run(today)
    below = [*(c.pk for c in children), *(g.id for g in grandchildren)]
    compliance = compliance_summary(run, org, below)
    years = assessment_years()
    wanted = {run.year} if run else set()
    if years:
        wanted |= {years[0], years[0] - 1}
    ids = [org.pk, *(c.pk for c in children)]
    results = results_rows(ids, wanted)
    opens = open_rows(ids)
    assessment = assessment_summary(years, results, org, children)
    rating = rating_summary(org, children, today, run.year if run else today.year)
    state = RollupState.objects.filter(name=STATE).first()
    return Dashboard(
        org=org,
        counts=tree_counts(org),
        children=child_rows(children, compliance, assessment, results, opens, rating),
        grandchildren=grandchildren,
        compliance=compliance,
        arrears=dues_arrears(run, results.get((org.pk, run.year)) if run else None),
        assessment=assessment,
        rectification=open_items(opens.get(org.pk)),
        rating=rating,
        computed_at=run.computed_at if run else None,
        refreshed_at=state.refreshed_at if state else None,
    )
