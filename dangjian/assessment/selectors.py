"""Reads of stored assessment results for pages, API and exports (SPEC C5, C7): a year's
results in a subtree with filters and last year's rank and class beside them, the class
counts and the class-flow matrix, peer-group labels, one organization's peer group, and the
what-if comparison. Every queryset starts from `visible_to(user)`."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db.models import (
    CharField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangjian.assessment.choices import Grade, Standing
from dangjian.assessment.models import (
    AssessmentRecord,
    AssessmentResult,
    AssessmentRules,
    AssessmentRun,
)
from dangjian.assessment.rules import DEFAULT_RULES, RuleSet, rules_for_year

UNCLASSIFIED = "未分类"  # a result whose peer group was too small to classify
NEW = "新"  # no result the year before
CLASSES = (*Standing.values, UNCLASSIFIED)
FLOW_ROWS = (*CLASSES, NEW)


# --- years and runs -------------------------------------------------------------------------


def runs_by_year() -> dict[int, AssessmentRun]:
    """Every evaluated year's run (one small row a year), newest first."""
    return {run.year: run for run in AssessmentRun.objects.order_by("-year")}


def chosen_year(value, runs: dict[int, AssessmentRun], today: dt.date | None = None) -> int:
    """?year= when it is a sensible year, else the latest evaluated year, else this year."""
    today = today or timezone.localdate()
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = 0
    if 2000 <= year <= today.year:
        return year
    return next(iter(runs), today.year)


def year_options(runs: dict[int, AssessmentRun], year: int, today: dt.date | None = None):
    """Years to offer in a selector: this year and the five before, evaluated years, `year`."""
    today = today or timezone.localdate()
    years = {*range(today.year - 5, today.year + 1), *runs, year}
    return sorted(years, reverse=True)


def records_changed_since(year: int, run: AssessmentRun | None) -> bool:
    """True when a record of the year was saved after the year's last run (results stale)."""
    if run is None:
        return False
    return AssessmentRecord.objects.filter(year=year, updated_at__gt=run.computed_at).exists()


def records_of(user, year: int, text: str = ""):
    """The year's 考核得分 in scope, optionally of organizations matching a code or name."""
    rows = AssessmentRecord.objects.visible_to(user).filter(year=year)
    if text:
        rows = rows.filter(
            Q(organization__code__istartswith=text) | Q(organization__name__icontains=text)
        )
    return rows.select_related("organization").order_by("organization__path")


# --- results of a subtree --------------------------------------------------------------------


@dataclass(frozen=True)
class ResultFilters:
    """Filters of the results page and its export (values are the Chinese terms)."""

    standing: str = ""  # 先进/一般/后进/未分类
    grade: str = ""
    weak: bool = False
    previous: str = ""  # last year's class (先进/一般/后进/未分类/新), from the flow matrix

    @classmethod
    def from_params(cls, params) -> ResultFilters:
        def pick(name, allowed):
            value = params.get(name, "")
            return value if value in allowed else ""

        return cls(
            standing=pick("standing", CLASSES),
            grade=pick("grade", Grade.values),
            weak=params.get("weak") == "1",
            previous=pick("prev", FLOW_ROWS),
        )

    @property
    def active(self) -> bool:
        return bool(self.standing or self.grade or self.weak or self.previous)

    def query(self) -> str:
        """The filters as a query string fragment (for links that keep them)."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("standing", self.standing),
                ("grade", self.grade),
                ("weak", "1" if self.weak else ""),
                ("prev", self.previous),
            )
            if value
        ]
        return "&".join(parts)


def results_of(user, org, year: int):
    """The year's results of `org`'s subtree, inside the user's scope."""
    return AssessmentResult.objects.visible_to(user).in_subtree(org).filter(year=year)


def with_previous(qs, year: int):
    """Annotate last year's overall rank (`previous_rank`) and class (`previous_class`:
    先进/一般/后进/未分类, or 新 without a result last year), one subquery each."""
    previous = AssessmentResult.objects.filter(
        year=year - 1, organization=OuterRef("organization")
    ).order_by()
    klass = previous.annotate(
        klass=Coalesce("standing", Value(UNCLASSIFIED), output_field=CharField())
    ).values("klass")[:1]
    return qs.annotate(
        previous_rank=Subquery(previous.values("overall_rank")[:1]),
        previous_class=Coalesce(Subquery(klass), Value(NEW), output_field=CharField()),
    ).annotate(
        # positive: moved up (a smaller rank number than last year)
        rank_change=ExpressionWrapper(
            F("previous_rank") - F("overall_rank"), output_field=IntegerField()
        )
    )


