"""Signing in with a password (SPEC §8): lockout checks, the attempt records and the audit
entries of every sign-in event (success, failure, lockout, refusal while locked, sign-out).

The functions take the typed username and the client's address, never the request, so tests
call them directly. Rules of the lockout itself: dangjian.accounts.lockout.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dangjian.accounts import audit, lockout
from dangjian.accounts.second_factor import needs_second_factor

ANONYMOUS = "未登录访客"
LOCK_KINDS = {lockout.PAIR: "账号+地址", lockout.ADDRESS: "地址", lockout.ACCOUNT: "账号"}


def _account(username: str):
    """The account a typed username names (exactly as the sign-in backend looks it up)."""
    User = get_user_model()
    try:
        lookup = {User.USERNAME_FIELD: username.strip()}
        return User._default_manager.select_related("scope").get(**lookup)
    except (User.DoesNotExist, ValueError):
        return None


def _change(action: str, username: str, user, after: dict) -> audit.Change:
    if user is None:
        return audit.Change(action, "用户", "", username.strip()[:50], "", after=after)
    path = user.scope.path if user.scope_id else ""
    return audit.Change(action, "用户", user.pk, user.get_username(), path, after=after)


def _lock_facts(lock: lockout.Lock, address: str) -> dict:
    until = timezone.localtime(lock.until)
    return {"地址": address, "锁定范围": LOCK_KINDS[lock.kind], "锁定至": f"{until:%Y-%m-%d %H:%M}"}


@transaction.atomic
def refuse_if_locked(
    username: str, address: str, now: dt.datetime | None = None
) -> lockout.Lock | None:
    """The lock that stops this attempt (audited as refused), or None to go on and check the
    password."""
    now = now or timezone.now()
    lock = lockout.current_lock(username, address, now)
    if lock is not None:
        change = _change(
            audit.Action.LOGIN_REFUSED, username, _account(username), _lock_facts(lock, address)
        )
        audit.record(None, [change], label=ANONYMOUS)
    return lock


@transaction.atomic
def record_failure(
    username: str, address: str, now: dt.datetime | None = None
) -> lockout.Lock | None:
    """Store and audit a wrong password; returns the lock this failure started, if any."""
    now = now or timezone.now()
    lockout.record_attempt(username, address, succeeded=False, now=now)
    user = _account(username)
    changes = [_change(audit.Action.LOGIN_FAILED, username, user, {"地址": address})]
    lock = lockout.current_lock(username, address, now)
    if lock is not None:
        changes.append(_change(audit.Action.LOCKOUT, username, user, _lock_facts(lock, address)))
    audit.record(None, changes, label=ANONYMOUS)
    return lock


@transaction.atomic
def record_success(user, address: str, now: dt.datetime | None = None) -> None:
    """Store and audit a right password (the second factor, if needed, comes next)."""
    lockout.record_attempt(user.get_username(), address, succeeded=True, now=now)
    after = {"地址": address}
    if needs_second_factor(user):
        after["二次验证"] = "待验证"
    audit.record(user, [_change(audit.Action.LOGIN, user.get_username(), user, after)])


def record_sign_out(user, address: str) -> None:
    """Audit a sign-out."""
    if user is None or not user.is_authenticated:
        return
    audit.record(user, [_change(audit.Action.LOGOUT, user.get_username(), user, {"地址": address})])
