"""Fixed vocabularies of C17 (values are stable codes, labels are the Chinese terms)."""

from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    """What a bulletin is: 周通报 (compliance ranking and ledger activity of a week), 月通报
    (compliance, dues, satisfaction and cases of a month), 成绩单 (a year's assessment)."""

    WEEKLY = "weekly", "周通报"
    MONTHLY = "monthly", "月通报"
    YEARLY = "yearly", "成绩单"


class Trigger(models.TextChoices):
    """How a bulletin came to be archived."""

    PAGE = "page", "页面生成"
    SCHEDULE = "schedule", "定时生成"
    COMMAND = "command", "命令行生成"
