"""C2 records: meetings with attendance and attachments, monthly dues, closed years."""

from __future__ import annotations

from django.db import models

from dangjian.core.derived import derived_key
from dangjian.core.money import fen_to_yuan
from dangjian.ledger.choices import ActivityType, AttendanceStatus, DuesCategory
from dangjian.ledger.querysets import AttachmentQuerySet, DuesQuerySet, MeetingQuerySet


class Meeting(models.Model):
    """One session of organizational life. Recorded on a page, 应到/实到 come from the ticked
    attendance; imported, they come from the file (SPEC §5) and there is no attendance."""

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="meetings"
    )
    activity_type = models.CharField("活动类型", max_length=10, choices=ActivityType.choices)
    held_on = models.DateField("日期")
    topic = models.CharField("主题", max_length=200)
    first_topic = models.BooleanField("第一议题", default=False)
    expected = models.PositiveIntegerField("应到人数")
    present = models.PositiveIntegerField("实到人数")
    minutes = models.TextField("会议记录", blank=True)
    has_attendance = models.BooleanField("逐人签到", default=False)
    recorded_by = models.CharField("记录人", max_length=100, blank=True)
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("更新时间")

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = "组织生活"
        verbose_name_plural = "组织生活"
        ordering = ["-held_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "activity_type", "held_on", "topic"],
                name="uniq_meeting_key",
            ),
            models.CheckConstraint(
                condition=models.Q(present__lte=models.F("expected")), name="present_le_expected"
            ),
        ]
        indexes = [
            models.Index(fields=["held_on", "organization"], name="meeting_by_date"),
            # the few branches that record attendance person by person (attendance lapses)
            models.Index(
                fields=["held_on", "organization"],
                condition=models.Q(has_attendance=True),
                name="meeting_with_roll_call",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held_on} {self.activity_type} {self.topic}"

    def is_quorate(self, quorum_percent: int) -> bool:
        """实到 > 应到 × quorum (SPEC §6: more than half by default)."""
        return self.present * 100 > self.expected * quorum_percent


class Attendance(models.Model):
    """A member of the branch at one meeting: present, on leave (with reason) or absent."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="attendance"
    )
    status = models.CharField("出勤", max_length=10, choices=AttendanceStatus.choices)
    leave_reason = models.CharField("请假事由", max_length=100, blank=True)

    class Meta:
        verbose_name = "出勤"
        verbose_name_plural = "出勤"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="uniq_attendance")
        ]
        indexes = [models.Index(fields=["member", "status"], name="attendance_by_member")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.member_id} {self.status}"


class MeetingAttachment(models.Model):
    """A PDF or image of the minutes, served only through a scoped view."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="meetings/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField("大小")
    uploaded_at = models.DateTimeField("上传时间")

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.original_name


class DuesPayment(models.Model):
    """党费 of one member for one month, in fen: 应交 (due) and 实交 (paid)."""

    # No database constraint and no index of its own: every writer resolves the member first
    # (an import joins the register), a deleted member's dues cascade through Django, the
    # unique (member, year, month) index serves look-ups by member, and the constraint's
    # check of each of a province's 35 M rows at COMMIT cost minutes.
    # `manage.py check_ledger_facts` reports dues whose member is missing.
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.CASCADE,
        related_name="dues",
        db_constraint=False,
        db_index=False,
    )
    year = models.PositiveSmallIntegerField("年")
    month = models.PositiveSmallIntegerField("月")
    due_fen = models.PositiveIntegerField("应交（分）")
    paid_fen = models.PositiveIntegerField("实交（分）")
    income_fen = models.PositiveIntegerField("月收入（分）", null=True, blank=True)
    category = models.CharField(
        "缴纳类别", max_length=20, choices=DuesCategory.choices, default=DuesCategory.EMPLOYED
    )
    updated_at = models.DateTimeField("更新时间")

    objects = DuesQuerySet.as_manager()

    class Meta:
        verbose_name = "党费"
        verbose_name_plural = "党费"
        constraints = [
            models.UniqueConstraint(fields=["member", "year", "month"], name="uniq_dues_month"),
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12), name="dues_month_range"
            ),
        ]
        indexes = [models.Index(fields=["year", "member"], name="dues_by_year")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}-{self.month:02d}"

    @property
    def is_paid(self) -> bool:
        """SPEC §6: unpaid when 实交 < 应交."""
        return self.paid_fen >= self.due_fen

    @property
    def due_yuan(self) -> str:
        return fen_to_yuan(self.due_fen)

    @property
    def paid_yuan(self) -> str:
        return fen_to_yuan(self.paid_fen)


