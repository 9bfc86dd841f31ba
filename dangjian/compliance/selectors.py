"""Reads of stored compliance results for pages, API, reminders and exports (scoped)."""

from __future__ import annotations

from dataclasses import dataclass

from dangjian.compliance.models import BranchYear, ComplianceRun, MonthRate, RuleCheck, SubtreeYear
from dangjian.core.periods import month_bit


def latest_run(year: int) -> ComplianceRun | None:
    return ComplianceRun.objects.filter(year=year).first()


def subtree_years(year: int, org_ids) -> dict[int, SubtreeYear]:
    """Per organization (of those given) with a judged branch in its subtree: its subtree's
    counts. Organizations with children have a stored row; a leaf's come from its own
    BranchYear."""
    ids = list(org_ids)
    found = {
        row.organization_id: row
        for row in SubtreeYear.objects.filter(year=year, organization_id__in=ids)
    }
    leaves = BranchYear.objects.filter(
        year=year, organization_id__in=[i for i in ids if i not in found], applicable_mask__gt=0
    )
    found.update((b.organization_id, SubtreeYear.of_branch(b)) for b in leaves)
    return found


def subtree_rates(year: int, org_ids) -> dict[int, list[MonthRate | None]]:
    """Per organization, its 12 months of subtree counts (None where no branch had a rule)."""
    ids = list(org_ids)
    rates: dict[int, list[MonthRate | None]] = {i: [None] * 12 for i in ids}
    for org_id, row in subtree_years(year, ids).items():
        rates[org_id] = row.months
    return rates


@dataclass
class RankedOrg:
    org: object
    applicable: int
    compliant: int

    @property
    def rate(self) -> float | None:
        return self.compliant / self.applicable if self.applicable else None


def ranking(year: int, parent, months: list[int]) -> list[RankedOrg]:
    """The children of `parent` ranked by 达标率 over `months` (compliant branch-months over
    judged branch-months), best first; children with no judged branch come last."""
    from dangjian.orgs.models import Organization

    children = {o.id: o for o in Organization.objects.filter(parent=parent).order_by("path")}
    totals = {org_id: row.over(months) for org_id, row in subtree_years(year, children).items()}
    ranked = [
        RankedOrg(org, *((t.applicable, t.compliant) if (t := totals.get(org_id)) else (0, 0)))
        for org_id, org in children.items()
    ]
    ranked.sort(key=lambda r: (r.rate is None, -(r.rate or 0), r.org.path))
    return ranked


def branches_in_month(year: int, org, month: int, status: str | None):
    """Branch-years in `org`'s subtree judged in `month`, optionally only met/missed."""
    bit = month_bit(month)
    qs = (
        BranchYear.objects.in_subtree(org)
        .filter(year=year)
        .extra(where=["(applicable_mask & %s) <> 0"], params=[bit])
        .select_related("organization")
        .order_by("organization__path")
    )
    if status == "met":
        qs = qs.extra(where=["(met_mask & %s) <> 0"], params=[bit])
    elif status == "missed":
        qs = qs.extra(where=["(met_mask & %s) = 0"], params=[bit])
    return qs


def misses_by_org(year: int, org_ids, month: int | None = None) -> dict[int, list[RuleCheck]]:
    qs = RuleCheck.objects.filter(year=year, organization_id__in=list(org_ids), pending=False)
    if month is not None:
        qs = qs.filter(check_month=month)
    found: dict[int, list[RuleCheck]] = {}
    for check in qs:
        found.setdefault(check.organization_id, []).append(check)
    return found


def consecutive_missed(mask_missed: int, at_least: int) -> int:
    """Longest run of consecutive missed months, if ≥ at_least, else 0."""
    best = run = 0
    for m in range(1, 13):
        run = run + 1 if mask_missed & month_bit(m) else 0
        best = max(best, run)
    return best if best >= at_least else 0


def chronic_laggards(year: int, org, at_least: int = 3) -> list[tuple[BranchYear, int]]:
    """Branches in `org`'s subtree that missed `at_least` or more months in a row (月约谈)."""
    at_least = int(at_least)  # formatted into the SQL below: an integer, never text
    runs = " OR ".join(
        f"((applicable_mask & ~met_mask) & {((1 << at_least) - 1) << k}) = "
        f"{((1 << at_least) - 1) << k}"
        for k in range(0, 13 - at_least)
    )
    rows = (
        BranchYear.objects.in_subtree(org)
        .filter(year=year)
        .extra(where=[runs])
        .select_related("organization")
        .order_by("organization__path")
    )
    found = []
    for row in rows:
        length = consecutive_missed(row.applicable_mask & ~row.met_mask, at_least)
        if length:
            found.append((row, length))
    found.sort(key=lambda item: (-item[1], item[0].organization.path))
    return found


def owed_now(year: int, org):
    """Checks still owed in the periods in progress (日提醒), branch by branch."""
    return (
        RuleCheck.objects.in_subtree(org)
        .filter(year=year, pending=True)
        .select_related("organization")
        .order_by("organization__path", "check_month", "rule_code")
    )
