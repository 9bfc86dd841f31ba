"""A record of each import run, so the web page can show and download its error report.

A large upload is recorded first as queued, then imported by the task worker
(`imports.background`), which fills in the outcome."""

from django.conf import settings
from django.db import models

from dangjian.imports import sql


class ImportRun(models.Model):
    """One attempt to import a workbook: who, what, the outcome and every rejected row."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "导入中"
        SUCCEEDED = "succeeded", "成功"
        REJECTED = "rejected", "未通过校验，未导入"
        FAILED = "failed", "中断，未导入"

    started_at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    scope_path = models.CharField(max_length=255, blank=True, db_index=True)
    filename = models.CharField("文件", max_length=255)
    status = models.CharField("结果", max_length=20, choices=Status.choices)
    rows = models.PositiveIntegerField("数据行数", default=0)
    seconds = models.FloatField("耗时（秒）", default=0)
    summary = models.JSONField("各表结果", default=dict)
    issues = models.JSONField("问题", default=list)
    issue_count = models.PositiveIntegerField("问题数", default=0)  # kept by save()
    warnings = models.JSONField("提示", default=list)

    class Meta:
        verbose_name = "导入记录"
        verbose_name_plural = "导入记录"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.filename} {self.get_status_display()}"

    def save(self, *args, **kwargs) -> None:
        """Saved with the number of its issues, which pages read without the issues."""
        if "issues" not in self.get_deferred_fields():
            self.issue_count = len(self.issues)
            if (fields := kwargs.get("update_fields")) is not None and "issues" in fields:
                kwargs["update_fields"] = {*fields, "issue_count"}
        super().save(*args, **kwargs)

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def checked(self) -> bool:
        """Whether the whole file was read and checked (imported or rejected): its row count
        and time say something; a run that failed or is under way has neither."""
        return self.status in (self.Status.SUCCEEDED, self.Status.REJECTED)

    def first_issues(self, limit: int) -> list[list]:
        """The first `limit` issues, read in the database (`imports.sql`)."""
        return sql.first_issues(self, limit)
