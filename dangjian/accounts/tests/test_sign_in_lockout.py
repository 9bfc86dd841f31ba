"""Signing in over HTTP (SPEC §8): lockout after 5 failures for 15 minutes, per account and
address; other addresses keep working; every event is in the audit log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from conftest import PASSWORD
from dangjian.accounts.choices import Action
from dangjian.accounts.models import AuditEntry, SignInAttempt

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.9"
OFFICE = "10.20.0.8"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _post(client, username, password, address=OFFICE):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _locked(answer) -> bool:
    """The sign-in page answered with the lock message (a page, status 200, like a wrong
    password: a browser shows it without a console error)."""
    return answer.status_code == 200 and "登录失败次数过多" in answer.content.decode()


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _actions() -> list[str]:
    """The audited sign-in events, oldest first (the fixtures' organizations are audited too)."""
    entries = AuditEntry.objects.filter(object_type="用户").order_by("id")
    return list(entries.values_list("action", flat=True))


def test_a_right_password_signs_in_and_is_audited(client, secretary):
    answer = _post(client, "secretary", PASSWORD)
    assert answer.status_code == 302 and _signed_in(client)
    entry = AuditEntry.objects.get(action=Action.LOGIN)
    assert entry.actor == secretary and entry.after == {"地址": OFFICE}
    assert entry.org_path == secretary.scope.path  # the secretary's superiors see it
    assert SignInAttempt.objects.get().succeeded


def test_a_wrong_password_is_refused_in_chinese_and_audited(client, secretary):
    answer = _post(client, "secretary", "Wrong-Password-1")
    assert answer.status_code == 200 and not _signed_in(client)
    assert "用户名或密码错误" in answer.content.decode()
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILED)
    assert entry.actor is None and entry.actor_label == "未登录访客"
    assert entry.object_id == str(secretary.pk) and entry.after == {"地址": OFFICE}


def test_an_empty_form_is_not_counted_as_a_failure(client, secretary):
    answer = _post(client, "secretary", "")
    assert answer.status_code == 200 and "该字段是必填项" in answer.content.decode()
    assert not SignInAttempt.objects.exists() and _actions() == []


@pytest.mark.parametrize("username", ["secretary\x00", "\x00", "a" * 5000, "秘书' OR 1=1 --"])
def test_odd_usernames_get_an_answer_never_a_500(client, secretary, username):
    answer = _post(client, username, "whatever-password")
    # a NUL character is refused before the sign-in sees it (a Chinese 400)
    assert answer.status_code == (400 if "\x00" in username else 200)
    assert not _signed_in(client)


def test_five_failures_lock_the_account_at_that_address_for_fifteen_minutes(client, secretary):
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(4):
            assert _post(client, "secretary", "Wrong-Password-1", ATTACKER).status_code == 200
            clock.shift(dt.timedelta(seconds=20))
        fifth = _post(client, "secretary", "Wrong-Password-1", ATTACKER)
        locked_at = timezone.now()
        assert _locked(fifth)
        retry = timezone.localtime(locked_at + dt.timedelta(minutes=15))
        assert f"请于 {retry:%H:%M}" in fifth.content.decode()
        assert "登录失败次数过多" in fifth.content.decode()

        # even the right password is refused now, without being checked
        clock.shift(dt.timedelta(minutes=14, seconds=50))
        refused = _post(client, "secretary", PASSWORD, ATTACKER)
        assert _locked(refused) and not _signed_in(client)
        assert "约 1 分钟后" in refused.content.decode()

        # fifteen minutes after the fifth failure the right password works again
        clock.shift(dt.timedelta(seconds=10))
        assert _post(client, "secretary", PASSWORD, ATTACKER).status_code == 302
        assert _signed_in(client)
    assert _actions() == [
        *[Action.LOGIN_FAILED] * 5,
        Action.LOCKOUT,
        Action.LOGIN_REFUSED,
        Action.LOGIN,
    ]
    lockout_entry = AuditEntry.objects.get(action=Action.LOCKOUT)
    assert lockout_entry.after["锁定范围"] == "账号+地址"
    assert lockout_entry.after["地址"] == ATTACKER


