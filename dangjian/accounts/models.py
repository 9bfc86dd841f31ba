"""Users with a role and a scope, and the append-only audit log (SPEC §1, §3, §8)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from dangjian.accounts.choices import Action
from dangjian.accounts.roles import Role, role_allows


class User(AbstractUser):
    """A signed-in person. Their scope is a subtree of the organization tree: they see and
    change only what lies inside it (SPEC §1)."""

    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.MEMBER)
    scope = models.ForeignKey(
        "orgs.Organization",
        verbose_name="管辖范围",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="用户可见可管的组织子树的根；为空则看不到任何数据。",
    )
    display_name = models.CharField("姓名", max_length=50, blank=True)
    must_change_password = models.BooleanField(
        "须修改密码",
        default=False,
        help_text="由他人创建或重置的账号：首次登录须先设置自己的新密码。",
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def scope_path(self) -> str | None:
        """The materialized path of the scope root, or None when the user sees nothing."""
        return self.scope.path if self.scope_id else None

    def can(self, perm: str) -> bool:
        """True when the user's role grants `perm` (superusers included)."""
        return self.is_active and (self.is_superuser or role_allows(self.role, perm))


class SignInAttempt(models.Model):
    """One password sign-in attempt, kept so that lockout works across server workers
    (SPEC §8; rules in dangjian.accounts.lockout). `username` is the casefolded name as typed,
    which need not be an account; `address` is the client's network address (an IPv6 address
    as its /64 network)."""

    at = models.DateTimeField("时间")
    username = models.CharField("用户名", max_length=150)
    address = models.CharField("网络地址", max_length=64)
    succeeded = models.BooleanField("成功")

    class Meta:
        verbose_name = "登录尝试"
        verbose_name_plural = "登录尝试"
        indexes = [
            models.Index(fields=["username", "at"], name="signin_user_at"),
            models.Index(fields=["address", "at"], name="signin_address_at"),
            models.Index(fields=["at"], name="signin_at"),
        ]

    def __str__(self) -> str:
        outcome = "成功" if self.succeeded else "失败"
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.address} {outcome}"


class AuditQuerySet(models.QuerySet):
    """The audit log is append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise PermissionError("审计日志不可修改")

    def delete(self):
        raise PermissionError("审计日志不可删除")

    def visible_to(self, user) -> AuditQuerySet:
        """Entries about objects inside the user's scope."""
        from dangjian.orgs.querysets import is_jurisdiction_root

        path = getattr(user, "scope_path", None)
        if not path:
            return self.none()
        if is_jurisdiction_root(path):  # the root also sees system (command-line) entries
            return self.all()
        return self.filter(org_path__startswith=path)


class AuditEntry(models.Model):
    """One change (or a sign-in, or a full read of personal information): who, when, before,
    after. Each entry carries an HMAC over its content and the previous entry's hash, so any
    edit or deletion breaks the chain and can be found."""

    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        User, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField("操作人", max_length=100)
    action = models.CharField("操作", max_length=40)
    object_type = models.CharField("对象类型", max_length=40)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    org_path = models.CharField("所属组织路径", max_length=255, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # Entries are found by subtree (org_path LIKE 'path%'): one pattern-ops index on
            # PostgreSQL (plain elsewhere) instead of Django's pair of a plain and a LIKE index.
            models.Index(
                fields=["org_path"], name="audit_org_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            # The audit page's date range (entries are appended in time order, so the index
            # grows at its right edge only).
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计日志不可修改")
        raise PermissionError("审计日志只能通过 dangjian.accounts.audit 写入")

    def delete(self, *args, **kwargs):
        raise PermissionError("审计日志不可删除")

    @property
    def action_label(self) -> str:
        """The action in Chinese."""
        return Action.LABELS.get(self.action, self.action)


class AuditAnchor(models.Model):
    """Where a purge of entries past their retention cut the chain: the id and hash of the last
    entry removed, signed with the chain key, so the entries kept still verify from there."""

    created_at = models.DateTimeField("清理时间")
    cutoff = models.DateTimeField("清理截止时间")
    through_id = models.BigIntegerField("清理至")
    anchor_hash = models.CharField(max_length=64)
    purged = models.PositiveIntegerField("清理条数")
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = "审计日志清理锚点"
        verbose_name_plural = "审计日志清理锚点"

    def __str__(self) -> str:
        return f"{self.cutoff:%Y-%m-%d} 前 {self.purged} 条"


class AuditSeal(models.Model):
    """The hash of the newest entry, signed with the chain key and rewritten by every append.
    The chain alone cannot show that its newest entries were deleted; a seal that no longer
    matches the last entry can."""

    last_hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = "审计日志链尾封存"
        verbose_name_plural = "审计日志链尾封存"

    def __str__(self) -> str:
        return self.last_hash[:12]
