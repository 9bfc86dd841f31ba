"""Notices: a message addressed to the accounts whose scope is one organization."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NoticeKind(models.TextChoices):
    DAILY = "daily", "日提醒"
    WEEKLY = "weekly", "周通报"
    MONTHLY = "monthly", "月约谈"


class NoticeQuerySet(models.QuerySet):
    def for_user(self, user):
        """Notices addressed to the user's scope organization."""
        if not getattr(user, "is_authenticated", False) or user.scope_id is None:
            return self.none()
        return self.filter(organization_id=user.scope_id)

    def unread_by(self, user):
        return self.for_user(user).exclude(reads__user=user)


class Notice(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="接收组织", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("类型", max_length=10, choices=NoticeKind.choices)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间")

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="notice_inbox")]

    def __str__(self) -> str:
        return self.title


class NoticeRead(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="uniq_notice_read")]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.user_id}"