def test_attempts_while_locked_do_not_extend_the_lock(client, secretary):
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            _post(client, "secretary", "Wrong-Password-1", ATTACKER)
        for _ in range(14):
            clock.shift(dt.timedelta(minutes=1))
            assert _locked(_post(client, "secretary", "Wrong-Password-2", ATTACKER))
        clock.shift(dt.timedelta(minutes=1))
        assert _post(client, "secretary", PASSWORD, ATTACKER).status_code == 302
    assert SignInAttempt.objects.filter(succeeded=False).count() == 5


def test_the_owner_at_the_usual_address_is_not_locked_out(client, secretary):
    """An attacker fails five times from elsewhere; the secretary signs in from the office
    (where the account signed in before) as usual."""
    with time_machine.travel(START, tick=False) as clock:
        assert _post(client, "secretary", PASSWORD, OFFICE).status_code == 302
        client.post("/accounts/logout/")
        clock.shift(dt.timedelta(days=3))
        for _ in range(5):
            _post(client, "secretary", "Wrong-Password-1", ATTACKER)
        assert _locked(_post(client, "secretary", PASSWORD, ATTACKER))
        assert _post(client, "secretary", PASSWORD, OFFICE).status_code == 302
        assert _signed_in(client)


def test_other_accounts_at_other_addresses_are_not_locked(client, secretary, committee_admin):
    for _ in range(5):
        _post(client, "secretary", "Wrong-Password-1", ATTACKER)
    assert _post(client, "committee", PASSWORD, OFFICE).status_code == 302


def test_a_distributed_attack_locks_the_account_at_new_addresses(client, secretary):
    with time_machine.travel(START, tick=False):
        for i in range(5):
            _post(client, "secretary", "Wrong-Password-1", f"198.51.100.{i}")
        answer = _post(client, "secretary", PASSWORD, "192.0.2.50")
        assert _locked(answer) and not _signed_in(client)
    entry = AuditEntry.objects.get(action=Action.LOGIN_REFUSED)
    assert entry.after["锁定范围"] == "账号"


def test_password_spraying_from_one_address_is_locked(client, tree, secretary):
    with time_machine.travel(START, tick=False):
        for name in ("alice", "bob", "carol", "dave", "erin"):
            _post(client, name, "Spring-2026-Pass", ATTACKER)
        assert _locked(_post(client, "secretary", PASSWORD, ATTACKER))
        assert _post(client, "secretary", PASSWORD, OFFICE).status_code == 302


def test_unknown_accounts_lock_like_real_ones(client, secretary):
    """The answers do not tell whether an account exists."""
    for _ in range(5):
        real = _post(client, "secretary", "Wrong-Password-1", ATTACKER)
        made_up = _post(client, "nosuchuser", "Wrong-Password-1", "203.0.113.10")
    assert _locked(real) and _locked(made_up)
    alert = re.compile(r'<div class="alert[^>]*>([^<]*)</div>')
    assert alert.findall(real.content.decode()) == alert.findall(made_up.content.decode())
    unknown = AuditEntry.objects.filter(action=Action.LOGIN_FAILED, object_id="")
    assert unknown.count() == 5 and unknown.first().object_repr == "nosuchuser"


def test_the_lock_counts_the_name_in_any_case(client, secretary):
    for name in ("secretary", "SECRETARY", "Secretary", " secretary", "secretarY"):
        _post(client, name, "Wrong-Password-1", ATTACKER)
    assert _locked(_post(client, "secretary", PASSWORD, ATTACKER))


def test_the_unlock_command_ends_the_lock(client, secretary):
    from django.core.management import call_command

    for _ in range(5):
        _post(client, "secretary", "Wrong-Password-1", ATTACKER)
    call_command("reset_sign_in", "secretary", "--unlock")
    assert _post(client, "secretary", PASSWORD, ATTACKER).status_code == 302
    assert AuditEntry.objects.filter(action=Action.SIGN_IN_RESET).count() == 1


def test_sign_out_is_audited(client, secretary):
    _post(client, "secretary", PASSWORD)
    assert client.post("/accounts/logout/").status_code == 302
    assert not _signed_in(client)
    assert _actions() == [Action.LOGIN, Action.LOGOUT]
