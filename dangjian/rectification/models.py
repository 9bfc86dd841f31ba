"""C7 整顿软弱涣散基层党组织: one rectification ledger per flagged organization and assessment
year, with its plan (一支部一方案), problems and countermeasures (一问题一对策), the leaders
attached to it (包点/挂点/驻点), its progress ledger and its state 整顿中 → 已转化 → 巩固."""

from __future__ import annotations

import datetime as dt

from django.db import models

from dangjian.rectification.choices import (
    COUNTERMEASURE_MAX,
    NAME_MAX,
    POST_MAX,
    PROBLEM_MAX,
    LeaderKind,
    State,
)
from dangjian.rectification.querysets import (
    LeaderQuerySet,
    ProblemQuerySet,
    ProgressQuerySet,
    RectificationQuerySet,
)


class Rectification(models.Model):
    """The rectification of one organization designated 软弱涣散 by the assessment of `year`.

    The assessment's score, class and reasons are copied when the ledger is opened, so the page
    still shows why the organization was flagged after the year is evaluated again.
    """

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("考核年度")
    state = models.CharField(
        "整顿状态", max_length=4, choices=State.choices, default=State.IN_PROGRESS
    )
    assessed_score = models.DecimalField(
        "考核综合得分", max_digits=5, decimal_places=2, null=True, blank=True
    )
    assessed_standing = models.CharField("考核类别", max_length=4, blank=True)
    assessed_reasons = models.JSONField("认定依据", default=list, blank=True)
    plan = models.TextField("整顿方案", blank=True)
    opened_at = models.DateTimeField("建立时间")
    opened_by = models.CharField("建立人", max_length=100)
    transformed_at = models.DateTimeField("验收转化时间", null=True, blank=True)
    acceptance_opinion = models.TextField("验收意见", blank=True)
    acceptor = models.CharField("验收人", max_length=NAME_MAX, blank=True)
    accepted_by = models.CharField("验收登记人", max_length=100, blank=True)
    consolidated_at = models.DateTimeField("巩固确认时间", null=True, blank=True)
    consolidation_note = models.TextField("巩固情况", blank=True)
    updated_at = models.DateTimeField("更新时间")

    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = "整顿台账"
        verbose_name_plural = "整顿台账"
        ordering = ["-year", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"], name="uniq_rectification_org_year"
            )
        ]
        indexes = [models.Index(fields=["year", "state"], name="rectification_year_state")]

    def __str__(self) -> str:
        return f"{self.organization} {self.year}年度整顿"

    @property
    def is_open(self) -> bool:
        """Plan, problems and leaders can still change (not yet accepted)."""
        return self.state == State.IN_PROGRESS

    @property
    def takes_progress(self) -> bool:
        """Progress is recorded while rectifying and while consolidating, not once closed."""
        return self.state != State.CONSOLIDATED

    @property
    def step(self) -> int:
        """1, 2 or 3: the position of the state on 整顿中 → 已转化 → 巩固."""
        return State.values.index(self.state) + 1


class Problem(models.Model):
    """One problem found in the organization and its countermeasure (一问题一对策)."""

    rectification = models.ForeignKey(
        Rectification, verbose_name="整顿台账", on_delete=models.CASCADE, related_name="problems"
    )
    problem = models.CharField("存在问题", max_length=PROBLEM_MAX)
    countermeasure = models.CharField("整改对策", max_length=COUNTERMEASURE_MAX)
    due_on = models.DateField("完成时限", null=True, blank=True)
    done = models.BooleanField("已解决", default=False)
    done_on = models.DateField("解决日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间")

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = "问题与对策"
        verbose_name_plural = "问题与对策"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.problem[:40]

    def is_overdue(self, today: dt.date) -> bool:
        """Not solved and past its due date."""
        return not self.done and self.due_on is not None and self.due_on < today


class Leader(models.Model):
    """A leader attached to the rectification: 包点, 挂点 or 驻点."""

    rectification = models.ForeignKey(
        Rectification, verbose_name="整顿台账", on_delete=models.CASCADE, related_name="leaders"
    )
    kind = models.CharField("包联方式", max_length=4, choices=LeaderKind.choices)
    name = models.CharField("姓名", max_length=NAME_MAX)
    post = models.CharField("职务/单位", max_length=POST_MAX, blank=True)
    assigned_at = models.DateTimeField("登记时间")

    objects = LeaderQuerySet.as_manager()

    class Meta:
        verbose_name = "包联领导"
        verbose_name_plural = "包联领导"
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rectification", "kind", "name"], name="uniq_rectification_leader"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class ProgressEntry(models.Model):
    """One line of the progress ledger (专项工作台账): what was done on a day."""

    rectification = models.ForeignKey(
        Rectification, verbose_name="整顿台账", on_delete=models.CASCADE, related_name="progress"
    )
    happened_on = models.DateField("日期")
    content = models.TextField("进展情况")
    recorded_by = models.CharField("记录人", max_length=100)
    recorded_at = models.DateTimeField("记录时间")

    objects = ProgressQuerySet.as_manager()

    class Meta:
        verbose_name = "整顿进展"
        verbose_name_plural = "整顿进展"
        ordering = ["-happened_on", "-id"]

    def __str__(self) -> str:
        return f"{self.happened_on} {self.content[:30]}"
