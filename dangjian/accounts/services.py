"""Creating and changing user accounts (SPEC §1, §8): every account has a role and a scope;
an account made or reset by someone else must set its own password at its first sign-in."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.accounts import audit, lockout, passwords
from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization


def generate_password(username: str = "", display_name: str = "") -> str:
    """A random initial password that satisfies the password policy for this user."""
    while True:
        password = secrets.token_urlsafe(12)
        if not passwords.problems(password, username, display_name):
            return password


@transaction.atomic
def add_user(
    actor,
    username: str,
    role: str,
    scope: Organization,
    display_name: str = "",
    password: str | None = None,
) -> tuple[User, str]:
    """Create an account with a role and a scope; returns the user and the initial password."""
    username = username.strip()
    if not username or len(username) > 150:
        raise BusinessError("用户名不能为空，且不超过150个字符", "username")
    if role not in Role.values:
        raise BusinessError(f"未知的角色“{role}”，应为：{'、'.join(Role.values)}", "role")
    if User.objects.filter(username=username).exists():
        raise BusinessError(f"用户名 {username} 已存在", "username")
    if not scope.is_active:
        raise BusinessError("管辖范围的组织已撤销", "scope")
    display_name = display_name.strip()[:50]
    password = password or generate_password(username, display_name)
    user = User(
        username=username,
        role=role,
        scope=scope,
        display_name=display_name,
        must_change_password=True,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise BusinessError("；".join(exc.messages), "password") from None
    user.set_password(password)
    user.save()
    audit.record(
        actor,
        [
            audit.Change(
                audit.Action.CREATE,
                "用户",
                user.pk,
                username,
                scope.path,
                after={"角色": Role(role).label, "管辖范围": scope.name},
            )
        ],
    )
    return user, password


def _user_change(user, action: str, after: dict) -> audit.Change:
    path = user.scope.path if user.scope_id else ""
    return audit.Change(action, "用户", user.pk, user.get_username(), path, after=after)


@transaction.atomic
def change_password(user: User, new_password: str) -> None:
    """Set the user's own new password (already validated by the form); clears the forced
    change."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit.record(user, [_user_change(user, audit.Action.PASSWORD_CHANGE, {"方式": "本人修改"})])


@transaction.atomic
def reset_password(actor, user: User) -> str:
    """A new random password set by someone else; the user must change it at next sign-in.
    Returns the password to hand over."""
    password = generate_password(user.get_username(), user.display_name)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit.record(actor, [_user_change(user, audit.Action.SIGN_IN_RESET, {"密码": "已重置"})])
    return password


@transaction.atomic
def unlock(actor, user: User) -> int:
    """Forget the account's failed sign-ins from every address, which ends its locks (they no
    longer count toward their addresses either). Returns how many were forgotten."""
    key = lockout.normalize_username(user.get_username())
    deleted, _ = lockout.SignInAttempt.objects.filter(username=key, succeeded=False).delete()
    audit.record(actor, [_user_change(user, audit.Action.SIGN_IN_RESET, {"登录锁定": "已解除"})])
    return deleted
