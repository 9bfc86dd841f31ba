"""Computing C5 党建得分: the published scheme that applies to an organization, the
organizations a user's computation covers, and the computation itself for one scheme or for
every published scheme of a year, written to the year's assessment records."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.roles import Perm
from dangjian.assessment import services as assessment_services
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization
from dangjian.schemes.choices import SchemeStatus
from dangjian.schemes.facts import covered_orgs, load_facts, load_spec
from dangjian.schemes.models import Scheme
from dangjian.schemes.scoring import OrgFacts

# --- 党建得分 ---------------------------------------------------------------------------------


@dataclass
class ComputeResult:
    """What a computation wrote: organizations scored, records changed, the scores."""

    scheme: Scheme
    organizations: int
    changed: int
    scores: dict[int, Decimal] = field(default_factory=dict)


def scheme_for(org: Organization, year: int) -> Scheme:
    """The published scheme of `year` that applies to `org`'s category."""
    scheme = Scheme.objects.published().filter(year=year, categories=org.category_id).first()
    if scheme is None:
        raise BusinessError(f"{year}年度没有适用于“{org.category}”类组织的已发布考核方案", "year")
    return scheme


def scoped_orgs(actor, scheme: Scheme):
    """Organizations the scheme applies to that `actor` assesses: inside their scope, their
    own organization excluded (评下不评己); all of them for the command line."""
    orgs = covered_orgs(scheme)
    if actor is None:
        return orgs
    return orgs.visible_to(actor).exclude(pk=actor.scope_id)


def _compute(actor, scheme: Scheme, *, strict: bool) -> ComputeResult:
    if scheme.status != SchemeStatus.PUBLISHED:
        raise BusinessError("方案尚未发布，不能计算党建得分", "status")
    if scheme.year > timezone.localdate().year:
        raise BusinessError(f"{scheme.year}年度尚未开始，不能计算党建得分", "year")
    if actor is not None and not actor.can(Perm.RECORD_ASSESSMENT):
        raise PermissionDenied("当前角色无权计算党建得分")
    with transaction.atomic():
        orgs = scoped_orgs(actor, scheme)
        ids = list(orgs.values_list("pk", flat=True))
        if not ids:
            if strict:
                raise BusinessError("管辖范围内没有适用本方案的下级组织", "scheme")
            return ComputeResult(scheme, 0, 0)
        spec = load_spec(scheme)
        facts = load_facts(spec, orgs)
        scores = {org_id: spec.explain(facts.get(org_id, OrgFacts())).party_score for org_id in ids}
        changed = assessment_services.set_party_scores(
            actor, scheme.year, scores, f"考核方案“{scheme.name}”"
        )
    return ComputeResult(scheme, len(ids), changed, scores)


def compute_party_scores(actor, scheme: Scheme) -> ComputeResult:
    """Compute every in-scope organization's 党建得分 under a published scheme and write it to
    the year's assessment records (assessment.services.set_party_scores, audited). A fixed
    number of queries, whatever the number of organizations and items."""
    return _compute(actor, scheme, strict=True)


def compute_year(actor, year: int) -> list[ComputeResult]:
    """Compute 党建得分 under every published scheme of a year (schemes with no organization
    in the actor's scope are skipped)."""
    schemes = list(Scheme.objects.published().filter(year=year).order_by("name"))
    if not schemes:
        raise BusinessError(f"{year}年度没有已发布的考核方案", "year")
    return [_compute(actor, s, strict=False) for s in schemes]