class DuesBracket(models.Model):
    """One bracket of the dues regulations: for a category, incomes up to `up_to_fen`
    (None: no upper bound) pay `basis_points`/10000 of the income, or a fixed amount."""

    category = models.CharField("缴纳类别", max_length=20, choices=DuesCategory.choices)
    up_to_fen = models.PositiveIntegerField("月收入上限（分，含）", null=True, blank=True)
    basis_points = models.PositiveIntegerField("比例（万分之）", null=True, blank=True)
    fixed_fen = models.PositiveIntegerField("固定金额（分）", null=True, blank=True)

    class Meta:
        verbose_name = "党费标准"
        verbose_name_plural = "党费标准"
        ordering = ["category", models.F("up_to_fen").asc(nulls_last=True)]

    def __str__(self) -> str:
        return f"{self.get_category_display()} ≤{fen_to_yuan(self.up_to_fen) or '∞'}"


class ClosedYear(models.Model):
    """A year whose ledgers are closed (关账): no more meetings or dues may be entered."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    closed_at = models.DateTimeField("关账时间")
    closed_by = models.CharField("经办人", max_length=100)

    class Meta:
        verbose_name = "已关账年度"
        verbose_name_plural = "已关账年度"

    def __str__(self) -> str:
        return str(self.year)


class MemberYear(models.Model):
    """Compact facts of one member's year, kept equal to the raw rows by `ledger.facts`
    whenever dues, attendance or members are written: the months paid in full (a 党费 row
    with 实交 ≥ 应交) and the months with attended organizational life, as 12-bit masks
    (January = bit 0). Every member has a row in each year listed in `MemberFactYear`. The
    compliance engine reads these instead of every dues row."""

    member = derived_key("members.Member")
    year = models.PositiveSmallIntegerField("年")
    paid_mask = models.PositiveIntegerField("足额缴纳月份", default=0)
    attended_mask = models.PositiveIntegerField("参加组织生活月份", default=0)

    class Meta:
        verbose_name = "党员年度台账汇总"
        verbose_name_plural = "党员年度台账汇总"
        constraints = [models.UniqueConstraint(fields=["year", "member"], name="uniq_member_year")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}"


class MemberFactYear(models.Model):
    """A year whose `MemberYear` facts are complete: one row for every member. Added by the
    first full computation of the year (a large 党费 import, or an evaluation that needs it);
    from then on every writer of dues, attendance and members keeps the year's rows."""

    year = models.PositiveSmallIntegerField("年", unique=True)

    def __str__(self) -> str:
        return str(self.year)


class ActivityMonths(models.Model):
    """Compact facts of one organization's year for one activity type, as counted under one
    quorum (实到 × 100 > 应到 × quorum_percent): the number of quorate meetings in each month
    (m1 = January). Kept equal to the raw meetings by `ledger.facts` for every quorum listed
    in `ActivityQuorum` for the year; the compliance engine reads these rows instead of every
    meeting."""

    organization = derived_key("orgs.Organization", indexed=False)
    year = models.PositiveSmallIntegerField("年")
    activity_type = models.CharField("活动类型", max_length=10, choices=ActivityType.choices)
    quorum_percent = models.PositiveSmallIntegerField("到会比例（%）")
    m1 = models.PositiveIntegerField(default=0)
    m2 = models.PositiveIntegerField(default=0)
    m3 = models.PositiveIntegerField(default=0)
    m4 = models.PositiveIntegerField(default=0)
    m5 = models.PositiveIntegerField(default=0)
    m6 = models.PositiveIntegerField(default=0)
    m7 = models.PositiveIntegerField(default=0)
    m8 = models.PositiveIntegerField(default=0)
    m9 = models.PositiveIntegerField(default=0)
    m10 = models.PositiveIntegerField(default=0)
    m11 = models.PositiveIntegerField(default=0)
    m12 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "组织年度活动汇总"
        verbose_name_plural = "组织年度活动汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["year", "quorum_percent", "organization", "activity_type"],
                name="uniq_activity_months",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year} {self.activity_type} {self.quorum_percent}%"


class ActivityQuorum(models.Model):
    """A (year, quorum) whose `ActivityMonths` facts are kept: added when an evaluation first
    needs that quorum for that year, refreshed by every writer of meetings from then on."""

    year = models.PositiveSmallIntegerField("年")
    quorum_percent = models.PositiveSmallIntegerField("到会比例（%）")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "quorum_percent"], name="uniq_activity_quorum")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.quorum_percent}%"
