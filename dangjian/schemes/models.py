"""C5 assessment schemes (考核方案): a year's tree of items with maximum points and a scoring
method, for some organization categories; the satisfaction part with its rater groups; and
the scores people give (per item, organization and source), raters' satisfaction scores and
the organization's self-check with its review.

The 党建得分 computed from these rows is written to dangjian.assessment's AssessmentRecord;
nothing here stores a total, so a page can always recompute and explain it (scoring.py).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from dangjian.orgs.querysets import OrgOwnedQuerySet
from dangjian.schemes.choices import (
    ENTERED_METHODS,
    Method,
    RaterKind,
    SchemeStatus,
    SelfCheckState,
    Source,
)

POINTS = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
}


class SchemeQuerySet(models.QuerySet):
    """Schemes are configuration of the whole jurisdiction: every signed-in user with a scope
    reads them; an account without a scope sees none."""

    def visible_to(self, user):
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self if user.scope_id else self.none()

    def published(self):
        """Schemes organizations are scored by."""
        return self.filter(status=SchemeStatus.PUBLISHED)


class Scheme(models.Model):
    """A year's assessment scheme for the organizations of some categories."""

    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("方案名称", max_length=100)
    categories = models.ManyToManyField(
        "orgs.Category", verbose_name="适用组织类别", related_name="+"
    )
    status = models.CharField(
        "状态", max_length=10, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    satisfaction_max = models.DecimalField("满意度评价满分", default=Decimal(0), **POINTS)
    note = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("更新时间")
    published_at = models.DateTimeField("发布时间", null=True, blank=True)

    objects = SchemeQuerySet.as_manager()

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["-year", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "name"], name="uniq_scheme_year_name")
        ]

    def __str__(self) -> str:
        return f"{self.year}年度{self.name}"

    @property
    def is_draft(self) -> bool:
        return self.status == SchemeStatus.DRAFT


class SchemeItem(models.Model):
    """An item of a scheme's tree (一级、二级… 指标). A leaf is scored by its method; an item with
    children scores the sum of its children, capped at its own maximum."""

    scheme = models.ForeignKey(
        Scheme, verbose_name="考核方案", on_delete=models.CASCADE, related_name="items"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级项目",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    title = models.CharField("考核项目", max_length=200)
    criteria = models.TextField("评分标准", blank=True)
    max_points = models.DecimalField("满分", **POINTS)
    method = models.CharField("计分方式", max_length=12, choices=Method.choices)
    sources = models.JSONField("评分来源", default=list, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "考核项目"
        verbose_name_plural = "考核项目"
        ordering = ["scheme_id", "sort_order", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_entered(self) -> bool:
        """True when people type its score (manual, bonus, deduction)."""
        return self.method in ENTERED_METHODS

    @property
    def source_labels(self) -> str:
        return "、".join(Source(s).label for s in Source.values if s in self.sources)


class RaterGroup(models.Model):
    """A rater group of a scheme's satisfaction part and its weight (the four sum to 1)."""

    scheme = models.ForeignKey(
        Scheme, verbose_name="考核方案", on_delete=models.CASCADE, related_name="rater_groups"
    )
    kind = models.CharField("评议群体", max_length=10, choices=RaterKind.choices)
    weight = models.DecimalField(
        "权重",
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )

    class Meta:
        verbose_name = "评议群体"
        verbose_name_plural = "评议群体"
        ordering = ["scheme_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "kind"], name="uniq_rater_group_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.weight}"


class ItemScore(models.Model):
    """A score given to an organization for one item by one source (at most one per item,
    organization and source)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        SchemeItem, verbose_name="考核项目", on_delete=models.CASCADE, related_name="scores"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="组织", on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField("评分来源", max_length=10, choices=Source.choices)
    score = models.DecimalField("得分", **POINTS)
    note = models.CharField("说明", max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评分人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_by_label = models.CharField("评分人", max_length=100)
    entered_at = models.DateTimeField("评分时间")

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "考核评分"
        verbose_name_plural = "考核评分"
        ordering = ["item_id", "organization_id", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "organization", "source"], name="uniq_item_score_source"
            )
        ]
        indexes = [models.Index(fields=["scheme", "organization"], name="itemscore_by_org")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.organization_id} {self.source} {self.score}"


class RaterScore(models.Model):
    """One rater's satisfaction score (0–100) of an organization in a rater group.

    群众评 scores are entered like the others for now; the public rating capability (C8, 扫码
    评议) will write its per-organization result here as a rater of the 群众评 group."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(
        RaterGroup, verbose_name="评议群体", on_delete=models.CASCADE, related_name="scores"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="组织", on_delete=models.CASCADE, related_name="+"
    )
    rater = models.CharField("评议人", max_length=50)
    rater_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评议人账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    score = models.DecimalField("满意度得分", **POINTS)
    entered_by_label = models.CharField("录入人", max_length=100)
    entered_at = models.DateTimeField("录入时间")

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "满意度评分"
        verbose_name_plural = "满意度评分"
        ordering = ["group_id", "organization_id", "rater"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "organization", "rater"], name="uniq_rater_score"
            )
        ]
        indexes = [models.Index(fields=["scheme", "organization"], name="raterscore_by_org")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.organization_id} {self.rater} {self.score}"


class SelfCheck(models.Model):
    """An organization's self-check (单位自查) under a scheme: its own scores (ItemScore rows of
    source 单位自查) are submitted, then accepted or sent back by the superior. Only an
    accepted self-check counts towards the year-end score."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="组织", on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(
        "状态", max_length=10, choices=SelfCheckState.choices, default=SelfCheckState.DRAFT
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by_label = models.CharField("提交人", max_length=100, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewer_label = models.CharField("审核人", max_length=100, blank=True)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    opinion = models.CharField("审核意见", max_length=500, blank=True)
    updated_at = models.DateTimeField("更新时间")

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "单位自查"
        verbose_name_plural = "单位自查"
        constraints = [
            models.UniqueConstraint(fields=["scheme", "organization"], name="uniq_self_check")
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id} {self.organization_id} {self.get_state_display()}"
