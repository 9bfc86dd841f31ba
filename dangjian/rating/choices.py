"""Fixed vocabularies of C8 public rating (values are stable codes, labels are Chinese)."""

from __future__ import annotations

from django.db import models


class TargetKind(models.TextChoices):
    """What is rated (一码统管: every department and service window has a code)."""

    DEPARTMENT = "department", "部门"
    WINDOW = "window", "服务窗口"
    STATION = "station", "便民服务站"


# The five levels of 政务服务“好差评” (SPEC §5b), best first as the public page shows them.
SCORE_LABELS = {
    5: "非常满意",
    4: "满意",
    3: "基本满意",
    2: "不满意",
    1: "非常不满意",
}
SATISFIED_MIN = 4  # 满意 and above count as satisfied
CASE_SCORE_MAX = 2  # a score of 不满意 or worse opens a case


class CaseState(models.TextChoices):
    """A complaint case: waiting to be routed, being handled by a department, answered (the
    person may say whether it solved the problem), closed."""

    PENDING = "pending", "待转办"
    HANDLING = "handling", "办理中"
    REPLIED = "replied", "已反馈"
    CLOSED = "closed", "已办结"


# States in which the department still owes an answer (the deadline runs).
OWED_STATES = frozenset({CaseState.PENDING, CaseState.HANDLING})
OPEN_STATES = frozenset({CaseState.PENDING, CaseState.HANDLING, CaseState.REPLIED})


class StepKind(models.TextChoices):
    """One line of a case's log (跟踪: every step is written down)."""

    OPENED = "opened", "受理"
    ASSIGNED = "assigned", "转办"
    TRACKED = "tracked", "跟踪"
    REPLIED = "replied", "反馈"
    ESCALATED = "escalated", "逾期督办"
    FEEDBACK = "feedback", "回访"
    REOPENED = "reopened", "重新办理"
    CLOSED = "closed", "办结"


# Text limits, checked with a Chinese message before the database sees them.
TARGET_NAME_MAX = 100
LOCATION_MAX = 200
COMMENT_MAX = 500
NOTE_MAX = 2000
REPLY_MAX = 2000
FEEDBACK_MAX = 500
DEVICE_MAX = 64
CODE_MAX = 16
