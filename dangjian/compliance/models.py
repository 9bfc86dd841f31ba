"""C2 compliance: rules (data, per year), exemptions, and the stored results of an evaluation.

Results keep their reasons: a branch-year row holds which months rules applied to and which
were met; every check that was not met is a RuleCheck row (which rule, which months, how many
meetings counted, how many were required); subtree rows hold the 达标率 counts per month.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from dangjian.core.derived import derived_key
from dangjian.core.periods import MONTH, PERIOD_LABELS, QUARTER, YEAR, month_bit
from dangjian.ledger.choices import ActivityType
from dangjian.orgs.querysets import OrgOwnedQuerySet


class Period(models.TextChoices):
    MONTHLY = MONTH, "每月"
    QUARTERLY = QUARTER, "每季度"
    YEARLY = YEAR, "每年"


class ComplianceRule(models.Model):
    """A compliance rule: organizations of the listed types must hold `min_count` quorate
    meetings of `activity_type` every period. `year` null is the default rule set (SPEC §6,
    installed by a migration); a year with its own rows uses those instead."""

    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    code = models.SlugField("代码", max_length=40)
    activity_type = models.CharField("活动类型", max_length=10, choices=ActivityType.choices)
    period = models.CharField("周期", max_length=10, choices=Period.choices)
    min_count = models.PositiveSmallIntegerField("每周期至少次数", default=1)
    applies_to = models.JSONField("适用组织类型", default=list)
    min_formal_members = models.PositiveSmallIntegerField(
        "正式党员数下限", null=True, blank=True, help_text="如支部委员会只适用于正式党员≥7人的支部"
    )
    quorum_percent = models.PositiveSmallIntegerField(
        "到会比例（%）", default=50, help_text="实到人数须超过应到人数的该比例才计入"
    )
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "达标规则"
        verbose_name_plural = "达标规则"
        ordering = ["year", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="uniq_rule_year_code"),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(year=None), name="uniq_default_rule_code"
            ),
            models.CheckConstraint(
                condition=models.Q(quorum_percent__lte=100), name="rule_quorum_percent"
            ),
            models.CheckConstraint(condition=models.Q(min_count__gte=1), name="rule_min_count"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """ "主题党日 每月≥1次" — how the rule reads on every page."""
        return f"{self.activity_type} {PERIOD_LABELS[self.period]}≥{self.min_count}次"

    @property
    def conditions(self) -> str:
        parts = ["、".join(self.applies_to)]
        if self.min_formal_members:
            parts.append(f"正式党员≥{self.min_formal_members}人")
        parts.append(f"实到>应到×{self.quorum_percent}%")
        return "；".join(parts)


class Exemption(models.Model):
    """A branch excused from one rule (or all, when `rule_code` is empty) for some months,
    with a reason: those months are not judged for it."""

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="组织", on_delete=models.CASCADE, related_name="+"
    )
    rule_code = models.SlugField("规则", max_length=40, blank=True)
    first_month = models.DateField("起始月份")
    last_month = models.DateField("截止月份")
    reason = models.CharField("原因", max_length=200)
    created_by = models.CharField("经办人", max_length=100)
    created_at = models.DateTimeField("登记时间")

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "豁免"
        verbose_name_plural = "豁免"
        ordering = ["-first_month", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_month__lte=models.F("last_month")),
                name="exemption_months_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.first_month:%Y-%m}–{self.last_month:%Y-%m}"


class ComplianceRun(models.Model):
    """The latest evaluation of a year (a new run replaces the year's results)."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    judged_through = models.PositiveSmallIntegerField("已评价至月份", default=12)
    current_month = models.PositiveSmallIntegerField("进行中月份", null=True, blank=True)
    rules = models.JSONField("所用规则", default=list)
    stats = models.JSONField("统计", default=dict)
    seconds = models.FloatField("耗时（秒）", default=0)
    computed_at = models.DateTimeField("计算时间")
    actor_label = models.CharField("发起人", max_length=100)

    class Meta:
        verbose_name = "达标评价"
        verbose_name_plural = "达标评价"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}"


class BranchYear(models.Model):
    """One organization's year: the months rules applied to and the months it met them
    (12-bit masks, January = bit 0), and its own members in dues arrears."""

    year = models.PositiveSmallIntegerField("年度")
    organization = derived_key("orgs.Organization", indexed=False)
    applicable_mask = models.PositiveIntegerField(default=0)
    met_mask = models.PositiveIntegerField(default=0)
    formal_members = models.PositiveIntegerField("正式党员数", default=0)
    dues_arrears = models.PositiveIntegerField("欠缴党费人数", default=0)

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "organization"], name="uniq_branch_year")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year}"

    def status(self, month: int) -> bool | None:
        """True met, False missed, None no rule applied (SPEC §5 compliance booleans)."""
        bit = month_bit(month)
        if not self.applicable_mask & bit:
            return None
        return bool(self.met_mask & bit)

    @property
    def months(self) -> list[bool | None]:
        return [self.status(m) for m in range(1, 13)]


