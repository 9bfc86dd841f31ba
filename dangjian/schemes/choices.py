"""Fixed vocabularies of C5 assessment schemes (values are stable codes, labels are Chinese)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class SchemeStatus(models.TextChoices):
    """A draft is being written; a published scheme is the one organizations are scored by."""

    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class Method(models.TextChoices):
    """How an item is scored."""

    MANUAL = "manual", "人工评分"
    COMPLIANCE = "compliance", "按组织生活达标率计算"
    BONUS = "bonus", "加分项"
    DEDUCTION = "deduction", "扣分项"


# Items scored by people (a score typed per source); compliance items are computed.
ENTERED_METHODS = frozenset({Method.MANUAL, Method.BONUS, Method.DEDUCTION})
# Items that count towards the scheme's 100 points (bonus and deduction come on top).
BASE_METHODS = frozenset({Method.MANUAL, Method.COMPLIANCE})


class Source(models.TextChoices):
    """Who gave a score (seed 002: 单位自查—平时抽查—年终考评)."""

    SELF = "self", "单位自查"
    SPOT = "spot", "平时抽查"
    YEAR_END = "year_end", "年终考评"


# The year-end score of an item takes the first source present in this order (the self-check
# counts only once the superior has accepted it).
PRECEDENCE = (Source.YEAR_END, Source.SPOT, Source.SELF)


class RaterKind(models.TextChoices):
    """Rater groups of the satisfaction part (满意度评价), seed 000's 上看下、下看上、横向评."""

    SUPERIOR = "superior", "上级评下"
    MEMBERS = "members", "党员评上"
    PEERS = "peers", "部门互评"
    PUBLIC = "public", "群众评"


# Weights a new scheme starts with (they sum to 1; officers change them per scheme).
DEFAULT_WEIGHTS = {
    RaterKind.SUPERIOR: Decimal("0.400"),
    RaterKind.MEMBERS: Decimal("0.300"),
    RaterKind.PEERS: Decimal("0.200"),
    RaterKind.PUBLIC: Decimal("0.100"),
}


class SelfCheckState(models.TextChoices):
    """The organization's self-check: filled in, submitted, then accepted or sent back."""

    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    ACCEPTED = "accepted", "已审核"
    RETURNED = "returned", "退回"


# States in which the organization may still change its self-check scores.
SELF_CHECK_OPEN = frozenset({SelfCheckState.DRAFT, SelfCheckState.RETURNED})

MAX_DEPTH = 4  # levels of items (一、(一)、1、(1))
MAX_ITEMS = 300  # items per scheme
