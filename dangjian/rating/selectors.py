"""Reads of C8 for pages, API and exports. Every queryset starts from `in_subtree(org)` of an
organization already checked against the user's scope (or `visible_to(user)`); each read is a
fixed number of queries whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q

from dangjian.core.periods import Month
from dangjian.orgs.models import Organization
from dangjian.rating.choices import OWED_STATES, SCORE_LABELS, CaseState, TargetKind
from dangjian.rating.models import Case, OrgMonth, RatedTarget, Rating, TargetMonth

# --- filters -------------------------------------------------------------------------------


def _month(text) -> dt.date | None:
    try:
        value = dt.date.fromisoformat(f"{str(text).strip()}-01")
    except (TypeError, ValueError):
        return None
    return value if 2000 <= value.year <= 2200 else None


def _query(parts: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in parts.items() if v not in ("", None, False))


@dataclass(frozen=True)
class TargetFilters:
    q: str = ""
    kind: str = ""
    inactive: bool = False

    @classmethod
    def from_params(cls, params) -> TargetFilters:
        kind = params.get("kind", "")
        return cls(
            q=str(params.get("q", "")).strip()[:50],
            kind=kind if kind in TargetKind.values else "",
            inactive=params.get("inactive") in ("1", "true"),
        )

    def query(self) -> str:
        return _query({"q": self.q, "kind": self.kind, "inactive": "1" if self.inactive else ""})


@dataclass(frozen=True)
class RatingFilters:
    target: int | None = None
    score: int | None = None
    month: dt.date | None = None
    with_comment: bool = False

    @classmethod
    def from_params(cls, params) -> RatingFilters:
        target = str(params.get("target", ""))
        score = str(params.get("score", ""))
        return cls(
            target=int(target) if target.isdigit() and len(target) < 12 else None,
            score=int(score) if score in ("1", "2", "3", "4", "5") else None,
            month=_month(params.get("month")) if params.get("month") else None,
            with_comment=params.get("comment") in ("1", "true"),
        )

    def query(self) -> str:
        return _query(
            {
                "target": self.target or "",
                "score": self.score or "",
                "month": f"{self.month:%Y-%m}" if self.month else "",
                "comment": "1" if self.with_comment else "",
            }
        )


@dataclass(frozen=True)
class CaseFilters:
    state: str = ""
    overdue: bool = False
    target: int | None = None

    @classmethod
    def from_params(cls, params) -> CaseFilters:
        state = params.get("state", "")
        target = str(params.get("target", ""))
        return cls(
            state=state if state in CaseState.values else "",
            overdue=params.get("overdue") in ("1", "true"),
            target=int(target) if target.isdigit() and len(target) < 12 else None,
        )

    def query(self, **extra) -> str:
        parts = {
            "state": self.state,
            "overdue": "1" if self.overdue else "",
            "target": self.target or "",
        }
        parts.update(extra)
        return _query(parts)


# --- targets -------------------------------------------------------------------------------


def targets(org: Organization, filters: TargetFilters):
    """Targets of `org`'s subtree, by position in the tree, with their organization."""
    qs = RatedTarget.objects.in_subtree(org).search(filters.q)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if not filters.inactive:
        qs = qs.active()
    return qs.select_related("organization").order_by("organization__path", "name", "id")


def month_figures(target_ids: list[int], month: dt.date) -> dict[int, TargetMonth]:
    """This month's rollup row of each target of a page (one query)."""
    return {
        row.target_id: row
        for row in TargetMonth.objects.filter(target_id__in=target_ids, month=month)
    }


# --- ratings -------------------------------------------------------------------------------


def ratings(org: Organization, filters: RatingFilters):
    """Ratings of `org`'s subtree, newest first, with their target and case."""
    qs = Rating.objects.in_subtree(org)
    if filters.target:
        qs = qs.filter(target_id=filters.target)
    if filters.score:
        qs = qs.filter(score=filters.score)
    if filters.month:
        qs = qs.filter(month=filters.month)
    if filters.with_comment:
        qs = qs.exclude(comment="")
    return qs.select_related("target", "case").order_by("-created_at", "-id")


# --- cases ---------------------------------------------------------------------------------


def cases(org: Organization, filters: CaseFilters, today: dt.date, *, with_state: bool = True):
    """Cases seen from `org`'s subtree (responsible department or target), overdue first."""
    qs = Case.objects.in_subtree(org)
    if with_state and filters.state:
        qs = qs.filter(state=filters.state)
    if filters.overdue:
        qs = qs.overdue(today)
    if filters.target:
        qs = qs.filter(target_id=filters.target)
    return qs


