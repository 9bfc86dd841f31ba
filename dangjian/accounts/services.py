"""Creating and changing user accounts (SPEC §1): every account has a role and a scope."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.accounts import audit
from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization


def generate_password() -> str:
    """A random initial password that satisfies the password policy."""
    return secrets.token_urlsafe(12)


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
    password = password or generate_password()
    user = User(username=username, role=role, scope=scope, display_name=display_name.strip()[:50])
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
