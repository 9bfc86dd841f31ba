"""Stored results for dashboard tests: compliance branch-years rolled up as the engine does,
assessment results through the assessment engine, rectification ledgers and problems; each
brings the dashboard rollups up to date as the batches do."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dangjian.assessment.engine import evaluate_assessment
from dangjian.assessment.services import RecordInput, save_record
from dangjian.compliance.engine import roll_up_subtrees
from dangjian.compliance.models import BranchYear, ComplianceRun, SubtreeYear
from dangjian.dashboard import rollups
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization
from dangjian.rectification.choices import State
from dangjian.rectification.models import Problem, Rectification

JUDGED_THROUGH = 10  # months judged in the test's compliance run


def compliance(year: int, masks: dict[Organization, tuple[int, int, int]]) -> ComplianceRun:
    """Store each branch's year (applicable mask, met mask, members in dues arrears), roll the
    subtrees up with the engine's own step and record the run."""
    BranchYear.objects.bulk_create(
        BranchYear(
            year=year,
            organization=org,
            applicable_mask=applicable,
            met_mask=met,
            dues_arrears=arrears,
        )
        for org, (applicable, met, arrears) in masks.items()
    )
    SubtreeYear.objects.filter(year=year).delete()  # the engine clears the year first too
    roll_up_subtrees(year)
    run, _ = ComplianceRun.objects.update_or_create(
        year=year,
        defaults={
            "judged_through": JUDGED_THROUGH,
            "computed_at": timezone.now(),
            "actor_label": "测试",
        },
    )
    rollups.refresh_results([year])
    return run


def scores(year: int, by_org: dict[Organization, str]) -> None:
    """Record 党建得分 of organizations and evaluate the year with the assessment engine."""
    for org, party in by_org.items():
        save_record(None, org, year, RecordInput(party, party))
    evaluate_assessment(year, actor=None)


def rectification(org: Organization, year: int, state: str = State.IN_PROGRESS, *, overdue=0):
    """A ledger of `org` in `state` with `overdue` unsolved problems past their deadline and
    one solved problem."""
    now = timezone.now()
    rect = Rectification.objects.create(
        organization=org,
        year=year,
        state=state,
        opened_at=now,
        opened_by="测试",
        updated_at=now,
    )
    past = timezone.localdate() - dt.timedelta(days=10)
    for i in range(overdue):
        Problem.objects.create(
            rectification=rect,
            problem=f"问题{i}",
            countermeasure="对策",
            due_on=past,
            created_at=now,
        )
    Problem.objects.create(
        rectification=rect,
        problem="已解决的问题",
        countermeasure="对策",
        due_on=past,
        done=True,
        done_on=past,
        created_at=now,
    )
    rollups.refresh_open_items()
    return rect


def branches_under(org: Organization) -> list[Organization]:
    return list(
        Organization.objects.filter(path__startswith=org.path, org_type__in=BRANCH_TYPES).order_by(
            "path"
        )
    )
