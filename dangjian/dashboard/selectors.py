"""Reads of the leader dashboard (SPEC C16): every figure comes from a rollup or a stored
result (organization subtree totals, compliance SubtreeYear/BranchYear, assessment results,
rectification ledgers), never from raw meetings or dues rows. Each function runs a fixed number
of queries whatever the size of the subtree; the caller passes an organization already inside
the user's scope, and every read below stays inside that organization's subtree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from dangjian.assessment import selectors as assessment_selectors
from dangjian.assessment.choices import Grade
from dangjian.assessment.models import AssessmentResult, AssessmentRun
from dangjian.compliance import selectors as compliance_selectors
from dangjian.compliance.models import BranchYear, ComplianceRun, MonthRate
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization
from dangjian.rectification.choices import State
from dangjian.rectification.models import Problem, Rectification

CHILDREN_LIMIT = 200  # a very wide node shows its first children (by tree order) only
MONTHS = range(1, 13)


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
    """The stored subtree totals of `org` (one query by primary key, so the figures are fresh)."""
    orgs, branches, members, probationary = (
        Organization.objects.filter(pk=org.pk)
        .values_list("subtree_orgs", "subtree_branches", "subtree_members", "subtree_probationary")
        .get()
    )
    if org.org_type in BRANCH_TYPES and org.is_active:
        branches += 1  # a branch's own dashboard counts itself
    return TreeCounts(orgs, branches, members, probationary)


def children_of(org: Organization) -> list[Organization]:
    """Active direct children in tree order, capped for very wide nodes (one query)."""
    return list(
        Organization.objects.filter(parent=org, is_active=True).order_by("path")[:CHILDREN_LIMIT]
    )


def breadcrumbs(org: Organization, scope_path: str) -> list[Organization]:
    """The chain from the user's scope root down to `org`'s parent (one query)."""
    step = Organization.steplen
    prefixes = [org.path[:i] for i in range(len(scope_path), len(org.path), step)]
    return list(Organization.objects.filter(path__in=prefixes).order_by("depth"))


# --- compliance (C2) ------------------------------------------------------------------------


@dataclass
class ComplianceSummary:
    """达标率 of a subtree for one year: each month's counts, the latest judged month and the
    year to date, plus each child's year to date."""

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


def compliance_run(today: dt.date) -> ComplianceRun | None:
    """The newest evaluated year up to this one (one query)."""
    return ComplianceRun.objects.filter(year__lte=today.year).order_by("-year").first()


def compliance_summary(
    run: ComplianceRun | None, org: Organization, children: list[Organization]
) -> ComplianceSummary | None:
    """The subtree's months and each child's year to date, from SubtreeYear rows (and the
    BranchYear of leaves): two queries."""
    if run is None:
        return None
    ids = [org.pk] + [c.pk for c in children]
    rows = compliance_selectors.subtree_years(run.year, ids)
    judged = range(1, run.judged_through + 1)
    own = rows.get(org.pk)
    return ComplianceSummary(
        year=run.year,
        judged_through=run.judged_through,
        months=own.months if own else [None] * 12,
        children={c.pk: rows[c.pk].over(judged) for c in children if c.pk in rows},
    )


@dataclass(frozen=True)
class Arrears:
    """Members in dues arrears in a subtree and how many organizations have any."""

    members: int
    organizations: int


def dues_arrears(run: ComplianceRun | None, org: Organization) -> Arrears | None:
    """From the year's BranchYear results of the subtree (one aggregate query)."""
    if run is None:
        return None
    found = (
        BranchYear.objects.in_subtree(org)
        .filter(year=run.year)
        .order_by()
        .aggregate(members=Sum("dues_arrears"), orgs=Count("id", filter=Q(dues_arrears__gt=0)))
    )
    return Arrears(found["members"] or 0, found["orgs"])


# --- assessment (C5, C7) --------------------------------------------------------------------


