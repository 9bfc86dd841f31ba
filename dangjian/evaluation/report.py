"""The §5 evaluation file: per organization its monthly compliance, rules missed and dues
arrears (C2), and its 党建得分, final score, grade, class, 软弱涣散 flag and vetoes (C5, C7); per
subtree its monthly 达标率. Built from the stored results of both engines; score fields are null
for an organization without a 考核得分 row for the year, as §5 prescribes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path

from dangjian.assessment.models import AssessmentResult
from dangjian.compliance.models import BranchYear, RuleCheck, SubtreeYear
from dangjian.core.periods import month_bit
from dangjian.orgs.models import Organization

SCORE_FIELDS = ("party_score", "final_score", "grade", "class", "weak_lax")


@cache
def _statuses(applicable: int, met: int) -> tuple[bool | None, ...]:
    """Met / missed / not judged per month (few distinct mask pairs, so cached)."""
    return tuple(
        (bool(met & month_bit(m)) if applicable & month_bit(m) else None) for m in range(1, 13)
    )


def _compliance(applicable: int, met: int) -> list[bool | None]:
    return list(_statuses(applicable, met))


def _number(value: Decimal | None) -> float | None:
    """A two-place Decimal as a JSON number (87.35 prints as 87.35)."""
    return None if value is None else float(value)


def _scores(year: int) -> dict[int, dict]:
    """The assessment fields of every scored organization (stored AssessmentResult rows)."""
    rows = AssessmentResult.objects.filter(year=year).values_list(
        "organization_id", "party_score", "final_score", "grade", "standing", "weak_lax", "vetoes"
    )
    return {
        org_id: {
            "party_score": _number(party),
            "final_score": _number(final),
            "grade": grade,
            "class": standing,
            "weak_lax": weak_lax,
            "vetoes": vetoes,
        }
        for org_id, party, final, grade, standing, weak_lax, vetoes in rows.iterator(20000)
    }


def organization_entries(year: int) -> Iterator[dict]:
    years = {
        org_id: (applicable, met, arrears)
        for org_id, applicable, met, arrears in BranchYear.objects.filter(year=year)
        .values_list("organization_id", "applicable_mask", "met_mask", "dues_arrears")
        .iterator(20000)
    }
    missed: dict[int, list[dict]] = {}
    for org_id, label, kind, first, month, counted, required in (
        RuleCheck.objects.filter(year=year, pending=False)
        .order_by("organization_id", "check_month", "rule_code")
        .values_list(
            "organization_id",
            "rule_label",
            "activity_type",
            "first_month",
            "check_month",
            "counted",
            "required",
        )
        .iterator(20000)
    ):
        missed.setdefault(org_id, []).append(
            {
                "rule": label,
                "activity_type": kind,
                "month": month,
                "first_month": first,
                "counted": counted,
                "required": required,
            }
        )
    scores = _scores(year)
    for org_id, code in Organization.objects.values_list("id", "code").iterator(20000):
        applicable, met, arrears = years.get(org_id, (0, 0, 0))
        entry = {
            "org_code": code,
            "compliance": _compliance(applicable, met),
            "rules_missed": missed.get(org_id, []),
            "dues_arrears": arrears,
        }
        entry.update(scores.get(org_id) or {**dict.fromkeys(SCORE_FIELDS), "vetoes": []})
        yield entry


def _subtree_rates(year: int) -> dict[int, list[float | None]]:
    """达标率 of every organization's subtree per month: stored rows for organizations with
    children, a leaf's own months (1 or 0 of 1) from its branch-year masks."""
    columns = [*(f"a{m}" for m in range(1, 13)), *(f"c{m}" for m in range(1, 13))]
    rates: dict[int, list[float | None]] = {}
    for org_id, *counts in (
        SubtreeYear.objects.filter(year=year).values_list("organization_id", *columns)
    ).iterator(20000):
        pairs = zip(counts[:12], counts[12:], strict=True)
        rates[org_id] = [c / a if a else None for a, c in pairs]
    for org_id, applicable, met in (
        BranchYear.objects.filter(year=year, applicable_mask__gt=0)
        .values_list("organization_id", "applicable_mask", "met_mask")
        .iterator(20000)
    ):
        if org_id not in rates:
            rates[org_id] = [
                None if status is None else float(status) for status in _compliance(applicable, met)
            ]
    return rates


def subtree_entries(year: int) -> Iterator[dict]:
    rates = _subtree_rates(year)
    for org_id, code in Organization.objects.values_list("id", "code").iterator(20000):
        yield {"org_code": code, "compliance_rate": rates.get(org_id, [None] * 12)}


def write_report(year: int, path: Path) -> int:
    """Write the §5 JSON file; returns the number of organizations."""
    organizations = list(organization_entries(year))
    document = {
        "year": year,
        "organizations": organizations,
        "subtrees": list(subtree_entries(year)),
    }
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return len(organizations)
