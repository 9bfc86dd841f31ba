"""The bulletin archive (SPEC C17): every bulletin generated, on a page, by the schedule or from
the command line, with its PDF and its Excel workbook exactly as they were generated.

The documents are stored in the database (bytea / BLOB), not as media files:
- a bulletin and its documents are one row, written in one transaction with its audit entry,
  so there is never an archive entry whose file is missing or a file without an entry;
- `manage.py backup`/`restore` and PostgreSQL replicas carry them with the rest (checksummed
  table by table), and several application servers need no shared file system;
- the database refuses to change them: on PostgreSQL a trigger rejects UPDATE and DELETE of
  this table (migration 0002), and the model refuses both on every database;
- they are small (a county's monthly bulletin ≈ 200 KB of PDF, most of it the CJK font
  subset, and 12 KB of Excel), written rarely and read rarely; bench/README.md gives the
  sizes and what the schedule adds a year.
Archive pages never load them: `listing()` defers both columns.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.errors import BusinessError
from dangjian.orgs.querysets import OrgOwnedQuerySet
from dangjian.reports.choices import Kind, Trigger

IMMUTABLE = "通报归档生成后不可修改或删除"


class BulletinQuerySet(OrgOwnedQuerySet):
    """Bulletins, scoped by their organization's path (visible_to, in_subtree)."""

    def listing(self):
        """Without the documents: what the archive page shows."""
        return self.defer("pdf", "xlsx")

    def update(self, **kwargs):
        """Refused: an archived bulletin never changes."""
        raise BusinessError(IMMUTABLE)

    def delete(self):
        """Refused: an archived bulletin is never removed."""
        raise BusinessError(IMMUTABLE)


class Bulletin(models.Model):
    """One archived bulletin of an organization (its whole subtree) for one period. A bulletin
    generated again for the same period is a new edition; earlier editions stay."""

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField("期间", max_length=10)  # 2026-W47, 2026-10, 2025
    period_start = models.DateField("起始日期")
    period_end = models.DateField("截止日期")
    edition = models.PositiveSmallIntegerField("版次", default=1)
    title = models.CharField("标题", max_length=200)
    summary = models.JSONField("要点", default=dict)
    trigger = models.CharField("生成方式", max_length=10, choices=Trigger.choices)
    created_at = models.DateTimeField("生成时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="生成人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_label = models.CharField("生成人", max_length=100)
    seconds = models.FloatField("生成用时（秒）", default=0)
    pdf = models.BinaryField("PDF")
    pdf_size = models.PositiveIntegerField("PDF 字节数")
    pdf_sha256 = models.CharField("PDF 校验值", max_length=64)
    xlsx = models.BinaryField("Excel")
    xlsx_size = models.PositiveIntegerField("Excel 字节数")
    xlsx_sha256 = models.CharField("Excel 校验值", max_length=64)

    objects = BulletinQuerySet.as_manager()

    class Meta:
        verbose_name = "通报"
        verbose_name_plural = "通报"
        ordering = ["-period_start", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "period", "edition"], name="uniq_bulletin_edition"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "kind", "period"], name="bulletin_by_org"),
            models.Index(fields=["kind", "period"], name="bulletin_by_period"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        """Inserts only: saving an archived bulletin again is refused."""
        if not self._state.adding:
            raise BusinessError(IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        """Refused: an archived bulletin is never removed."""
        raise BusinessError(IMMUTABLE)

    @property
    def filename_stem(self) -> str:
        """File names of the downloads: 月通报-<组织>-2026-10[-第2版]."""
        edition = f"-第{self.edition}版" if self.edition > 1 else ""
        return f"{self.get_kind_display()}-{self.organization.name}-{self.period}{edition}"