@dataclass
class AssessmentSummary:
    """The latest evaluated year of a subtree: classes, grades, the flow from the year before,
    and each child's own final score."""

    year: int
    classes: dict[str, int]
    grades: dict[str, int]
    flow: assessment_selectors.ClassFlow | None
    child_scores: dict[int, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.classes["total"]


def assessment_summary(
    user, org: Organization, children: list[Organization]
) -> AssessmentSummary | None:
    """Six queries at most: the runs, class counts, grade counts, the children's scores, and
    the class flow (two) when the year before was evaluated too."""
    years = list(AssessmentRun.objects.order_by("-year").values_list("year", flat=True)[:2])
    if not years:
        return None
    year = years[0]
    results = AssessmentResult.objects.in_subtree(org).filter(year=year)
    classes = assessment_selectors.class_counts(results)
    found = dict(results.order_by().values_list("grade").annotate(n=Count("id")))
    grades = {grade: found.get(grade, 0) for grade in Grade.values}
    flow = None
    if len(years) > 1 and years[1] == year - 1:
        flow = assessment_selectors.class_flow(user, org, year, classes)
    scores = dict(
        AssessmentResult.objects.filter(year=year, organization__in=[c.pk for c in children])
        .order_by()
        .values_list("organization_id", "final_score")
    )
    return AssessmentSummary(year, classes, grades, flow, {k: float(v) for k, v in scores.items()})


# --- rectification (C7) ---------------------------------------------------------------------


@dataclass(frozen=True)
class RectificationSummary:
    """Ledgers of a subtree by state, and the open problems past their deadline."""

    by_state: dict[str, int]
    overdue_problems: int

    @property
    def open(self) -> int:
        return self.by_state[State.IN_PROGRESS]


def rectification_summary(org: Organization, today: dt.date) -> RectificationSummary:
    """Two queries: a GROUP BY state, and a count of overdue problems."""
    found = dict(
        Rectification.objects.in_subtree(org)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    overdue = Problem.objects.in_subtree(org).overdue(today).order_by().count()
    return RectificationSummary({s: found.get(s, 0) for s in State.values}, overdue)


# --- public rating (C8) ---------------------------------------------------------------------


@dataclass(frozen=True)
class RatingSummary:
    """What the dashboard's 群众满意度与投诉 section shows (C8, C9)."""

    satisfaction: float | None  # share of satisfied ratings, 0..1
    ratings: int
    open_complaints: int


def rating_summary(org: Organization) -> RatingSummary | None:
    """Satisfaction of public ratings and open complaint cases of the subtree (C8, C9).

    The public rating app is not part of this code base yet: there are no figures, so this
    returns None and the dashboard leaves the section out. Wiring it means reading that app's
    stored results for `org`'s subtree here, in a fixed number of queries."""
    return None


# --- rankings and treemap -------------------------------------------------------------------


@dataclass
class ChildRow:
    """One child of the current organization on the dashboard."""

    org: Organization
    rate: MonthRate | None
    score: float | None

    @property
    def is_branch(self) -> bool:
        return self.org.org_type in BRANCH_TYPES

    @property
    def rate_percent(self) -> float | None:
        return round(self.rate.rate * 100, 1) if self.rate and self.rate.rate is not None else None


def child_rows(
    children: list[Organization],
    compliance: ComplianceSummary | None,
    assessment: AssessmentSummary | None,
) -> list[ChildRow]:
    """Each child with its year-to-date 达标率 and its final score (no query)."""
    rates = compliance.children if compliance else {}
    scores = assessment.child_scores if assessment else {}
    return [ChildRow(c, rates.get(c.pk), scores.get(c.pk)) for c in children]


def by_rate(rows: list[ChildRow]) -> list[ChildRow]:
    """Best 达标率 first; children without a judged branch last (by tree order)."""
    rated = [r for r in rows if r.rate_percent is not None]
    return sorted(rated, key=lambda r: (-r.rate.rate, r.org.path))


def by_score(rows: list[ChildRow]) -> list[ChildRow]:
    """Highest final score first; children without a result are left out."""
    scored = [r for r in rows if r.score is not None]
    return sorted(scored, key=lambda r: (-r.score, r.org.path))


# --- the whole screen -----------------------------------------------------------------------


@dataclass
class Dashboard:
    org: Organization
    counts: TreeCounts
    children: list[ChildRow]
    compliance: ComplianceSummary | None
    arrears: Arrears | None
    assessment: AssessmentSummary | None
    rectification: RectificationSummary
    rating: RatingSummary | None
    computed_at: dt.datetime | None = None  # when the 达标率 shown were computed

    @property
    def rate_ranking(self) -> list[ChildRow]:
        return by_rate(self.children)

    @property
    def score_ranking(self) -> list[ChildRow]:
        return by_score(self.children)


def dashboard_for(user, org: Organization, today: dt.date) -> Dashboard:
    """Everything the dashboard of `org` shows (at most 14 queries, whatever the size)."""
    children = children_of(org)
    run = compliance_run(today)
    compliance = compliance_summary(run, org, children)
    assessment = assessment_summary(user, org, children)
    return Dashboard(
        org=org,
        counts=tree_counts(org),
        children=child_rows(children, compliance, assessment),
        compliance=compliance,
        arrears=dues_arrears(run, org),
        assessment=assessment,
        rectification=rectification_summary(org, today),
        rating=rating_summary(org),
        computed_at=run.computed_at if run else None,
    )
