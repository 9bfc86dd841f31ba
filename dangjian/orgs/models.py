"""C1 organizations: the tree (materialized path), categories and history."""

from __future__ import annotations

from django.db import models
from treebeard.mp_tree import MP_Node, MP_NodeManager

from dangjian.orgs.choices import (
    BRANCH_TYPES,
    PARTY_STAFF_MIN_RATIO_PERCENT,
    OrgEventKind,
    OrgType,
)
from dangjian.orgs.querysets import OrganizationQuerySet


class Category(models.Model):
    """组织类别: configurable data; the SPEC's defaults are installed by a migration."""

    name = models.CharField("类别名称", max_length=50, unique=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "组织类别"
        verbose_name_plural = "组织类别"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class OrganizationManager(MP_NodeManager.from_queryset(OrganizationQuerySet)):
    """Treebeard's manager (ordered by path) with the named filters of OrganizationQuerySet."""

    def get_queryset(self) -> OrganizationQuerySet:
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")


class Organization(MP_Node):
    """A party organization in the tree. `path` (4 characters a level) defines the subtree used
    for scope; `parent` is kept alongside it for cheap child look-ups."""

    steplen = 4
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    code = models.CharField("组织编码", max_length=32, unique=True)
    name = models.CharField("组织名称", max_length=100, db_index=True)
    org_type = models.CharField("组织类型", max_length=10, choices=OrgType.choices)
    category = models.ForeignKey(Category, verbose_name="组织类别", on_delete=models.PROTECT)
    staff_count = models.PositiveIntegerField("工作人员数", default=0)
    party_staff_count = models.PositiveIntegerField("专职党务人员数", default=0)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    established_on = models.DateField("成立日期", null=True, blank=True)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    is_active = models.BooleanField("有效", default=True)
    # Rollups of the organization's own members (not its subtree), kept by
    # dangjian.members.rollups whenever members are written; pages sum them over a subtree.
    member_count = models.PositiveIntegerField("党员数", db_default=0, editable=False)
    probationary_count = models.PositiveIntegerField("预备党员数", db_default=0, editable=False)
    # Subtree totals (this organization and everything below it), kept by orgs.rollups so a
    # page of any organization, the root included, reads one row instead of scanning the tree.
    subtree_members = models.PositiveIntegerField("党员数（含下级）", db_default=0, editable=False)
    subtree_probationary = models.PositiveIntegerField(
        "预备党员数（含下级）", db_default=0, editable=False
    )
    subtree_orgs = models.PositiveIntegerField("下级组织数", db_default=0, editable=False)
    subtree_branches = models.PositiveIntegerField("下级支部数", db_default=0, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = OrganizationManager()

    class Meta:
        verbose_name = "组织"
        verbose_name_plural = "组织"
        # Search results come in (depth, path) order, so a LIMIT stops after the first matches.
        indexes = [
            models.Index(fields=["depth", "path"], name="org_depth_path"),
            # Dissolved organizations are few: list totals count them by this small index.
            models.Index(
                fields=["path"], condition=models.Q(is_active=False), name="org_dissolved_path"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_branch(self) -> bool:
        """Branches (党支部, 临时党支部) are the only organizations that hold members."""
        return self.org_type in BRANCH_TYPES

    @property
    def party_staff_ratio_ok(self) -> bool | None:
        """Seed 000's ≥ 2% check of full-time party-affairs staff; None when no staff count."""
        if not self.staff_count:
            return None
        return self.party_staff_count * 100 >= self.staff_count * PARTY_STAFF_MIN_RATIO_PERCENT

    @property
    def party_staff_percent(self) -> float | None:
        """Full-time party-affairs staff as a percentage of staff."""
        if not self.staff_count:
            return None
        return self.party_staff_count * 100 / self.staff_count


def path_chain(path: str, *, itself: bool = True) -> list[str]:
    """The materialized paths from the tree's root down to `path`: every ancestor's, then
    `path` itself unless `itself` is False (one per level of the tree, no query)."""
    step = Organization.steplen
    return [path[:end] for end in range(step, len(path) + (1 if itself else 0), step)]


class OrgEvent(models.Model):
    """One entry of an organization's history: set-up, renaming, moves, dissolution."""

    organization = models.ForeignKey(
        Organization, verbose_name="组织", on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField("事项", max_length=20, choices=OrgEventKind.choices)
    happened_on = models.DateField("日期")
    summary = models.CharField("说明", max_length=300)
    actor_label = models.CharField("经办人", max_length=100)
    created_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "组织沿革"
        verbose_name_plural = "组织沿革"
        ordering = ["-happened_on", "-id"]

    def __str__(self) -> str:
        return f"{self.happened_on} {self.get_kind_display()} {self.summary}"
