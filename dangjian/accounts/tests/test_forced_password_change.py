"""An account created or reset by someone else must set its own password at the first
sign-in, before anything else (SPEC §8); the new password follows the policy."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from conftest import PASSWORD
from dangjian.accounts import passwords
from dangjian.accounts.choices import Action
from dangjian.accounts.models import AuditEntry, User
from dangjian.accounts.services import add_user

pytestmark = pytest.mark.django_db

NEW = "Spring-Willow-4821"


@pytest.fixture
def made(tree):
    """A secretary's account made by the organization department, with its initial password."""
    user, initial = add_user(None, "liuyang", "secretary", tree.a1, "刘洋")
    return user, initial


def _sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _change(client, old, new, again=None):
    body = {"old_password": old, "new_password1": new, "new_password2": again or new}
    return client.post("/accounts/password/", body)


def test_accounts_made_by_others_must_change_their_password(made):
    assert made[0].must_change_password


def test_the_add_user_command_makes_such_an_account(tree, capsys):
    call_command("add_user", "zhaoliu", "--role", "member", "--scope", "A1")
    assert User.objects.get(username="zhaoliu").must_change_password
    assert "首次登录时须修改初始密码" in capsys.readouterr().out


def test_nothing_is_reachable_before_the_change(client, made):
    _user, initial = made
    assert _sign_in(client, "liuyang", initial).status_code == 302
    for url in ("/", "/orgs/", "/members/", "/ledger/meetings/", "/accounts/security/"):
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert answer["Location"].startswith("/accounts/password/?next="), url
    api = client.get("/api/orgs/")
    assert api.status_code == 403 and api.json() == {"detail": "请先修改初始密码。"}
    page = client.get("/accounts/password/").content.decode()
    assert "首次登录须先把初始密码改为只有您知道的新密码" in page
    assert 'href="/orgs/"' not in page  # only the brand and sign-out while a step is pending


@pytest.mark.parametrize(
    ("new", "again", "message"),
    [
        ("short-1", None, passwords.TOO_SHORT),
        ("12345678901", None, passwords.ALL_DIGITS),
        ("password123", None, passwords.TOO_COMMON),
        ("liuyang-2026!", None, passwords.OWN_NAME),
        ("刘洋的密码很长很长啊", None, passwords.OWN_NAME),
        (NEW, NEW + "x", "两次输入的新密码不一致"),
    ],
)
def test_a_bad_new_password_is_refused_in_chinese_and_changes_nothing(
    client, made, new, again, message
):
    user, initial = made
    _sign_in(client, "liuyang", initial)
    answer = _change(client, initial, new, again)
    assert answer.status_code == 200 and message in answer.content.decode()
    user.refresh_from_db()
    assert user.must_change_password and user.check_password(initial)


def test_the_old_password_is_asked_and_must_differ(client, made):
    _user, initial = made
    _sign_in(client, "liuyang", initial)
    assert "当前密码不正确" in _change(client, "Not-The-Password", NEW).content.decode()
    assert "新密码不能与当前密码相同" in _change(client, initial, initial).content.decode()


def test_after_the_change_everything_opens_and_the_new_password_works(client, made):
    user, initial = made
    _sign_in(client, "liuyang", initial)
    answer = _change(client, initial, NEW)
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert client.get("/orgs/").status_code == 200  # still signed in, nothing pending
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(NEW)
    entry = AuditEntry.objects.get(action=Action.PASSWORD_CHANGE)
    assert entry.actor == user and "password" not in str(entry.after).lower()
    client.post("/accounts/logout/")
    assert _sign_in(client, "liuyang", initial).status_code == 200  # the initial one is gone
    assert _sign_in(client, "liuyang", NEW).status_code == 302


def test_other_sessions_end_when_the_password_changes(client, made):
    from django.test import Client

    _user, initial = made
    other = Client()
    _sign_in(other, "liuyang", initial)
    _sign_in(client, "liuyang", initial)
    _change(client, initial, NEW)
    assert other.get("/orgs/")["Location"].startswith("/accounts/login/")
    assert client.get("/orgs/").status_code == 200


def test_a_password_reset_by_command_must_be_changed_again(client, secretary, capsys):
    call_command("reset_sign_in", "secretary", "--password")
    new_initial = capsys.readouterr().out.split("新初始密码：")[1].split("（")[0]
    secretary.refresh_from_db()
    assert secretary.must_change_password and secretary.check_password(new_initial)
    assert not secretary.check_password(PASSWORD)
    _sign_in(client, "secretary", new_initial)
    assert client.get("/orgs/")["Location"].startswith("/accounts/password/")


def test_an_administrator_changes_the_password_first_then_enrols(client, tree):
    _officer, initial = add_user(None, "newofficer", "admin", tree.root, "新干部")
    _sign_in(client, "newofficer", initial)
    assert client.get("/orgs/")["Location"].startswith("/accounts/password/")
    assert client.get("/accounts/otp/setup/")["Location"].startswith("/accounts/password/")
    assert _change(client, initial, NEW)["Location"] == "/"
    assert client.get("/orgs/")["Location"].startswith("/accounts/otp/setup/")


def test_anyone_may_change_their_password_later(client, secretary):
    _sign_in(client, "secretary", PASSWORD)
    page = client.get("/accounts/password/").content.decode()
    assert "修改密码" in page and 'href="/orgs/"' in page  # the full menu: nothing pending
    assert _change(client, PASSWORD, NEW).status_code == 302
    secretary.refresh_from_db()
    assert secretary.check_password(NEW)


def test_the_command_refuses_unknown_users_and_missing_options():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不存在"):
        call_command("reset_sign_in", "nobody", "--unlock")
    with pytest.raises(CommandError, match="至少指定"):
        call_command("reset_sign_in", "nobody")
