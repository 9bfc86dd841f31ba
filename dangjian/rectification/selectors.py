"""Reads of rectification ledgers for pages, API and exports (C7). Every queryset starts from
`visible_to(user)` or `in_subtree(org)` of an organization already checked against the scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from dangjian.assessment.models import AssessmentResult, AssessmentRun
from dangjian.rectification.choices import LeaderKind, State
from dangjian.rectification.models import Leader, Problem, ProgressEntry, Rectification


@dataclass(frozen=True)
class Filters:
    """Filters of the list page, its export and the API list."""

    year: int | None = None
    state: str = ""
    overdue: bool = False

    @classmethod
    def from_params(cls, params) -> Filters:
        try:
            year = int(params.get("year") or 0)
        except (TypeError, ValueError):
            year = 0
        state = params.get("state", "")
        return cls(
            year=year if 2000 <= year <= 2200 else None,
            state=state if state in State.values else "",
            overdue=params.get("overdue") in ("1", "true"),
        )

    def query(self, **extra) -> str:
        """The filters as a query string (for links that keep them)."""
        parts = {
            "year": self.year or "",
            "state": self.state,
            "overdue": "1" if self.overdue else "",
        }
        parts.update(extra)
        return "&".join(f"{k}={v}" for k, v in parts.items() if v not in ("", None))


def evaluated_years() -> list[int]:
    """Years with an assessment run (the only years a ledger can be opened for), newest first."""
    return list(AssessmentRun.objects.order_by("-year").values_list("year", flat=True))


def in_scope(org, filters: Filters, today: dt.date, *, with_state: bool = True):
    """Rectifications of `org`'s subtree matching `filters` (the state filter left out when
    `with_state` is False, for the counts per state)."""
    qs = Rectification.objects.in_subtree(org).in_year(filters.year)
    if with_state:
        qs = qs.in_state(filters.state)
    if filters.overdue:
        qs = qs.with_overdue(today)
    return qs


def listing(org, filters: Filters, today: dt.date):
    """The list page's rows: with their organization and counts, newest year first, then by
    position in the tree."""
    return (
        in_scope(org, filters, today)
        .select_related("organization")
        .with_counts(today)
        .order_by("-year", "organization__path", "id")
    )


def state_counts(org, filters: Filters, today: dt.date) -> dict[str, int]:
    """How many rectifications are in each state (one GROUP BY), every state present."""
    found = dict(
        in_scope(org, filters, today, with_state=False)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    return {state: found.get(state, 0) for state in State.values}


@dataclass(frozen=True)
class SubtreeSummary:
    """Ledgers of a subtree by state, and their problems past the deadline, counted live (the
    monthly bulletin states them as of its making; the dashboard reads its rollup instead)."""

    by_state: dict[str, int]
    overdue_problems: int

    @property
    def open(self) -> int:
        return self.by_state[State.IN_PROGRESS]


def subtree_summary(org, today: dt.date) -> SubtreeSummary:
    """Two queries: the ledgers by state (every year), and the overdue problems."""
    counts = state_counts(org, Filters(), today)
    overdue = Problem.objects.in_subtree(org).overdue(today).order_by().count()
    return SubtreeSummary(counts, overdue)


def known_total(counts: dict[str, int], filters: Filters) -> int:
    """The number of rows of the listing, from the counts already read."""
    return counts[filters.state] if filters.state else sum(counts.values())


@dataclass
class Detail:
    """Everything the detail page shows of one rectification."""

    rect: Rectification
    problems: list[Problem]
    leaders: dict[str, list[Leader]]
    progress: list[ProgressEntry]
    current_result: AssessmentResult | None
    overdue: int

    @property
    def solved(self) -> int:
        return sum(1 for p in self.problems if p.done)

    @property
    def leader_list(self) -> list[Leader]:
        return [leader for group in self.leaders.values() for leader in group]


def detail(rect: Rectification, today: dt.date) -> Detail:
    """Problems, leaders grouped by kind (in the seed's order), progress newest first, and the
    current assessment result of the year (None when a later run no longer lists the org)."""
    problems = list(rect.problems.all())
    for p in problems:
        p.overdue = p.is_overdue(today)
    leaders: dict[str, list[Leader]] = {kind: [] for kind in LeaderKind.values}
    for leader in rect.leaders.all():
        leaders[leader.kind].append(leader)
    current = AssessmentResult.objects.filter(
        year=rect.year, organization_id=rect.organization_id
    ).first()
    return Detail(
        rect=rect,
        problems=problems,
        leaders=leaders,
        progress=list(rect.progress.all()),
        current_result=current,
        overdue=sum(1 for p in problems if p.is_overdue(today)),
    )


def export_details(rects):
    """Problems and progress of the exported rectifications (`rects`, a queryset), for the
    second and third sheets: two queries with a subquery, whatever the number of rows."""
    ids = rects.order_by().values("pk")
    problems = Problem.objects.filter(rectification__in=ids).order_by("rectification_id", "id")
    progress = ProgressEntry.objects.filter(rectification__in=ids).order_by(
        "rectification_id", "happened_on", "id"
    )
    return problems, progress
