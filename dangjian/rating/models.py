"""C8 public rating: rated targets (a department, a service window, a village service station)
with their QR code, the ratings the public gives them, complaint cases with their step log, and
the monthly satisfaction rollups per target and per organization (own and subtree)."""

from __future__ import annotations

import datetime as dt

from django.db import models

from dangjian.rating.choices import (
    CODE_MAX,
    LOCATION_MAX,
    OWED_STATES,
    SATISFIED_MIN,
    SCORE_LABELS,
    TARGET_NAME_MAX,
    CaseState,
    StepKind,
    TargetKind,
)
from dangjian.rating.querysets import (
    CaseQuerySet,
    CaseStepQuerySet,
    RatingQuerySet,
    TargetMonthQuerySet,
    TargetQuerySet,
)


class RatedTarget(models.Model):
    """Something the public rates through its QR code, registered under an organization.

    Its organization does not change once it has ratings (ratings and rollups keep the one
    they were given under); a different department gets a new target and a new poster."""

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="所属组织", on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField("评议码", max_length=CODE_MAX, unique=True)
    name = models.CharField("名称", max_length=TARGET_NAME_MAX)
    kind = models.CharField("类型", max_length=12, choices=TargetKind.choices)
    location = models.CharField("地点", max_length=LOCATION_MAX, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("登记时间")
    updated_at = models.DateTimeField("更新时间")

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = "评议对象"
        verbose_name_plural = "评议对象"
        ordering = ["organization_id", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Rating(models.Model):
    """One rating by a member of the public. Written by the public endpoint in one INSERT
    (dangjian/rating/sql.py); `device` and `address` are keyed hashes (never the raw values),
    `phone` is encrypted, and `counted` is false for a repeat of the same target by the same
    device within the repeat window (it counts once)."""

    target = models.ForeignKey(
        RatedTarget, verbose_name="评议对象", on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="所属组织",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    score = models.PositiveSmallIntegerField("评价", choices=sorted(SCORE_LABELS.items()))
    comment = models.TextField("意见建议", blank=True)
    phone = models.CharField("联系电话", max_length=120, blank=True)  # encrypted (core.pii)
    device = models.CharField("设备标识", max_length=32)
    address = models.CharField("网络地址标识", max_length=32)
    counted = models.BooleanField("计入统计", default=True)
    month = models.DateField("月份")  # first day of the local month of created_at
    created_at = models.DateTimeField("评价时间")

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = "群众评价"
        verbose_name_plural = "群众评价"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_5"
            )
        ]
        indexes = [
            # abuse limits and the repeat window look up by device and by address over time
            models.Index(fields=["device", "created_at"], name="rating_device_time"),
            models.Index(fields=["address", "created_at"], name="rating_address_time"),
            # rollups group a month's ratings by target; lists read newest first per org
            models.Index(fields=["month", "target"], name="rating_month_target"),
            models.Index(fields=["organization", "created_at"], name="rating_org_time"),
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.score}"

    @property
    def satisfied(self) -> bool:
        return self.score >= SATISFIED_MIN

    @property
    def score_label(self) -> str:
        return SCORE_LABELS.get(self.score, "")


class Case(models.Model):
    """A complaint case opened by a rating of 不满意 or worse, or by a complaint text.

    `organization` is the department responsible now (the target's at first; 转办 and
    escalation change it); the case is seen by the users whose scope holds that department or
    the target. The person reads it with `tracking_code` and nothing personal is shown."""

    rating = models.OneToOneField(
        Rating, verbose_name="评价", on_delete=models.PROTECT, related_name="case"
    )
    target = models.ForeignKey(
        RatedTarget, verbose_name="评议对象", on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="承办单位", on_delete=models.PROTECT, related_name="+"
    )
    tracking_code = models.CharField("查询码", max_length=CODE_MAX, unique=True)
    state = models.CharField(
        "状态", max_length=10, choices=CaseState.choices, default=CaseState.PENDING
    )
    score = models.PositiveSmallIntegerField("评价", choices=sorted(SCORE_LABELS.items()))
    complaint = models.TextField("诉求内容", blank=True)
    month = models.DateField("月份")
    opened_at = models.DateTimeField("受理时间")
    deadline = models.DateField("办理时限")
    escalation_level = models.PositiveSmallIntegerField("督办次数", default=0)
    escalated_at = models.DateTimeField("最近督办时间", null=True, blank=True)
    reply = models.TextField("答复内容", blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    replied_by = models.CharField("答复人", max_length=100, blank=True)
    resolved = models.BooleanField("问题已解决", null=True, blank=True)
    feedback = models.TextField("回访意见", blank=True)
    feedback_at = models.DateTimeField("回访时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间")

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = "群众诉求"
        verbose_name_plural = "群众诉求"
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["state", "deadline"], name="case_state_deadline"),
            models.Index(fields=["month", "target"], name="case_month_target"),
            models.Index(fields=["organization", "state"], name="case_org_state"),
            models.Index(fields=["target", "state"], name="case_target_state"),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    @property
    def is_owed(self) -> bool:
        """The department still owes an answer."""
        return self.state in OWED_STATES

    def is_overdue(self, today: dt.date) -> bool:
        """Still owed and past its deadline."""
        return self.is_owed and self.deadline < today

    @property
    def score_label(self) -> str:
        return SCORE_LABELS.get(self.score, "")

    @property
    def tracking_display(self) -> str:
        """The tracking code in two groups, easier to read aloud and copy."""
        code = self.tracking_code
        return f"{code[:5]}-{code[5:]}" if len(code) == 10 else code


class CaseStep(models.Model):
    """One step of a case, in order: who did what, for which department, with what note."""

    case = models.ForeignKey(
        Case, verbose_name="诉求", on_delete=models.CASCADE, related_name="steps"
    )
    kind = models.CharField("环节", max_length=10, choices=StepKind.choices)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField("说明", blank=True)
    deadline = models.DateField("办理时限", null=True, blank=True)
    actor_label = models.CharField("办理人", max_length=100)
    at = models.DateTimeField("时间")

    objects = CaseStepQuerySet.as_manager()

    class Meta:
        verbose_name = "诉求办理记录"
        verbose_name_plural = "诉求办理记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class Counts(models.Model):
    """Columns every satisfaction rollup row holds: counted ratings by level, their sum, the
    cases opened in the month and, as of the last refresh, how many are open and overdue."""

    month = models.DateField("月份")
    ratings = models.PositiveIntegerField("评价数", default=0)
    s1 = models.PositiveIntegerField("非常不满意", default=0)
    s2 = models.PositiveIntegerField("不满意", default=0)
    s3 = models.PositiveIntegerField("基本满意", default=0)
    s4 = models.PositiveIntegerField("满意", default=0)
    s5 = models.PositiveIntegerField("非常满意", default=0)
    score_sum = models.PositiveIntegerField("评分合计", default=0)
    cases = models.PositiveIntegerField("诉求数", default=0)
    open_cases = models.PositiveIntegerField("未办结诉求", default=0)
    overdue_cases = models.PositiveIntegerField("逾期诉求", default=0)

    class Meta:
        abstract = True

    @property
    def satisfied(self) -> int:
        return self.s4 + self.s5

    @property
    def satisfied_rate(self) -> float | None:
        """Share of 满意 and above among counted ratings (None without ratings)."""
        return self.satisfied / self.ratings if self.ratings else None

    @property
    def average(self) -> float | None:
        return self.score_sum / self.ratings if self.ratings else None


class TargetMonth(Counts):
    """Satisfaction of one target in one month (rollups.py refreshes it set-based)."""

    target = models.ForeignKey(RatedTarget, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )

    objects = TargetMonthQuerySet.as_manager()

    class Meta:
        verbose_name = "评议对象月度满意度"
        verbose_name_plural = "评议对象月度满意度"
        ordering = ["month", "target_id"]
        constraints = [
            models.UniqueConstraint(fields=["target", "month"], name="uniq_target_month")
        ]
        indexes = [models.Index(fields=["month", "organization"], name="targetmonth_month_org")]

    def __str__(self) -> str:
        return f"{self.target_id} {self.month:%Y-%m}"


class OrgMonth(Counts):
    """Satisfaction of an organization's own targets (`subtree` false) or of every target in
    its subtree (`subtree` true) in one month."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )
    subtree = models.BooleanField("含下级")

    objects = TargetMonthQuerySet.as_manager()

    class Meta:
        verbose_name = "组织月度满意度"
        verbose_name_plural = "组织月度满意度"
        ordering = ["month", "organization_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month", "subtree"], name="uniq_org_month_scope"
            )
        ]
        indexes = [models.Index(fields=["month", "subtree"], name="orgmonth_month_scope")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month:%Y-%m} {'subtree' if self.subtree else 'own'}"


class RollupMark(models.Model):
    """How far the rollups have read the ratings: the highest rating id already rolled up
    (the scheduled refresh reads only the targets and months of newer ratings)."""

    name = models.CharField(max_length=30, unique=True)
    last_rating_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "满意度汇总进度"
        verbose_name_plural = "满意度汇总进度"

    def __str__(self) -> str:
        return f"{self.name} {self.last_rating_id}"