def case_listing(org: Organization, filters: CaseFilters, today: dt.date):
    return (
        cases(org, filters, today)
        .select_related("target", "organization", "rating")
        .urgent_first(today)
    )


def case_counts(org: Organization, filters: CaseFilters, today: dt.date) -> dict[str, int]:
    """Cases per state and overdue ones (one query), every state present."""
    found = cases(org, filters, today, with_state=False).aggregate(
        **{state: Count("pk", filter=Q(state=state)) for state in CaseState.values},
        overdue=Count("pk", filter=Q(state__in=OWED_STATES, deadline__lt=today)),
    )
    return {k: v or 0 for k, v in found.items()}


# --- satisfaction --------------------------------------------------------------------------


@dataclass
class Line:
    """One row of the satisfaction table: a label, its months and the year's totals."""

    label: str
    key: object
    months: list[object | None]
    total: Totals = field(default_factory=lambda: Totals())
    link: str = ""


class RatedCounts:
    """The satisfaction rate and average score of counted ratings, for any figures that hold
    `ratings`, `satisfied` (满意 and 非常满意) and `score_sum` (the dashboard, the 月通报)."""

    ratings: int
    satisfied: int
    score_sum: int

    @property
    def rate(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None

    @property
    def average(self) -> float | None:
        return self.score_sum / self.ratings if self.ratings else None


@dataclass
class Totals:
    """Sums of rollup rows (a year, a line)."""

    ratings: int = 0
    s1: int = 0
    s2: int = 0
    s3: int = 0
    s4: int = 0
    s5: int = 0
    score_sum: int = 0
    cases: int = 0
    open_cases: int = 0
    overdue_cases: int = 0

    def add(self, row) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(row, name))

    @property
    def satisfied_rate(self) -> float | None:
        return (self.s4 + self.s5) / self.ratings if self.ratings else None

    @property
    def average(self) -> float | None:
        return self.score_sum / self.ratings if self.ratings else None

    def levels(self) -> list[tuple[str, int]]:
        return [(SCORE_LABELS[s], getattr(self, f"s{s}")) for s in (5, 4, 3, 2, 1)]


def _line(label, key, rows, months: list[dt.date], link="") -> Line:
    by_month = {r.month: r for r in rows}
    line = Line(label, key, [by_month.get(m) for m in months], link=link)
    for row in rows:
        line.total.add(row)
    return line


@dataclass
class SatisfactionTable:
    """The satisfaction page: the subtree's year, one line per child organization (and one
    for the organization's own targets), one line per own target."""

    org: Organization
    year: int
    months: list[dt.date]
    total: Line
    children: list[Line]
    own: Line
    targets: list[Line]


def satisfaction(org: Organization, year: int) -> SatisfactionTable:
    """Five queries: the children, the own targets, subtree rows of the organization and its
    children, own rows of the organization, target rows of its own targets."""
    months = [Month(year, m).first_day for m in range(1, 13)]
    span = {"month__gte": months[0], "month__lte": months[-1]}
    children = list(org.children.filter(is_active=True).order_by("path").only("id", "name"))
    own_targets = list(
        RatedTarget.objects.filter(organization=org).order_by("name", "id").only("id", "name")
    )
    subtree_rows: dict[int, list[OrgMonth]] = {}
    for row in OrgMonth.objects.filter(
        subtree=True, organization_id__in=[org.pk, *(c.pk for c in children)], **span
    ):
        subtree_rows.setdefault(row.organization_id, []).append(row)
    own_rows = list(OrgMonth.objects.filter(subtree=False, organization=org, **span))
    target_rows: dict[int, list[TargetMonth]] = {}
    for row in TargetMonth.objects.filter(target_id__in=[t.pk for t in own_targets], **span):
        target_rows.setdefault(row.target_id, []).append(row)
    return SatisfactionTable(
        org=org,
        year=year,
        months=months,
        total=_line(f"{org.name}（合计）", org.pk, subtree_rows.get(org.pk, []), months),
        children=[_line(c.name, c.pk, subtree_rows.get(c.pk, []), months) for c in children],
        own=_line("本级评议对象", org.pk, own_rows, months),
        targets=[_line(t.name, t.pk, target_rows.get(t.pk, []), months) for t in own_targets],
    )


def rated_years(org: Organization) -> list[int]:
    """Years with rollup rows for the organization's subtree, newest first (one query)."""
    return sorted(
        {d.year for d in OrgMonth.objects.filter(organization=org).dates("month", "year")},
        reverse=True,
    )
