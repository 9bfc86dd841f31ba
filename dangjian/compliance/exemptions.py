"""Exempting a named branch from compliance for some months, with a reason (SPEC C2)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.compliance.models import ComplianceRule, Exemption
from dangjian.core.cells import form_text
from dangjian.core.errors import BusinessError
from dangjian.core.periods import parse_month
from dangjian.orgs.choices import BRANCH_TYPES


def add_exemption(actor, org, rule_code: str, first: str, last: str, reason: str) -> Exemption:
    if org.org_type not in BRANCH_TYPES:
        raise BusinessError("只能为党支部登记豁免", "organization")
    start, end = parse_month(first, "起始月份"), parse_month(last, "截止月份")
    if end < start:
        raise BusinessError("截止月份不能早于起始月份", "last_month")
    if (end.year - start.year) * 12 + end.month - start.month >= 24:
        raise BusinessError("一次豁免最长24个月", "last_month")
    reason = form_text(reason, "豁免原因", 200, "reason")
    if rule_code and not ComplianceRule.objects.filter(code=rule_code).exists():
        raise BusinessError("未知的规则", "rule_code")
    with transaction.atomic():
        exemption = Exemption.objects.create(
            organization=org,
            rule_code=rule_code or "",
            first_month=start.first_day,
            last_month=end.first_day,
            reason=reason,
            created_by=audit.actor_label(actor),
            created_at=timezone.now(),
        )
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.CREATE,
                    "达标豁免",
                    exemption.pk,
                    f"{org.name} {start}–{end}",
                    org.path,
                    after={"规则": rule_code or "全部", "原因": reason},
                )
            ],
        )
    return exemption


def remove_exemption(actor, exemption: Exemption) -> None:
    with transaction.atomic():
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.DELETE,
                    "达标豁免",
                    exemption.pk,
                    str(exemption),
                    exemption.organization.path,
                    before={"规则": exemption.rule_code or "全部", "原因": exemption.reason},
                )
            ],
        )
        exemption.delete()
