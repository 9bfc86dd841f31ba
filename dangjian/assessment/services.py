"""Writing assessment inputs: a year's record of an organization (党建得分, 经济社会得分,
述职评议等次, 约谈次数) and a year's rule set. Each checks its input, changes nothing on a
BusinessError, and logs the change in the audit log in the same transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.assessment import validation as v
from dangjian.assessment.models import AssessmentRecord, AssessmentRules
from dangjian.assessment.rules import RuleSet, rules_for_year
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization


@dataclass(frozen=True)
class RecordInput:
    """Values as typed (text or numbers); cleaned by `save_record`."""

    party_score: object
    economic_score: object = None
    review_grade: object = ""
    talks: object = 0


def _snapshot(record: AssessmentRecord) -> dict:
    return {
        "党建得分": str(record.party_score),
        "经济社会得分": "" if record.economic_score is None else str(record.economic_score),
        "述职评议等次": record.review_grade,
        "约谈次数": record.talks,
    }


def check_assessable(actor, org: Organization) -> None:
    """An officer records the organizations below their own, not their own (评下不评己)."""
    scope = getattr(actor, "scope", None)
    if scope is not None and scope.pk == org.pk:
        raise BusinessError("不能给本级组织登记考核得分，应由上级组织登记", "organization")


def save_record(actor, org: Organization, year: object, data: RecordInput) -> AssessmentRecord:
    """Create or change the year's record of `org`."""
    check_assessable(actor, org)
    year = v.clean_year(year, timezone.localdate())
    party = v.clean_score(data.party_score, "党建得分")
    economic = v.clean_score(data.economic_score, "经济社会得分", required=False)
    review = v.clean_review_grade(data.review_grade)
    talks = v.clean_talks(data.talks)
    with transaction.atomic():
        record = (
            AssessmentRecord.objects.select_for_update().filter(organization=org, year=year).first()
        )
        made = record is None
        if made:
            record = AssessmentRecord(organization=org, year=year)
            before = {}
        else:
            before = _snapshot(record)
        record.party_score, record.economic_score = party, economic
        record.review_grade, record.talks = review, talks
        record.updated_at = timezone.now()
        record.save()
        old, new = audit.diff(before, _snapshot(record))
        if new:
            audit.record(
                actor,
                [
                    audit.Change(
                        audit.Action.CREATE if made else audit.Action.UPDATE,
                        "考核得分",
                        record.pk,
                        f"{org.name} {year}年度",
                        org.path,
                        before=old or None,
                        after=new,
                    )
                ],
            )
    return record


def delete_record(actor, record: AssessmentRecord) -> None:
    check_assessable(actor, record.organization)
    with transaction.atomic():
        audit.record(
            actor,
            [
                audit.Change(
                    audit.Action.DELETE,
                    "考核得分",
                    record.pk,
                    f"{record.organization.name} {record.year}年度",
                    record.organization.path,
                    before=_snapshot(record),
                )
            ],
        )
        record.delete()


RULE_FIELDS = tuple(RuleSet.__dataclass_fields__)


def save_rules(actor, year: int, changes: dict) -> AssessmentRules:
    """Give `year` its own rule set: the rules in force for it with `changes` applied (values
    as typed), checked as a whole."""
    current = rules_for_year(year)
    typed = {}
    for name, value in changes.items():
        if name not in RULE_FIELDS:
            raise BusinessError(f"未知的规则项：{name}", name)
        kind = type(getattr(current, name))
        try:
            typed[name] = kind(str(value).strip()) if kind is not str else str(value).strip()
        except (ArithmeticError, ValueError):
            raise BusinessError("请输入数字", name) from None
    rules = current.changed(**typed)
    with transaction.atomic():
        row, made = AssessmentRules.objects.update_or_create(year=year, defaults=asdict(rules))
        before = {} if made else current.as_dict()
        old, new = audit.diff(before, rules.as_dict())
        if new:
            audit.record(
                actor,
                [
                    audit.Change(
                        audit.Action.CREATE if made else audit.Action.UPDATE,
                        "考核规则",
                        row.pk,
                        f"{year}年度考核规则",
                        "",
                        before=old or None,
                        after=new,
                    )
                ],
            )
    return row


def set_party_scores(actor, year: int, scores: dict[int, Decimal], source: str) -> int:
    """Write 党建得分 computed elsewhere (an assessment scheme) for many organizations at once:
    existing records keep their other fields, missing ones are created; every change is
    logged with `source` (e.g. the scheme's name). Returns the number of records changed."""
    year = v.clean_year(year, timezone.localdate())
    cleaned = {org_id: v.clean_score(score, "党建得分") for org_id, score in scores.items()}
    with transaction.atomic():
        existing = {
            r.organization_id: r
            for r in AssessmentRecord.objects.select_for_update()
            .filter(year=year, organization_id__in=list(cleaned))
            .select_related("organization")
        }
        paths = dict(Organization.objects.filter(pk__in=list(cleaned)).values_list("pk", "path"))
        now, made, changed, changes = timezone.now(), [], [], []
        for org_id, score in sorted(cleaned.items()):
            record = existing.get(org_id)
            if record is None:
                made.append(
                    AssessmentRecord(
                        organization_id=org_id, year=year, party_score=score, updated_at=now
                    )
                )
                before = None
            elif record.party_score != score:
                before = {"党建得分": str(record.party_score)}
                record.party_score, record.updated_at = score, now
                changed.append(record)
            else:
                continue
            changes.append(
                audit.Change(
                    audit.Action.UPDATE if before else audit.Action.CREATE,
                    "考核得分",
                    org_id,
                    f"{year}年度党建得分（{source}）",
                    paths.get(org_id, ""),
                    before=before,
                    after={"党建得分": str(score)},
                )
            )
        AssessmentRecord.objects.bulk_create(made)
        AssessmentRecord.objects.bulk_update(changed, ["party_score", "updated_at"])
        audit.record(actor, changes)
    return len(made) + len(changed)