def filtered(qs, filters: ResultFilters):
    """Apply the page's filters (`previous` needs `with_previous` first)."""
    if filters.standing == UNCLASSIFIED:
        qs = qs.filter(standing__isnull=True)
    elif filters.standing:
        qs = qs.filter(standing=filters.standing)
    if filters.grade:
        qs = qs.filter(grade=filters.grade)
    if filters.weak:
        qs = qs.filter(weak_lax=True)
    if filters.previous:
        qs = qs.filter(previous_class=filters.previous)
    return qs


def result_rows(user, org, year: int, filters: ResultFilters):
    """The filtered results with last year's rank and class, by overall rank."""
    qs = with_previous(results_of(user, org, year), year)
    return (
        filtered(qs, filters)
        .select_related("organization")
        .order_by("overall_rank", "organization_id")
    )


_COUNT_ALIASES = {"advanced": "先进", "ordinary": "一般", "backward": "后进"}


def class_counts(qs) -> dict[str, int]:
    """Counts per class (先进/一般/后进/未分类), of 软弱涣散 (`weak`) and in total (`total`),
    in one aggregate query."""
    found = qs.order_by().aggregate(
        total=Count("id"),
        unclassified=Count("id", filter=Q(standing__isnull=True)),
        weak=Count("id", filter=Q(weak_lax=True)),
        **{alias: Count("id", filter=Q(standing=s)) for alias, s in _COUNT_ALIASES.items()},
    )
    counts = {s: found[alias] for alias, s in _COUNT_ALIASES.items()}
    counts[UNCLASSIFIED] = found["unclassified"]
    counts["weak"], counts["total"] = found["weak"], found["total"]
    return counts


@dataclass
class ClassFlow:
    """Last year's class (rows) against this year's (columns) for a subtree's results."""

    cells: dict[tuple[str, str], int]
    this_year: dict[str, int]
    last_year: dict[str, int]

    @property
    def rows(self) -> list[tuple[str, list[int], int]]:
        return [
            (prev, [self.cells.get((prev, now), 0) for now in CLASSES], self.row_total(prev))
            for prev in FLOW_ROWS
            if self.row_total(prev)
        ]

    def row_total(self, prev: str) -> int:
        return sum(self.cells.get((prev, now), 0) for now in CLASSES)

    @property
    def column_totals(self) -> list[int]:
        return [sum(n for (_p, now), n in self.cells.items() if now == c) for c in CLASSES]


def class_flow(user, org, year: int, this_year: dict[str, int]) -> ClassFlow:
    """The flow matrix (one GROUP BY) and last year's class counts (one aggregate)."""
    rows = (
        with_previous(results_of(user, org, year), year)
        .order_by()
        .values("previous_class", "standing")
        .annotate(n=Count("id"))
    )
    cells = {(r["previous_class"], r["standing"] or UNCLASSIFIED): r["n"] for r in rows}
    return ClassFlow(cells, this_year, class_counts(results_of(user, org, year - 1)))


# --- rules ---------------------------------------------------------------------------------


def rules_of_run(run: AssessmentRun | None, year: int) -> RuleSet:
    """The rule set a stored run used (kept with the run as text), else the year's rules."""
    if run is None or not run.rules:
        return rules_for_year(year)
    values = {}
    for name, default in asdict(DEFAULT_RULES).items():
        raw = run.rules.get(name, default)
        values[name] = type(default)(raw) if not isinstance(default, str) else str(raw)
    return RuleSet(**values)


def default_rules() -> RuleSet:
    """The rule set of every year without its own (the row with year null, else §6)."""
    row = AssessmentRules.objects.filter(year=None).first()
    return row.as_rule_set() if row else DEFAULT_RULES


# --- labels and peer groups ------------------------------------------------------------------


def _peer_parts(key: str) -> dict[str, int | None]:
    parts = {}
    for part in key.split("/"):
        kind, _, ident = part.partition(":")
        parts[kind] = int(ident) if ident.isdigit() else None
    return parts


