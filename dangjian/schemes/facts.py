"""Loading what the C5 scoring rules need, set-based: a scheme's items and weights, and for a
whole set of organizations at once their scores, accepted self-checks, compliance months and
raters' scores. A fixed number of queries whatever the number of organizations or items;
nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from dangjian.compliance.models import BranchYear, SubtreeYear
from dangjian.orgs.models import Organization
from dangjian.schemes.choices import SelfCheckState
from dangjian.schemes.models import (
    ItemScore,
    RaterGroup,
    RaterScore,
    Scheme,
    SchemeItem,
    SelfCheck,
)
from dangjian.schemes.scoring import ComplianceFacts, Explanation, ItemSpec, OrgFacts, explain

MONTHS = range(1, 13)


def item_spec(item: SchemeItem) -> ItemSpec:
    """An item row as the scoring rules see it."""
    return ItemSpec(
        id=item.pk,
        parent_id=item.parent_id,
        title=item.title,
        max_points=item.max_points,
        method=item.method,
        sources=frozenset(item.sources or ()),
        sort_order=item.sort_order,
    )


@dataclass(frozen=True)
class SchemeSpec:
    """A scheme's rules as data: its items and its rater groups' weights."""

    scheme: Scheme
    items: list[ItemSpec]
    weights: dict[str, Decimal]

    @property
    def has_compliance(self) -> bool:
        return any(i.method == "compliance" for i in self.items)

    def explain(self, facts: OrgFacts) -> Explanation:
        """One organization's explanation under this scheme (no query)."""
        return explain(self.items, self.weights, self.scheme.satisfaction_max, facts)


def load_spec(scheme: Scheme) -> SchemeSpec:
    """Two queries: the items, the rater groups."""
    items = [item_spec(i) for i in SchemeItem.objects.filter(scheme=scheme)]
    weights = dict(RaterGroup.objects.filter(scheme=scheme).values_list("kind", "weight"))
    return SchemeSpec(scheme, items, weights)


def covered_orgs(scheme: Scheme) -> QuerySet:
    """Active organizations whose category the scheme applies to (lazy: no query yet)."""
    categories = Scheme.categories.through.objects.filter(scheme_id=scheme.pk).values("category_id")
    return Organization.objects.filter(is_active=True, category_id__in=categories)


def _org_filter(orgs) -> dict:
    """A filter on organization_id by a queryset (as a subquery) or a list of ids."""
    if isinstance(orgs, QuerySet):
        return {"organization_id__in": orgs.order_by().values("pk")}
    return {"organization_id__in": list(orgs)}


def _compliance(year: int, orgs) -> dict[int, ComplianceFacts]:
    """Own judged months where the organization was judged (a branch); otherwise the
    branch-months of its subtree. Two queries."""
    where = _org_filter(orgs)
    found: dict[int, ComplianceFacts] = {}
    subtree_fields = [f"a{m}" for m in MONTHS] + [f"c{m}" for m in MONTHS]
    for row in SubtreeYear.objects.filter(year=year, **where).values_list(
        "organization_id", *subtree_fields
    ):
        judged, met = sum(row[1:13]), sum(row[13:25])
        if judged:
            found[row[0]] = ComplianceFacts(met=met, judged=judged, basis="subtree")
    for org_id, applicable, met_mask in BranchYear.objects.filter(
        year=year, applicable_mask__gt=0, **where
    ).values_list("organization_id", "applicable_mask", "met_mask"):
        found[org_id] = ComplianceFacts(
            met=(met_mask & applicable).bit_count(), judged=applicable.bit_count()
        )
    return found


def load_facts(spec: SchemeSpec, orgs) -> dict[int, OrgFacts]:
    """OrgFacts for every organization in `orgs` (a queryset or ids) that has any: scores
    (1 query), accepted self-checks (1), compliance (2, only with compliance items), raters'
    scores summed per group in the database (1)."""
    scheme = spec.scheme
    where = _org_filter(orgs)
    facts: dict[int, OrgFacts] = {}

    def of(org_id: int) -> OrgFacts:
        if org_id not in facts:
            facts[org_id] = OrgFacts()
        return facts[org_id]

    for item_id, org_id, source, score in (
        ItemScore.objects.filter(scheme=scheme, **where)
        .order_by()
        .values_list("item_id", "organization_id", "source", "score")
        .iterator(5000)
    ):
        of(org_id).scores.setdefault(item_id, {})[source] = score
    for org_id in SelfCheck.objects.filter(
        scheme=scheme, state=SelfCheckState.ACCEPTED, **where
    ).values_list("organization_id", flat=True):
        of(org_id).self_check_accepted = True
    if spec.has_compliance:
        for org_id, compliance in _compliance(scheme.year, orgs).items():
            of(org_id).compliance = compliance
    for org_id, kind, total, count in (
        RaterScore.objects.filter(scheme=scheme, **where)
        .order_by()
        .values("organization_id", "group__kind")
        .annotate(total=Sum("score"), count=Count("id"))
        .values_list("organization_id", "group__kind", "total", "count")
    ):
        of(org_id).ratings[kind] = (Decimal(total), count)
    return facts


def explain_orgs(spec: SchemeSpec, org_ids: list[int], orgs=None) -> dict[int, Explanation]:
    """The explanation of every organization in `org_ids`; `orgs` (a queryset of the same
    organizations) lets the loads use a subquery instead of a long list of ids."""
    facts = load_facts(spec, orgs if orgs is not None else org_ids)
    return {org_id: spec.explain(facts.get(org_id, OrgFacts())) for org_id in org_ids}


def explain_org(scheme: Scheme, org: Organization) -> Explanation:
    """One organization's explanation under a scheme (a fixed number of queries)."""
    return explain_orgs(load_spec(scheme), [org.pk])[org.pk]
