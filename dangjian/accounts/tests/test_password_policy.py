"""The password policy (SPEC §8): at least 10 characters, not all digits, not a common
password, not the user's own account name or name; Chinese messages; Argon2 hashes."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

import config.settings as production
from dangjian.accounts import passwords
from dangjian.accounts.models import User
from dangjian.accounts.services import generate_password

STRONG = "Qiu-Shi-Lake-7251"


def test_a_strong_password_breaks_no_rule():
    assert passwords.problems(STRONG, "zhangsan", "张三") == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab3$xyz9", passwords.TOO_SHORT),  # 8 characters
        ("Ab3$xyz9k", passwords.TOO_SHORT),  # 9 characters
        ("20260317123", passwords.ALL_DIGITS),
        ("1234567890", passwords.TOO_COMMON),
        ("qwertyuiop", passwords.TOO_COMMON),
        ("woaini1314", passwords.TOO_COMMON),
        ("Password123", passwords.TOO_COMMON),  # compared in lowercase
        ("dangjian@123", passwords.TOO_COMMON),  # a local addition to the list
        ("Dangjian-123", passwords.TOO_COMMON),  # without its punctuation it is common
        ("zhangsan-2026!", passwords.OWN_NAME),
        ("2026ZhangSan!!", passwords.OWN_NAME),  # case does not matter
        ("nasgnahz-2026!", passwords.OWN_NAME),  # nor the direction
        ("我是张三-Good-2026", passwords.OWN_NAME),  # the person's name
    ],
)
def test_each_rule_names_its_problem_in_chinese(password, message):
    assert message in passwords.problems(password, "zhangsan", "张三")


def test_a_short_name_is_not_searched_for():
    """A two-letter account name would forbid too much; a one-character name too."""
    assert passwords.problems("Ab-river-2026-x", "ab", "王") == []


@given(st.text(max_size=passwords.MIN_LENGTH - 1))
def test_anything_shorter_than_ten_is_refused(password):
    assert passwords.TOO_SHORT in passwords.problems(password)


@given(
    st.from_regex(r"[a-z]{3,12}", fullmatch=True),
    st.text(max_size=6),
    st.text(max_size=6),
)
def test_any_password_containing_the_account_name_is_refused(username, before, after):
    assert passwords.OWN_NAME in passwords.problems(before + username + after, username, "")


@given(st.from_regex(r"[a-z]{3,12}", fullmatch=True), st.text(max_size=12))
def test_generated_initial_passwords_always_pass(username, display_name):
    password = generate_password(username, display_name)
    assert passwords.problems(password, username, display_name) == []


@pytest.mark.django_db
def test_django_validation_uses_the_policy_with_all_messages():
    user = User(username="lisi", display_name="李四")
    with pytest.raises(ValidationError) as caught:
        validate_password("lisi12345", user)
    assert set(caught.value.messages) == {passwords.TOO_SHORT, passwords.OWN_NAME}
    validate_password(STRONG, user)  # no error


def test_help_texts_are_chinese():
    from django.contrib.auth.password_validation import password_validators_help_texts

    texts = password_validators_help_texts()
    assert texts and all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts)


def test_production_hashes_passwords_with_argon2():
    """The test settings use a fast hasher; the deployed settings hash with Argon2id and can
    still check an older PBKDF2 hash (upgraded at the next sign-in)."""
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        encoded = make_password(STRONG)
        assert encoded.startswith("argon2$argon2id$")
        assert identify_hasher(encoded).algorithm == "argon2"
        assert check_password(STRONG, encoded)
        assert not check_password(STRONG + "x", encoded)


@pytest.mark.django_db
def test_signing_in_upgrades_an_older_hash_to_argon2(client, tree):
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        user = User.objects.create(username="wangwu", role="member", scope=tree.a1)
        pbkdf2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
        user.password = make_password(STRONG, hasher="pbkdf2_sha256")
        user.save()
        assert identify_hasher(user.password).algorithm == "pbkdf2_sha256"
        assert pbkdf2 in production.PASSWORD_HASHERS
        answer = client.post("/accounts/login/", {"username": "wangwu", "password": STRONG})
        assert answer.status_code == 302
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$")
