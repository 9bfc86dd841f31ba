"""Fixed vocabularies of C1 organizations. Values are the Chinese terms users type in Excel."""

from django.db import models


class OrgType(models.TextChoices):
    """组织类型 (SPEC C1). Only branches hold members."""

    COMMITTEE = "党委", "党委"
    WORKING_COMMITTEE = "党工委", "党工委"
    LEADING_GROUP = "党组", "党组"
    ORGAN_COMMITTEE = "机关党委", "机关党委"
    GENERAL_BRANCH = "党总支", "党总支"
    BRANCH = "党支部", "党支部"
    TEMPORARY_BRANCH = "临时党支部", "临时党支部"


BRANCH_TYPES = frozenset({OrgType.BRANCH, OrgType.TEMPORARY_BRANCH})


class OrgEventKind(models.TextChoices):
    """What happened to an organization, for its history (设立、更名、调整、撤销)."""

    ESTABLISHED = "established", "成立"
    RENAMED = "renamed", "更名"
    MOVED = "moved", "调整隶属关系"
    CHANGED = "changed", "信息变更"
    DISSOLVED = "dissolved", "撤销"


# Defaults installed on a fresh database (SPEC C1); officers may add more.
DEFAULT_CATEGORIES = (
    "县(市区)",
    "县(市区)直部门",
    "机关",
    "机关-党群部门",
    "机关-政府组成部门",
    "乡镇",
    "街道",
    "村",
    "社区",
    "撤村建居社区",
    "国有企业",
    "学校",
    "医院",
    "非公企业",
    "社会组织",
    "其他",
)

# Seed 000: full-time party-affairs staff should be at least 2% of a unit's staff.
PARTY_STAFF_MIN_RATIO_PERCENT = 2
