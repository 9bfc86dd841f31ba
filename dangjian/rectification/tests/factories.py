"""Test data for rectification: assessment results that flag organizations 软弱涣散 (written
directly, as the engine would), and ledgers brought to a given point through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dangjian.assessment.models import AssessmentResult, AssessmentRun
from dangjian.rectification import services
from dangjian.rectification.choices import LeaderKind
from dangjian.rectification.models import Rectification

YEAR = dt.date.today().year - 1


def flag(orgs, year: int = YEAR, *, weak: bool = True, score: str = "55.00") -> None:
    """Store the year's results of `orgs` (后进, 软弱涣散 when `weak`) and its run, as the
    assessment engine does."""
    AssessmentRun.objects.get_or_create(
        year=year, defaults={"computed_at": timezone.now(), "actor_label": "测试"}
    )
    for rank, org in enumerate(orgs, start=1):
        AssessmentResult.objects.create(
            year=year,
            organization=org,
            party_score=Decimal(score),
            final_score=Decimal(score),
            grade="差",
            standing="后进",
            weak_lax=weak,
            peer_group=f"上级 {org.parent_id}",
            group_size=6,
            group_rank=6,
            overall_rank=rank,
            reasons=["综合得分55.00，组内排名6/6", "后进中得分最低，认定为软弱涣散"],
        )


def opened(org, year: int = YEAR) -> Rectification:
    """The ledger of `org` for `year`, opened through the service."""
    if not AssessmentResult.objects.filter(year=year, organization=org).exists():
        flag([org], year)
    services.open_rectifications(None, year)
    return Rectification.objects.select_related("organization").get(organization=org, year=year)


def ready(rect: Rectification, actor=None) -> Rectification:
    """Plan, one solved problem and a 包点 leader: everything acceptance needs."""
    services.update_plan(actor, rect, "一、配强班子；二、规范组织生活；三、建立长效机制。")
    services.add_problem(
        actor,
        rect,
        services.ProblemInput("三会一课不规范", "每月开展主题党日并留存记录", done=True),
    )
    services.assign_leader(actor, rect, LeaderKind.COUNTY_LEADER, "王县长", "副县长")
    return rect
