"""Fixed vocabularies of C7 rectification (values are the Chinese terms of the seeds)."""

from django.db import models


class State(models.TextChoices):
    """整顿中 → 已转化 (accepted by the superior) → 巩固.

    Seed 000: 确保整顿一个、转化一个、巩固一个.
    """

    IN_PROGRESS = "整顿中", "整顿中"
    TRANSFORMED = "已转化", "已转化"
    CONSOLIDATED = "巩固", "巩固"


class LeaderKind(models.TextChoices):
    """How a leader is attached to the organization under rectification (seed 000:
    县处级领导包点、各党(工)委书记挂点、相关党组(党委)班子成员驻点)."""

    COUNTY_LEADER = "包点", "县处级领导包点"
    COMMITTEE_SECRETARY = "挂点", "党(工)委书记挂点"
    TEAM_MEMBER = "驻点", "班子成员驻点"


# Text limits, checked by the services with a Chinese message before the database sees them.
PLAN_MAX = 5000
PROBLEM_MAX = 500
COUNTERMEASURE_MAX = 1000
NAME_MAX = 50
POST_MAX = 100
PROGRESS_MAX = 2000
OPINION_MAX = 2000
