"""Reads of C5 schemes for pages, the API and exports: schemes with their item trees, one
organization's scores, and the organizations of a scheme with their progress. Each is a
fixed number of queries (no query per item or per organization)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from dangjian.assessment.models import AssessmentRecord
from dangjian.orgs.models import Category, Organization
from dangjian.schemes.choices import SelfCheckState, Source
from dangjian.schemes.facts import covered_orgs, item_spec
from dangjian.schemes.models import (
    ItemScore,
    RaterGroup,
    RaterScore,
    Scheme,
    SchemeItem,
    SelfCheck,
)
from dangjian.schemes.scoring import tree_order


@dataclass
class ItemRow:
    """An item in tree order, with its depth, outline number (1, 1.2, …) and leafness."""

    item: SchemeItem
    depth: int
    number: str
    is_leaf: bool


def item_rows(scheme: Scheme) -> list[ItemRow]:
    """The scheme's items depth-first (one query)."""
    items = {i.pk: i for i in SchemeItem.objects.filter(scheme=scheme)}
    parents = {i.parent_id for i in items.values()}
    rows: list[ItemRow] = []
    counters: list[int] = []
    for spec, depth in tree_order([item_spec(i) for i in items.values()]):
        del counters[depth + 1 :]
        if len(counters) <= depth:
            counters.append(0)
        counters[depth] += 1
        rows.append(
            ItemRow(
                item=items[spec.id],
                depth=depth,
                number=".".join(str(n) for n in counters[: depth + 1]),
                is_leaf=spec.id not in parents,
            )
        )
    return rows


def schemes_for(user, year: int | None = None):
    """Schemes a user may read, newest year first, with their categories (2 queries when
    evaluated) and item counts."""
    items = (
        SchemeItem.objects.filter(scheme=OuterRef("pk"))
        .order_by()
        .values("scheme")
        .annotate(n=Count("id"))
        .values("n")
    )
    qs = (
        Scheme.objects.visible_to(user)
        .annotate(item_count=Coalesce(Subquery(items, output_field=IntegerField()), Value(0)))
        .prefetch_related(Prefetch("categories", queryset=Category.objects.order_by("sort_order")))
    )
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "name", "id")


def scheme_years(user) -> list[int]:
    """Years that have a scheme, newest first."""
    return list(
        Scheme.objects.visible_to(user).order_by("-year").values_list("year", flat=True).distinct()
    )


def applies_to(scheme: Scheme, org: Organization) -> bool:
    """True when `org` is active and of a category the scheme covers."""
    return org.is_active and scheme.categories.filter(pk=org.category_id).exists()


def own_schemes(org: Organization | None):
    """Published schemes that apply to an organization (a secretary's own)."""
    if org is None:
        return Scheme.objects.none()
    return Scheme.objects.published().filter(categories=org.category_id).order_by("-year", "name")


def weights_of(scheme: Scheme) -> list[RaterGroup]:
    """The scheme's rater groups in their fixed order."""
    return list(RaterGroup.objects.filter(scheme=scheme).order_by("id"))


def scores_of(scheme: Scheme, org: Organization) -> dict[int, dict[str, ItemScore]]:
    """One organization's scores: item id → source → score (one query)."""
    found: dict[int, dict[str, ItemScore]] = {}
    for score in ItemScore.objects.filter(scheme=scheme, organization=org):
        found.setdefault(score.item_id, {})[score.source] = score
    return found


def ratings_of(scheme: Scheme, org: Organization) -> dict[str, list[RaterScore]]:
    """One organization's raters' scores by rater group kind (one query)."""
    found: dict[str, list[RaterScore]] = {}
    for rating in (
        RaterScore.objects.filter(scheme=scheme, organization=org)
        .select_related("group")
        .order_by("group_id", "rater")
    ):
        found.setdefault(rating.group.kind, []).append(rating)
    return found


def self_check_of(scheme: Scheme, org: Organization) -> SelfCheck | None:
    """The organization's self-check under the scheme, if it started one."""
    return SelfCheck.objects.filter(scheme=scheme, organization=org).first()


def _count(model, scheme: Scheme, **filters) -> Coalesce:
    rows = (
        model.objects.filter(scheme=scheme, organization=OuterRef("pk"), **filters)
        .order_by()
        .values("organization")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def progress(scheme: Scheme, user, *, under: Organization | None = None, state: str = ""):
    """Organizations of the scheme inside the user's scope (and under `under`), each with its
    self-check state, how many scores each source gave, raters' scores, and the 党建得分
    stored for the year: one query (subqueries), whatever the number of rows."""
    orgs = covered_orgs(scheme).visible_to(user)
    if under is not None:
        orgs = orgs.filter(path__startswith=under.path)
    self_state = SelfCheck.objects.filter(scheme=scheme, organization=OuterRef("pk")).values(
        "state"
    )[:1]
    stored = AssessmentRecord.objects.filter(year=scheme.year, organization=OuterRef("pk")).values(
        "party_score"
    )[:1]
    orgs = orgs.annotate(
        self_state=Subquery(self_state),
        self_scores=_count(ItemScore, scheme, source=Source.SELF),
        spot_scores=_count(ItemScore, scheme, source=Source.SPOT),
        year_end_scores=_count(ItemScore, scheme, source=Source.YEAR_END),
        ratings=_count(RaterScore, scheme),
        stored_score=Subquery(stored),
    ).select_related("category")
    if state == "none":
        orgs = orgs.filter(self_state__isnull=True)
    elif state in SelfCheckState.values:
        orgs = orgs.filter(self_state=state)
    return orgs.order_by("path")


def self_check_counts(scheme: Scheme, user) -> dict[str, int]:
    """Self-checks in the user's scope by state (one query)."""
    rows = (
        SelfCheck.objects.visible_to(user)
        .filter(scheme=scheme)
        .order_by()
        .values("state")
        .annotate(n=Count("id"))
    )
    return {r["state"]: r["n"] for r in rows}


def stored_score(scheme: Scheme, org: Organization):
    """The 党建得分 stored in the organization's assessment record of the scheme's year."""
    return (
        AssessmentRecord.objects.filter(year=scheme.year, organization=org)
        .values_list("party_score", flat=True)
        .first()
    )
