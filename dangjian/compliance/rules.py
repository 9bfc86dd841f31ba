"""Compliance rules as data (SPEC C2, §6): the defaults, the rules in force for a year, and
changing them for one year without touching other years."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from dangjian.accounts import audit
from dangjian.core.errors import BusinessError
from dangjian.core.periods import MONTH, QUARTER, YEAR
from dangjian.ledger.choices import ActivityType
from dangjian.orgs.choices import OrgType

# SPEC §6, from 《中国共产党支部工作条例(试行)》. Installed by a migration as the rules of
# every year that has none of its own.
DEFAULT_RULES = (
    # code, activity type, period, min formal members
    ("committee_monthly", ActivityType.COMMITTEE_MEETING, MONTH, 7),
    ("theme_day_monthly", ActivityType.THEME_DAY, MONTH, None),
    ("general_meeting_quarterly", ActivityType.GENERAL_MEETING, QUARTER, None),
    ("lecture_quarterly", ActivityType.PARTY_LECTURE, QUARTER, None),
    ("life_meeting_yearly", ActivityType.LIFE_MEETING, YEAR, None),
    ("member_review_yearly", ActivityType.MEMBER_REVIEW, YEAR, None),
)
DEFAULT_APPLIES_TO = [OrgType.BRANCH.value]
DEFAULT_QUORUM_PERCENT = 50


def install_default_rules(rule_model) -> None:
    """Create the default rule set (year null) where missing; used by the data migration."""
    for order, (code, activity, period, min_formal) in enumerate(DEFAULT_RULES, start=1):
        rule_model.objects.get_or_create(
            year=None,
            code=code,
            defaults={
                "activity_type": str(activity),
                "period": period,
                "min_count": 1,
                "applies_to": list(DEFAULT_APPLIES_TO),
                "min_formal_members": min_formal,
                "quorum_percent": DEFAULT_QUORUM_PERCENT,
                "sort_order": order,
            },
        )


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the engine uses it (a snapshot, stored with the results)."""

    code: str
    label: str
    activity_type: str
    period: str
    min_count: int
    applies_to: tuple[str, ...]
    min_formal_members: int | None
    quorum_percent: int

    def as_dict(self) -> dict:
        return {**vars(self), "applies_to": list(self.applies_to)}


def rules_queryset(year: int):
    """The rule rows in force for `year`: its own when it has any, else the defaults."""
    from dangjian.compliance.models import ComplianceRule

    own = ComplianceRule.objects.filter(year=year)
    return own if own.exists() else ComplianceRule.objects.filter(year=None)


def has_own_rules(year: int) -> bool:
    from dangjian.compliance.models import ComplianceRule

    return ComplianceRule.objects.filter(year=year).exists()


def rules_for_year(year: int) -> list[RuleSpec]:
    """The active rules the engine applies in `year`."""
    return [
        RuleSpec(
            code=r.code,
            label=r.label,
            activity_type=r.activity_type,
            period=r.period,
            min_count=r.min_count,
            applies_to=tuple(r.applies_to),
            min_formal_members=r.min_formal_members,
            quorum_percent=r.quorum_percent,
        )
        for r in rules_queryset(year).filter(is_active=True)
    ]


def customize_year(actor, year: int):
    """Give `year` its own copy of the default rules (idempotent); returns the year's rules."""
    from dangjian.compliance.models import ComplianceRule

    if not 2000 <= year <= 2200:
        raise BusinessError("年度超出范围", "year")
    with transaction.atomic():
        if not has_own_rules(year):
            copies = [
                ComplianceRule(
                    year=year,
                    code=r.code,
                    activity_type=r.activity_type,
                    period=r.period,
                    min_count=r.min_count,
                    applies_to=r.applies_to,
                    min_formal_members=r.min_formal_members,
                    quorum_percent=r.quorum_percent,
                    is_active=r.is_active,
                    sort_order=r.sort_order,
                )
                for r in ComplianceRule.objects.filter(year=None)
            ]
            ComplianceRule.objects.bulk_create(copies)
            audit.record(
                actor,
                [audit.Change(audit.Action.CREATE, "达标规则", str(year), f"{year}年度规则", "")],
            )
    return ComplianceRule.objects.filter(year=year)


RULE_FIELDS = ("min_count", "applies_to", "min_formal_members", "quorum_percent", "is_active")


def update_rule(actor, rule, **values):
    """Change one rule of a year that has its own rules (defaults are changed per year)."""
    if rule.year is None:
        raise BusinessError("默认规则不能直接修改，请先为某一年度定制规则")
    if "min_count" in values and (values["min_count"] is None or values["min_count"] < 1):
        raise BusinessError("每周期至少次数应不小于1", "min_count")
    quorum = values.get("quorum_percent", 0)
    if "quorum_percent" in values and (quorum is None or not 0 <= quorum <= 100):
        raise BusinessError("到会比例应在0–100之间", "quorum_percent")
    applies = values.get("applies_to")
    if applies is not None:
        unknown = [t for t in applies if t not in OrgType.values]
        if not applies or unknown:
            raise BusinessError("适用组织类型应从组织类型中选择至少一项", "applies_to")
    before = {f: getattr(rule, f) for f in RULE_FIELDS}
    for field, value in values.items():
        if field not in RULE_FIELDS:
            raise BusinessError(f"不能修改规则的{field}")
        setattr(rule, field, value)
    after = {f: getattr(rule, f) for f in RULE_FIELDS}
    with transaction.atomic():
        rule.save(update_fields=list(values))
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.UPDATE,
                    "达标规则",
                    str(rule.pk),
                    f"{rule.year}年 {rule.label}",
                    "",
                    before=before,
                    after=after,
                )
            ],
        )
    return rule