class RuleCheck(models.Model):
    """A rule check that was not met: missed (the period closed) or still owed (pending, the
    period is in progress). Met checks are not stored; they are every other applicable one."""

    year = models.PositiveSmallIntegerField("年度")
    organization = derived_key("orgs.Organization", indexed=False)
    rule_code = models.SlugField(max_length=40)
    rule_label = models.CharField("规则", max_length=60)
    activity_type = models.CharField("活动类型", max_length=10)
    check_month = models.PositiveSmallIntegerField("判定月份")
    first_month = models.PositiveSmallIntegerField("起始月份")
    counted = models.PositiveIntegerField("有效次数")
    required = models.PositiveIntegerField("要求次数")
    pending = models.BooleanField("进行中", default=False)

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["check_month", "rule_code"]
        indexes = [models.Index(fields=["year", "organization"], name="rulecheck_by_org")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year}-{self.check_month} {self.rule_label}"

    @property
    def months_label(self) -> str:
        if self.first_month == self.check_month:
            return f"{self.check_month}月"
        return f"{self.first_month}–{self.check_month}月"


class SubtreeYear(models.Model):
    """达标率 counts of an organization's whole subtree (itself included) for each month of a
    year: `a1`..`a12` branches a rule applied to in that month, `c1`..`c12` how many of them
    met every rule (integer columns, so the engine writes a whole jurisdiction in one
    statement; `applicable` and `compliant` read them as lists).

    Stored for organizations with children only: a leaf's subtree is itself, and
    `of_branch` derives it from its BranchYear (see `selectors.subtree_years`)."""

    year = models.PositiveSmallIntegerField("年度")
    organization = derived_key("orgs.Organization", indexed=False)
    a1 = models.PositiveIntegerField("1月适用支部数", default=0)
    a2 = models.PositiveIntegerField("2月适用支部数", default=0)
    a3 = models.PositiveIntegerField("3月适用支部数", default=0)
    a4 = models.PositiveIntegerField("4月适用支部数", default=0)
    a5 = models.PositiveIntegerField("5月适用支部数", default=0)
    a6 = models.PositiveIntegerField("6月适用支部数", default=0)
    a7 = models.PositiveIntegerField("7月适用支部数", default=0)
    a8 = models.PositiveIntegerField("8月适用支部数", default=0)
    a9 = models.PositiveIntegerField("9月适用支部数", default=0)
    a10 = models.PositiveIntegerField("10月适用支部数", default=0)
    a11 = models.PositiveIntegerField("11月适用支部数", default=0)
    a12 = models.PositiveIntegerField("12月适用支部数", default=0)
    c1 = models.PositiveIntegerField("1月达标支部数", default=0)
    c2 = models.PositiveIntegerField("2月达标支部数", default=0)
    c3 = models.PositiveIntegerField("3月达标支部数", default=0)
    c4 = models.PositiveIntegerField("4月达标支部数", default=0)
    c5 = models.PositiveIntegerField("5月达标支部数", default=0)
    c6 = models.PositiveIntegerField("6月达标支部数", default=0)
    c7 = models.PositiveIntegerField("7月达标支部数", default=0)
    c8 = models.PositiveIntegerField("8月达标支部数", default=0)
    c9 = models.PositiveIntegerField("9月达标支部数", default=0)
    c10 = models.PositiveIntegerField("10月达标支部数", default=0)
    c11 = models.PositiveIntegerField("11月达标支部数", default=0)
    c12 = models.PositiveIntegerField("12月达标支部数", default=0)

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "organization"], name="uniq_subtree_year")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year}"

    @classmethod
    def of_branch(cls, branch: BranchYear) -> SubtreeYear:
        """The subtree of a leaf organization: its own months judged and met."""
        row = cls(year=branch.year, organization_id=branch.organization_id)
        for m, status in enumerate(branch.months, start=1):
            if status is not None:
                setattr(row, f"a{m}", 1)
                setattr(row, f"c{m}", int(status))
        return row

    @property
    def applicable(self) -> list[int]:
        return [getattr(self, f"a{m}") for m in range(1, 13)]

    @property
    def compliant(self) -> list[int]:
        return [getattr(self, f"c{m}") for m in range(1, 13)]

    def month(self, month: int) -> MonthRate | None:
        """The counts of one month, None when no branch of the subtree had a rule."""
        applicable = getattr(self, f"a{month}")
        return MonthRate(applicable, getattr(self, f"c{month}")) if applicable else None

    @property
    def months(self) -> list[MonthRate | None]:
        return [
            MonthRate(a, c) if a else None
            for a, c in zip(self.applicable, self.compliant, strict=True)
        ]

    def over(self, months) -> MonthRate:
        """The counts summed over some months (a quarter, the year to date)."""
        return MonthRate(
            sum(getattr(self, f"a{m}") for m in months),
            sum(getattr(self, f"c{m}") for m in months),
        )


@dataclass(frozen=True)
class MonthRate:
    """Branch-months a rule applied to and how many of them were compliant: 达标率."""

    applicable: int
    compliant: int

    @property
    def rate(self) -> float | None:
        return self.compliant / self.applicable if self.applicable else None


class WarningKind(models.TextChoices):
    DUES = "dues", "连续未交党费"
    LIFE = "life", "连续未参加组织生活"


class MemberWarning(models.Model):
    """Early warning (never an automatic action): a member with six or more consecutive months
    of unpaid dues, or of no attended organizational life, listed for the branch to follow up."""

    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("类型", max_length=10, choices=WarningKind.choices)
    member = derived_key("members.Member")
    organization = derived_key("orgs.Organization", indexed=False)
    run_length = models.PositiveSmallIntegerField("连续月数")
    first_month = models.PositiveSmallIntegerField("起始月份")
    last_month = models.PositiveSmallIntegerField("截止月份")

    objects = OrgOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["organization_id", "-run_length", "member_id"]
        indexes = [models.Index(fields=["year", "organization"], name="warning_by_org")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.get_kind_display()} {self.run_length}"

    @property
    def months_label(self) -> str:
        return f"{self.first_month}–{self.last_month}月"
