"""Fixed vocabularies of C2. Values are the Chinese terms users type in Excel."""

from django.db import models


class ActivityType(models.TextChoices):
    """活动类型 of organizational life (三会一课 and the rest, SPEC C2)."""

    GENERAL_MEETING = "支部党员大会", "支部党员大会"
    COMMITTEE_MEETING = "支部委员会", "支部委员会"
    GROUP_MEETING = "党小组会", "党小组会"
    PARTY_LECTURE = "党课", "党课"
    THEME_DAY = "主题党日", "主题党日"
    LIFE_MEETING = "组织生活会", "组织生活会"
    MEMBER_REVIEW = "民主评议党员", "民主评议党员"


# Activities only a branch (党支部, 临时党支部) holds; a 党委 may hold a 党课.
BRANCH_ONLY_ACTIVITIES = frozenset(ActivityType.values) - {ActivityType.PARTY_LECTURE}


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "出席"
    LEAVE = "leave", "请假"
    ABSENT = "absent", "缺席"


class DuesCategory(models.TextChoices):
    """Who pays by which bracket (《关于中国共产党党费收缴、使用和管理的规定》)."""

    EMPLOYED = "employed", "在职"
    RETIRED = "retired", "离退休"
    FARMER = "farmer", "农民"
    LOW_INCOME = "low_income", "学生/下岗失业/依靠救济"


# Attachments of minutes: PDF and images, recognised by their first bytes, not their names.
ATTACHMENT_TYPES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_MEETING = 10

# Ledger entries before this date are typing mistakes (the Party was founded in 1921).
EARLIEST_LEDGER_DATE = "2000-01-01"
