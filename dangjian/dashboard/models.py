"""Rollups of the leader dashboard (SPEC C16): per organization, the figures of its whole
subtree (itself included), so the dashboard of the root reads one row instead of summing
every branch's results at request time.

- `SubtreeResults`: per organization and year, what the evaluation batches stored (dues
  arrears from the compliance run, classes, grades and the class flow from the assessment).
- `SubtreeOpenItems`: per organization, the rectification ledgers by state and their problems
  still open or past their deadline (as of `as_of`).
- `RollupState`: when the rollups were last rewritten whole.

`rollups.py` fills them set-based (one INSERT … SELECT per table); public-rating figures are
read from the rating app's own monthly rollups (`rating.OrgMonth`), and organization and
member counts from the tree's totals (`Organization.subtree_*`).
"""

from __future__ import annotations

from django.db import models

from dangjian.core.derived import derived_key
from dangjian.orgs.querysets import OrgOwnedQuerySet

# Class keys of the flow matrix: columns f<previous><current> index these two tuples
# (assessment.selectors.FLOW_ROWS and CLASSES: 先进, 一般, 后进, 未分类, then 新 for "no
# result the year before").
FLOW_PREVIOUS = 5
FLOW_CURRENT = 4
FLOW_FIELDS = tuple(f"f{p}{c}" for p in range(FLOW_PREVIOUS) for c in range(FLOW_CURRENT))


class SubtreeResults(models.Model):
    """Stored results of one year summed over an organization's subtree.

    `dues_arrears` members in arrears and `arrears_orgs` organizations with any (from the
    compliance run's BranchYear rows); `assessed` results and their classes, 软弱涣散, grades,
    and `f<p><c>` results whose class was FLOW_ROWS[p] the year before and is CLASSES[c] now
    (from AssessmentResult)."""

    organization = derived_key("orgs.Organization", indexed=False)
    year = models.PositiveSmallIntegerField("年度")
    dues_arrears = models.PositiveIntegerField("欠缴党费人数", default=0)
    arrears_orgs = models.PositiveIntegerField("有欠缴党费的组织数", default=0)
    assessed = models.PositiveIntegerField("参加考核组织数", default=0)
    advanced = models.PositiveIntegerField("先进", default=0)
    ordinary = models.PositiveIntegerField("一般", default=0)
    backward = models.PositiveIntegerField("后进", default=0)
    unclassified = models.PositiveIntegerField("未分类", default=0)
    weak = models.PositiveIntegerField("软弱涣散", default=0)
    good = models.PositiveIntegerField("好", default=0)
    fairly_good = models.PositiveIntegerField("较好", default=0)
    fair = models.PositiveIntegerField("一般（等次）", default=0)
    poor = models.PositiveIntegerField("差", default=0)
    f00 = models.PositiveIntegerField("上年先进→本年先进", default=0)
    f01 = models.PositiveIntegerField("上年先进→本年一般", default=0)
    f02 = models.PositiveIntegerField("上年先进→本年后进", default=0)
    f03 = models.PositiveIntegerField("上年先进→本年未分类", default=0)
    f10 = models.PositiveIntegerField("上年一般→本年先进", default=0)
    f11 = models.PositiveIntegerField("上年一般→本年一般", default=0)
    f12 = models.PositiveIntegerField("上年一般→本年后进", default=0)
    f13 = models.PositiveIntegerField("上年一般→本年未分类", default=0)
    f20 = models.PositiveIntegerField("上年后进→本年先进", default=0)
    f21 = models.PositiveIntegerField("上年后进→本年一般", default=0)
    f22 = models.PositiveIntegerField("上年后进→本年后进", default=0)
    f23 = models.PositiveIntegerField("上年后进→本年未分类", default=0)
    f30 = models.PositiveIntegerField("上年未分类→本年先进", default=0)
    f31 = models.PositiveIntegerField("上年未分类→本年一般", default=0)
    f32 = models.PositiveIntegerField("上年未分类→本年后进", default=0)
    f33 = models.PositiveIntegerField("上年未分类→本年未分类", default=0)
    f40 = models.PositiveIntegerField("上年无结果→本年先进", default=0)
    f41 = models.PositiveIntegerField("上年无结果→本年一般", default=0)
    f42 = models.PositiveIntegerField("上年无结果→本年后进", default=0)
    f43 = models.PositiveIntegerField("上年无结果→本年未分类", default=0)

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "看板年度汇总"
        verbose_name_plural = "看板年度汇总"
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="uniq_dash_org_year")
        ]
        indexes = [models.Index(fields=["year"], name="dash_results_year")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year}"


class SubtreeOpenItems(models.Model):
    """Rectification ledgers of an organization's subtree by state (整顿中, 已转化, 巩固), and
    their problems not yet solved (`problems_open`) and past their deadline as of `as_of`
    (`problems_overdue`), every assessment year together."""

    organization = derived_key("orgs.Organization", indexed=False)
    rect_open = models.PositiveIntegerField("整顿中", default=0)
    rect_transformed = models.PositiveIntegerField("已转化", default=0)
    rect_consolidated = models.PositiveIntegerField("巩固", default=0)
    problems_open = models.PositiveIntegerField("未解决问题", default=0)
    problems_overdue = models.PositiveIntegerField("逾期未解决问题", default=0)
    as_of = models.DateField("逾期统计日期")

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "看板待办汇总"
        verbose_name_plural = "看板待办汇总"
        constraints = [models.UniqueConstraint(fields=["organization"], name="uniq_dash_open_org")]

    def __str__(self) -> str:
        return f"{self.organization_id}"


class RollupState(models.Model):
    """When the dashboard rollups were last rewritten whole, and how long it took."""

    name = models.CharField(max_length=30, unique=True)
    refreshed_at = models.DateTimeField("更新时间")
    seconds = models.FloatField("耗时（秒）", default=0)

    class Meta:
        verbose_name = "看板汇总进度"
        verbose_name_plural = "看板汇总进度"

    def __str__(self) -> str:
        return f"{self.name} {self.refreshed_at:%Y-%m-%d %H:%M}"