def peer_group_labels(keys) -> dict[str, str]:
    """A readable name per peer-group key ("parent:12" → the parent's name; by category the
    category's name), in one query per kind of key."""
    from dangjian.orgs.models import Category, Organization

    parsed = {key: _peer_parts(key) for key in set(keys)}
    parent_ids = {p["parent"] for p in parsed.values() if p.get("parent")}
    category_ids = {p["category"] for p in parsed.values() if p.get("category")}
    parents = (
        dict(Organization.objects.filter(pk__in=parent_ids).values_list("pk", "name"))
        if parent_ids
        else {}
    )
    categories = (
        dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name"))
        if category_ids
        else {}
    )
    labels = {}
    for key, parts in parsed.items():
        names = []
        if "parent" in parts:
            names.append(parents.get(parts["parent"], "（无上级组织）"))
        if "category" in parts:
            names.append(categories.get(parts["category"], "（未分类别）"))
        labels[key] = " · ".join(names) or key
    return labels


@dataclass
class PeerGroup:
    """One organization's peer group as the user may see it."""

    label: str
    members: list[AssessmentResult]
    hidden: int  # members outside the user's scope (counted, not shown)


def peer_group_of(user, result: AssessmentResult) -> PeerGroup:
    members = list(
        AssessmentResult.objects.visible_to(user)
        .filter(year=result.year, peer_group=result.peer_group)
        .select_related("organization")
        .order_by("group_rank", "organization_id")
    )
    label = peer_group_labels([result.peer_group])[result.peer_group]
    return PeerGroup(label, members, max(result.group_size - len(members), 0))


# --- what-if ---------------------------------------------------------------------------------


@dataclass
class Change:
    """An organization whose grade, class or 软弱涣散 would differ under other rules."""

    org_id: int
    name: str
    before: AssessmentResult | None
    after: object  # engine.Outcome
    fields: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    changes: list[Change]
    compared: int  # organizations in scope with a stored or a what-if result
    counts: dict[str, int]  # changed grade / class / weak_lax
    before: dict[str, int]
    after: dict[str, int]


def _class(standing) -> str:
    return standing or UNCLASSIFIED


def compare_outcomes(user, year: int, outcomes: dict) -> Comparison:
    """The stored results in scope against a what-if evaluation's outcomes: who would change
    grade, class or 软弱涣散. Two reads bounded by the scope: the stored results and the
    year's records (an organization scored after the last run has a record but no result)."""
    stored = {
        r.organization_id: r
        for r in AssessmentResult.objects.visible_to(user)
        .filter(year=year)
        .select_related("organization")
        .only(
            "organization_id",
            "organization__name",
            "organization__path",
            "final_score",
            "grade",
            "standing",
            "weak_lax",
        )
    }
    orgs = {r.organization_id: (r.organization.path, r.organization.name) for r in stored.values()}
    orgs.update(
        (org_id, (path, name))
        for org_id, path, name in AssessmentRecord.objects.visible_to(user)
        .filter(year=year)
        .values_list("organization_id", "organization__path", "organization__name")
    )
    counts = {"grade": 0, "class": 0, "weak": 0}
    before = dict.fromkeys((*CLASSES, "weak"), 0)
    after = dict.fromkeys((*CLASSES, "weak"), 0)
    changes = []
    for org_id in sorted(orgs, key=lambda i: orgs[i]):
        old, new = stored.get(org_id), outcomes.get(org_id)
        if old is not None:
            before[_class(old.standing)] += 1
            before["weak"] += bool(old.weak_lax)
        if new is not None:
            after[_class(new.standing)] += 1
            after["weak"] += bool(new.weak_lax)
        differs = []
        if (old and old.grade) != (new and new.grade):
            differs.append("grade")
        if (old and _class(old.standing)) != (new and _class(new.standing)):
            differs.append("class")
        if bool(old and old.weak_lax) != bool(new and new.weak_lax):
            differs.append("weak")
        for name in differs:
            counts[name] += 1
        if differs:
            changes.append(Change(org_id, orgs[org_id][1], old, new, differs))
    return Comparison(changes, len(orgs), counts, before, after)


def scheme_of(org, year: int):
    """The published assessment scheme of `year` for `org`'s category (its items explain the
    party score), or None."""
    from dangjian.schemes.models import Scheme

    return Scheme.objects.published().filter(year=year, categories=org.category_id).first()
