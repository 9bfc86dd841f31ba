"""C5/C7 records and results: the yearly assessment record of an organization (党建得分,
经济社会得分, 述职评议等次, 约谈次数; imported from the 考核得分 sheet or entered), the rule set
of a year, and the stored results of the last evaluation with their reasons."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from dangjian.assessment.choices import Grade, PeerGrouping, Standing
from dangjian.assessment.rules import RuleSet
from dangjian.core.derived import derived_key
from dangjian.orgs.querysets import OrgOwnedQuerySet

# scores as given, up to four decimals (an Excel cell may hold 85.125); the final score is
# rounded half-up to two places by the engine
SCORE = {
    "max_digits": 7,
    "decimal_places": 4,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
}


class AssessmentRecord(models.Model):
    """One organization's assessment inputs for a year (the §5 考核得分 row)."""

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    party_score = models.DecimalField("党建得分", **SCORE)
    economic_score = models.DecimalField("经济社会得分", null=True, blank=True, **SCORE)
    review_grade = models.CharField("述职评议等次", max_length=4, choices=Grade.choices, blank=True)
    talks = models.PositiveSmallIntegerField("约谈次数", default=0)
    updated_at = models.DateTimeField("更新时间")

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "考核得分"
        verbose_name_plural = "考核得分"
        constraints = [
            models.UniqueConstraint(fields=["year", "organization"], name="uniq_record_year")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year}"


class AssessmentRules(models.Model):
    """The rule set of a year (year null: the defaults of every year without its own)."""

    year = models.PositiveSmallIntegerField("年度", null=True, blank=True, unique=True)
    party_weight = models.DecimalField("党建得分权重", max_digits=4, decimal_places=3)
    economic_weight = models.DecimalField("经济社会得分权重", max_digits=4, decimal_places=3)
    good_from = models.DecimalField("好（分）", max_digits=5, decimal_places=2)
    fairly_good_from = models.DecimalField("较好（分）", max_digits=5, decimal_places=2)
    fair_from = models.DecimalField("一般（分）", max_digits=5, decimal_places=2)
    talks_veto = models.PositiveSmallIntegerField("约谈否决次数")
    advanced_share = models.DecimalField("先进比例", max_digits=4, decimal_places=3)
    backward_share = models.DecimalField("后进比例", max_digits=4, decimal_places=3)
    weak_share = models.DecimalField("软弱涣散占后进比例", max_digits=4, decimal_places=3)
    min_group = models.PositiveSmallIntegerField("分组最少组织数")
    peer_grouping = models.CharField(
        "分组方式", max_length=20, choices=PeerGrouping.choices, default=PeerGrouping.PARENT
    )

    class Meta:
        verbose_name = "考核规则"
        verbose_name_plural = "考核规则"

    def __str__(self) -> str:
        return f"{self.year or '默认'}"

    def as_rule_set(self) -> RuleSet:
        return RuleSet(**{f: getattr(self, f) for f in RuleSet.__dataclass_fields__})


class AssessmentRun(models.Model):
    """The latest evaluation of a year (a new run replaces the year's results)."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    rules = models.JSONField("所用规则", default=dict)
    stats = models.JSONField("统计", default=dict)
    computed_at = models.DateTimeField("计算时间")
    actor_label = models.CharField("发起人", max_length=100)

    class Meta:
        verbose_name = "考核评价"
        verbose_name_plural = "考核评价"
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class AssessmentResult(models.Model):
    """One organization's evaluated year: final score, grade, class, 软弱涣散, ranks, and
    the vetoes and reasons that decided them."""

    year = models.PositiveSmallIntegerField("年度")
    organization = derived_key("orgs.Organization", indexed=False)
    party_score = models.DecimalField("党建得分", max_digits=7, decimal_places=4)
    economic_score = models.DecimalField(
        "经济社会得分", max_digits=7, decimal_places=4, null=True, blank=True
    )
    final_score = models.DecimalField("综合得分", max_digits=5, decimal_places=2)
    grade = models.CharField("等次", max_length=4, choices=Grade.choices)
    standing = models.CharField(
        "类别", max_length=4, choices=Standing.choices, null=True, blank=True
    )
    weak_lax = models.BooleanField("软弱涣散", null=True)
    peer_group = models.CharField("分组", max_length=60)
    group_size = models.PositiveIntegerField("组内组织数")
    group_rank = models.PositiveIntegerField("组内排名")
    overall_rank = models.PositiveIntegerField("全辖排名")
    vetoes = models.JSONField("否决", default=list)
    reasons = models.JSONField("依据", default=list)

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "考核结果"
        verbose_name_plural = "考核结果"
        ordering = ["overall_rank", "organization_id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "organization"], name="uniq_result_year")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year} {self.final_score}"
