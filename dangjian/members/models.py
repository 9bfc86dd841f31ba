"""C1 members: personal information protected at rest, posts and transfer history."""

from __future__ import annotations

from django.db import models
from django.utils.functional import cached_property

from dangjian.core import pii
from dangjian.members.choices import Gender, MemberType, Post
from dangjian.members.querysets import MemberPostQuerySet, MemberQuerySet


class Member(models.Model):
    """A party member. The ID number is stored encrypted (`id_enc`) with a keyed hash
    (`id_hash`) for look-up and uniqueness, and a masked copy for lists that never decrypt."""

    id_hash = models.CharField(max_length=64, editable=False)  # unique: Meta.constraints
    id_enc = models.TextField(editable=False)
    id_masked = models.CharField("身份证号", max_length=18, editable=False)
    # Searched with contains (no B-tree helps) and never sorted on: no index to keep up to date.
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=20, default="汉族", blank=True)
    birth_date = models.DateField("出生日期")
    join_date = models.DateField("入党日期")
    member_type = models.CharField("党员类型", max_length=2, choices=MemberType.choices)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="所在组织",
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,  # member_list_order (organization, id) serves every look-up by it
    )
    phone_enc = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField("手机号", max_length=11, blank=True, editable=False)
    is_active = models.BooleanField("在册", default=True)
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("更新时间")

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["organization_id", "id"]
        indexes = [
            models.Index(fields=["organization", "is_active"]),
            models.Index(fields=["organization", "id"], name="member_list_order"),
        ]
        # A constraint rather than unique=True: PostgreSQL then gets the one unique index that
        # equality look-ups use, without the second pattern-ops index Django adds for LIKE on a
        # unique CharField (a hash is never searched by prefix); a province import writes
        # millions of rows into every index of this table.
        constraints = [models.UniqueConstraint(fields=["id_hash"], name="member_id_hash_unique")]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def own_posts(self) -> list[str]:
        """Posts held in the member's own organization, in the order they were given. Lists
        fill this for a whole page in one query (members.selectors.with_own_posts)."""
        posts = self.posts.in_holders_own_organization().order_by("id")
        return list(posts.values_list("post", flat=True))

    @property
    def id_number(self) -> str:
        """The full ID number. Only services that log the read may call this for display."""
        return pii.decrypt(self.id_enc)

    @property
    def phone(self) -> str:
        """The full phone number (see id_number)."""
        return pii.decrypt(self.phone_enc)


class MemberPost(models.Model):
    """A party post (党内职务) a member holds in an organization."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="posts")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="member_posts"
    )
    post = models.CharField("职务", max_length=10, choices=Post.choices)

    objects = MemberPostQuerySet.as_manager()

    class Meta:
        verbose_name = "党内职务"
        verbose_name_plural = "党内职务"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "organization", "post"], name="uniq_member_post"
            )
        ]
        indexes = [models.Index(fields=["post", "organization"], name="post_holders")]

    def __str__(self) -> str:
        return f"{self.member} {self.post}"


class MemberTransfer(models.Model):
    """A transfer of a member's organizational relationship (组织关系转接) between branches."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="transfers")
    from_org = models.ForeignKey(
        "orgs.Organization", verbose_name="转出组织", on_delete=models.PROTECT, related_name="+"
    )
    to_org = models.ForeignKey(
        "orgs.Organization", verbose_name="转入组织", on_delete=models.PROTECT, related_name="+"
    )
    transferred_on = models.DateField("转接日期")
    reason = models.CharField("原因", max_length=200, blank=True)
    actor_label = models.CharField("经办人", max_length=100)
    created_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["-transferred_on", "-id"]

    def __str__(self) -> str:
        return f"{self.member} {self.transferred_on}"


class PostTally(models.Model):
    """How many members hold a post in an organization (`own`) and in its whole subtree
    (`subtree`), so the member list filtered by post gives its total from one row. Kept by
    members.post_tallies whenever posts are written; rows with both counts 0 do not exist."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )
    post = models.CharField("职务", max_length=10, choices=Post.choices)
    own = models.PositiveIntegerField("本组织任职人数", default=0)
    subtree = models.PositiveIntegerField("含下级任职人数", default=0)

    class Meta:
        verbose_name = "职务人数"
        verbose_name_plural = "职务人数"
        constraints = [
            models.UniqueConstraint(fields=["organization", "post"], name="uniq_post_tally")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.post} {self.subtree}"
