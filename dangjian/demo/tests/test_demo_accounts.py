"""The demo's accounts stay usable with the second factor on: the printed password, TOTP
secret and recovery codes sign the administrator in."""

from __future__ import annotations

import datetime as dt
import io
from base64 import b32decode

import pytest
import time_machine
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.accounts.models import User
from dangjian.accounts.testing import totp_code
from dangjian.demo.load import ensure_demo_users
from dangjian.demo.management.commands.demo import Command

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)


def _by_name(accounts):
    return {a.username: a for a in accounts}


def _sign_in(client, account):
    return client.post(
        "/accounts/login/", {"username": account.username, "password": account.password}
    )


def test_administrators_get_a_secret_and_recovery_codes(tree):
    accounts = _by_name(ensure_demo_users())
    assert set(accounts) == {"admin", "leader", "committee", "secretary"}
    for name in ("admin", "committee"):
        assert accounts[name].totp_secret and len(accounts[name].recovery_codes) == 10
        assert accounts[name].otpauth_url.startswith("otpauth://totp/")
        assert "█" in accounts[name].qr
    for name in ("leader", "secretary"):
        assert not accounts[name].totp_secret and not accounts[name].recovery_codes
    assert not User.objects.filter(must_change_password=True).exists()


def test_the_printed_secret_signs_the_admin_in(client, tree):
    with time_machine.travel(START, tick=False):
        admin = _by_name(ensure_demo_users())["admin"]
        assert _sign_in(client, admin).status_code == 302
        assert client.get("/orgs/")["Location"].startswith("/accounts/otp/verify/")
        key = b32decode(admin.totp_secret.replace(" ", "")).hex()
        code = totp_code(TOTPDevice(key=key))
        assert client.post("/accounts/otp/verify/", {"token": code}).status_code == 302
        assert client.get("/orgs/").status_code == 200


def test_a_printed_recovery_code_signs_the_admin_in(client, tree):
    with time_machine.travel(START, tick=False):
        admin = _by_name(ensure_demo_users())["admin"]
        _sign_in(client, admin)
        code = admin.recovery_codes[0]
        assert client.post("/accounts/otp/verify/", {"token": code}).status_code == 302
        assert client.get("/orgs/").status_code == 200


def test_running_the_demo_again_keeps_the_secret_and_renews_the_codes(client, tree):
    first = _by_name(ensure_demo_users())["admin"]
    second = _by_name(ensure_demo_users())["admin"]
    assert first.totp_secret == second.totp_secret  # the app entry keeps working
    assert first.password != second.password
    assert not set(first.recovery_codes) & set(second.recovery_codes)
    assert TOTPDevice.objects.filter(user__username="admin").count() == 1
    with time_machine.travel(START, tick=False):
        _sign_in(client, second)
        old = client.post("/accounts/otp/verify/", {"token": first.recovery_codes[0]})
        assert old.status_code == 200  # voided


def test_the_demo_command_prints_how_to_pass_the_second_step(tree):
    accounts = ensure_demo_users()
    command = Command(stdout=io.StringIO())
    command._print_second_factor([a for a in accounts if a.totp_secret])
    out = command.stdout._out.getvalue()
    admin = _by_name(accounts)["admin"]
    assert f"admin 的密钥：{admin.totp_secret}" in out
    assert admin.recovery_codes[0] in out and "oathtool --totp -b" in out
