"""The password policy (SPEC §8: strong password policy), as plain rules with Chinese messages.

A password must have at least 10 characters, must not be all digits, must not be on a list of
common passwords (Django's 20,000, plus names people here pick for a party-building system) and
must not contain the user's own account name or name. `problems()` states every broken rule;
the validator classes below plug the same rules into Django (AUTH_PASSWORD_VALIDATORS), so
every form, command and service that calls `validate_password` applies them.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import django.contrib.auth
from django.core.exceptions import ValidationError

MIN_LENGTH = 10

TOO_SHORT = f"密码至少需要 {MIN_LENGTH} 个字符。"
ALL_DIGITS = "密码不能全部是数字。"
TOO_COMMON = "这个密码过于常见，容易被猜中，请换一个。"
OWN_NAME = "密码不能包含自己的用户名或姓名。"

# Common choices for this system that general lists miss (compared like the list: lowercase).
LOCAL_COMMON = frozenset(
    {
        "dangjian123",
        "dangjian1234",
        "dangjian@123",
        "dangjian2024",
        "dangjian2025",
        "dangjian2026",
        "zuzhibu123",
        "zuzhibu123456",
        "zhdj123456",
        "zhihuidangjian",
        "admin123456",
        "admin@123456",
        "abc123456789",
        "qwer1234qwer",
    }
)


@functools.cache
def common_passwords() -> frozenset[str]:
    """Django's list of 20,000 common passwords (lowercase) plus LOCAL_COMMON."""
    path = Path(django.contrib.auth.__file__).parent / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle) | LOCAL_COMMON


def _alnum(text: str) -> str:
    """Letters and digits only, casefolded (Chinese characters count as letters)."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def is_common(password: str) -> bool:
    """True when the password, or the password without its punctuation, is a common one."""
    common = common_passwords()
    return password.lower().strip() in common or _alnum(password) in common


def contains_own_name(password: str, username: str = "", display_name: str = "") -> bool:
    """True when the password contains the account name (≥ 3 letters) or the person's name
    (≥ 2 characters), forwards or backwards, ignoring case, spaces and punctuation."""
    text = _alnum(password)
    for name, shortest in ((username, 3), (display_name, 2)):
        name = _alnum(name or "")
        if len(name) >= shortest and (name in text or name[::-1] in text):
            return True
    return False


def problems(password: str, username: str = "", display_name: str = "") -> list[str]:
    """Every rule `password` breaks, as Chinese messages; empty when it is acceptable."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(TOO_SHORT)
    if password.isdigit():
        found.append(ALL_DIGITS)
    if is_common(password):
        found.append(TOO_COMMON)
    if contains_own_name(password, username, display_name):
        found.append(OWN_NAME)
    return found


def _names(user) -> tuple[str, str]:
    if user is None:
        return "", ""
    return user.get_username() or "", getattr(user, "display_name", "") or ""


class MinimumLengthValidator:
    """At least MIN_LENGTH characters."""

    def validate(self, password, user=None):
        if len(password) < MIN_LENGTH:
            raise ValidationError(TOO_SHORT, code="password_too_short")

    def get_help_text(self):
        return f"至少 {MIN_LENGTH} 个字符。"


class NumericPasswordValidator:
    """Not all digits."""

    def validate(self, password, user=None):
        if password.isdigit():
            raise ValidationError(ALL_DIGITS, code="password_entirely_numeric")

    def get_help_text(self):
        return "不能全部是数字。"


class CommonPasswordValidator:
    """Not a common password."""

    def validate(self, password, user=None):
        if is_common(password):
            raise ValidationError(TOO_COMMON, code="password_too_common")

    def get_help_text(self):
        return "不能是常见密码。"


class OwnNameValidator:
    """Not containing the user's account name or name."""

    def validate(self, password, user=None):
        if contains_own_name(password, *_names(user)):
            raise ValidationError(OWN_NAME, code="password_contains_own_name")

    def get_help_text(self):
        return "不能包含自己的用户名或姓名。"
