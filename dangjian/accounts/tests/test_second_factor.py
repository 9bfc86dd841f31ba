"""The second factor (SPEC §8: TOTP for administrators): enrolment at the first sign-in with a
QR code and a text secret, a code after every password, single-use recovery codes, and no
page or API before it is passed."""

from __future__ import annotations

import datetime as dt
import re
from base64 import b32decode

import pytest
import time_machine
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from dangjian.accounts import second_factor as sf
from dangjian.accounts.choices import Action
from dangjian.accounts.models import AuditEntry, User
from dangjian.accounts.roles import Role
from dangjian.accounts.testing import totp_code

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=30)


def _password(client, username="officer"):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def _secret(page) -> bytes:
    secret = re.search(r'data-secret="([A-Z2-7 ]+)"', page.content.decode()).group(1)
    return b32decode(secret.replace(" ", ""))


def _enrol(client, username="officer") -> list[str]:
    """Password, then enrolment with a code computed from the secret shown on the page;
    returns the recovery codes shown once."""
    assert _password(client, username).status_code == 302
    page = client.get("/accounts/otp/setup/")
    device = TOTPDevice(key=_secret(page).hex())
    done = client.post("/accounts/otp/setup/", {"token": totp_code(device)}, follow=True)
    return re.findall(r"<li class=\"col\">([a-z0-9]{5}-[a-z0-9]{5})</li>", done.content.decode())


def _device(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("needs", "verified", "has_device", "must_change", "step"),
    [
        (False, False, False, False, None),
        (False, False, False, True, sf.CHANGE_PASSWORD),
        (True, True, True, False, None),
        (True, True, True, True, sf.CHANGE_PASSWORD),
        (True, False, True, False, sf.VERIFY),
        (True, False, True, True, sf.VERIFY),  # the code comes before anything else
        (True, False, False, False, sf.ENROL),
        (True, False, False, True, sf.CHANGE_PASSWORD),  # first sign-in: password, then enrol
    ],
)
def test_pending_step(needs, verified, has_device, must_change, step):
    assert (
        sf.pending_step(
            needs_factor=needs,
            verified=verified,
            has_device=has_device,
            must_change_password=must_change,
        )
        == step
    )


@pytest.mark.parametrize(
    ("role", "superuser", "needs"),
    [
        (Role.ADMIN, False, True),
        (Role.COMMITTEE, False, True),
        (Role.SECRETARY, False, False),
        (Role.MEMBER, False, False),
        (Role.RATER, False, False),
        (Role.LEADER, False, False),
        (Role.MEMBER, True, True),
    ],
)
def test_who_needs_a_second_factor(role, superuser, needs):
    user = User(username="u", role=role, is_superuser=superuser)
    assert sf.needs_second_factor(user) is needs


# --- nothing before the second factor ---------------------------------------------------------

BLOCKED_PAGES = ["/", "/orgs/", "/members/", "/audit/", "/assessment/", "/accounts/security/"]
BLOCKED_API = ["/api/orgs/", "/api/members/", "/api/assessment/results/"]


@pytest.mark.parametrize("fixture", ["officer", "committee_admin"])
def test_an_administrator_reaches_nothing_before_enrolling(client, request, fixture):
    user = request.getfixturevalue(fixture)
    assert _password(client, user.username).status_code == 302
    for url in BLOCKED_PAGES:
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert answer["Location"].startswith("/accounts/otp/setup/?next="), url
    for url in BLOCKED_API:
        answer = client.get(url)
        assert answer.status_code == 403, url
        assert answer.json() == {"detail": "请先绑定动态口令（二次验证）。"}
    write = client.post("/api/rectifications/open/", {"year": 2025})
    assert write.status_code == 403
    assert client.post("/orgs/", {"name": "x"}).status_code == 302
    # the enrolment page, sign-out and static files stay reachable
    assert client.get("/accounts/otp/setup/").status_code == 200
    # static files are not collected in tests (404 here), but never held back (no redirect)
    assert client.get("/static/css/app.css").status_code != 302
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/orgs/").status_code == 302  # signed out: to the sign-in page
    assert client.get("/orgs/")["Location"].startswith("/accounts/login/")


def test_a_secretary_needs_no_second_factor(client, secretary):
    assert _password(client, "secretary").status_code == 302
    assert client.get("/orgs/").status_code == 200
    assert client.get("/api/orgs/").status_code == 200
    assert client.get("/accounts/otp/setup/").status_code == 302  # nothing to enrol
    assert not TOTPDevice.objects.exists()


# --- enrolment ---------------------------------------------------------------------------------


def test_the_enrolment_page_shows_a_qr_code_and_the_secret_in_text(client, officer):
    _password(client)
    page = client.get("/accounts/otp/setup/")
    html = page.content.decode()
    assert "<svg" in html and "动态口令二维码" in html
    assert "<script" not in html.split("<main")[1].split("</main>")[0]  # no inline script
    assert not re.search(r"<[^>]+\son[a-z]+=", html)  # no inline event handler
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert _secret(page) == device.bin_key
    assert _secret(client.get("/accounts/otp/setup/")) == device.bin_key  # stable on reload
    assert "otpauth://totp/" in device.config_url and "officer" in device.config_url


def test_a_wrong_enrolment_code_is_refused_and_audited(client, officer):
    _password(client)
    client.get("/accounts/otp/setup/")
    answer = client.post("/accounts/otp/setup/", {"token": "000000"})
    assert answer.status_code == 200 and "动态口令不正确" in answer.content.decode()
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()
    assert AuditEntry.objects.filter(action=Action.OTP_FAILED, actor=officer).count() == 1
    for junk in ("", "12345", "abcdef", "1" * 40, "１２３４５６"):
        assert client.post("/accounts/otp/setup/", {"token": junk}).status_code == 200
    assert client.get("/orgs/").status_code == 302


def test_enrolment_confirms_the_device_and_shows_recovery_codes_once(client, officer):
    with time_machine.travel(START, tick=False):
        codes = _enrol(client)
        assert len(codes) == sf.RECOVERY_CODE_COUNT == len(set(codes))
        assert _device(officer).name == sf.TOTP_NAME
        stored = StaticToken.objects.filter(device__user=officer).count()
        assert stored == sf.RECOVERY_CODE_COUNT
        again = client.get("/accounts/security/").content.decode()
        assert not any(code in again for code in codes)
        assert "未使用的恢复码：<strong>10</strong>" in again
        assert client.get("/orgs/").status_code == 200  # verified in this session
        assert client.get("/api/orgs/").status_code == 200
    actions = set(AuditEntry.objects.filter(actor=officer).values_list("action", flat=True))
    assert {Action.LOGIN, Action.OTP_ENROL, Action.RECOVERY_CODES} <= actions


def test_the_first_sign_in_goes_on_to_where_the_user_was_going(client, officer):
    with time_machine.travel(START, tick=False):
        client.post(
            "/accounts/login/?next=/members/",
            {"username": "officer", "password": PASSWORD, "next": "/members/"},
        )
        page = client.get("/members/")
        assert page["Location"] == "/accounts/otp/setup/?next=%2Fmembers%2F"
        setup = client.get(page["Location"])
        token = totp_code(TOTPDevice(key=_secret(setup).hex()))
        done = client.post(page["Location"], {"token": token, "next": "/members/"}, follow=True)
        assert 'href="/members/"' in done.content.decode()  # 我已保存，继续
        bad = client.get("/accounts/otp/setup/?next=https://evil.example/")
        assert bad["Location"] == "/"  # no redirect off the site


# --- every later sign-in ---------------------------------------------------------------------


def test_every_sign_in_asks_for_a_code_after_the_password(client, officer):
    with time_machine.travel(START, tick=False) as clock:
        _enrol(client)
        client.post("/accounts/logout/")
        clock.shift(STEP)
        assert _password(client).status_code == 302
        home = client.get("/orgs/")
        assert home["Location"] == "/accounts/otp/verify/?next=%2Forgs%2F"
        assert client.get("/api/orgs/").json() == {"detail": "请先输入动态口令完成二次验证。"}
        wrong = client.post("/accounts/otp/verify/", {"token": "123456"})
        assert "动态口令或恢复码不正确" in wrong.content.decode()
        clock.shift(dt.timedelta(seconds=2))  # django-otp makes the next try wait 1 second
        right = client.post(
            "/accounts/otp/verify/", {"token": totp_code(_device(officer)), "next": "/orgs/"}
        )
        assert right.status_code == 302 and right["Location"] == "/orgs/"
        assert client.get("/orgs/").status_code == 200
    entries = AuditEntry.objects.filter(actor=officer).order_by("id")
    tail = list(entries.values_list("action", flat=True))[-4:]
    assert tail == [Action.LOGOUT, Action.LOGIN, Action.OTP_FAILED, Action.OTP_VERIFIED]
    assert all(e.after["二次验证"] == "待验证" for e in entries.filter(action=Action.LOGIN))


def test_a_code_cannot_be_used_twice(client, officer):
    with time_machine.travel(START, tick=False) as clock:
        _enrol(client)
        clock.shift(STEP)
        code = totp_code(_device(officer))
        for attempt in range(2):
            other = type(client)()
            _password(other)
            answer = other.post("/accounts/otp/verify/", {"token": code})
            assert (answer.status_code == 302) is (attempt == 0)


def test_repeated_wrong_codes_make_the_user_wait(client, officer):
    with time_machine.travel(START, tick=False) as clock:
        _enrol(client)
        client.post("/accounts/logout/")
        clock.shift(STEP)
        _password(client)
        client.post("/accounts/otp/verify/", {"token": "111111"})
        client.post("/accounts/otp/verify/", {"token": "222222"})  # within the second: refused
        clock.shift(dt.timedelta(seconds=1, milliseconds=500))
        client.post("/accounts/otp/verify/", {"token": "333333"})
        waiting = client.post("/accounts/otp/verify/", {"token": totp_code(_device(officer))})
        assert "错误次数过多，请 2 秒后再试" in waiting.content.decode()
        assert client.get("/orgs/").status_code == 302
        clock.shift(dt.timedelta(seconds=3))
        ok = client.post("/accounts/otp/verify/", {"token": totp_code(_device(officer))})
        assert ok.status_code == 302


def test_a_recovery_code_works_once(client, officer):
    with time_machine.travel(START, tick=False):
        codes = _enrol(client)
        client.post("/accounts/logout/")
        _password(client)
        used = client.post("/accounts/otp/verify/", {"token": codes[3].upper()}, follow=True)
        assert "已使用一个恢复码" in used.content.decode() and "还剩 9 个" in used.content.decode()
        assert client.get("/orgs/").status_code == 200
        client.post("/accounts/logout/")
        _password(client)
        again = client.post("/accounts/otp/verify/", {"token": codes[3]})
        assert again.status_code == 200 and "动态口令或恢复码不正确" in again.content.decode()
        assert client.get("/orgs/").status_code == 302
    after = AuditEntry.objects.filter(actor=officer, action=Action.OTP_VERIFIED).get().after
    assert after == {"方式": "恢复码", "剩余恢复码": 9}


def test_regenerating_recovery_codes_voids_the_old_ones(client, officer):
    with time_machine.travel(START, tick=False) as clock:
        old = _enrol(client)
        page = client.post("/accounts/security/", {"action": "regenerate"}, follow=True)
        new = re.findall(r"<li class=\"col\">([a-z0-9]{5}-[a-z0-9]{5})</li>", page.content.decode())
        assert len(new) == sf.RECOVERY_CODE_COUNT and not set(new) & set(old)
        client.post("/accounts/logout/")
        clock.shift(dt.timedelta(seconds=5))
        _password(client)
        assert client.post("/accounts/otp/verify/", {"token": old[0]}).status_code == 200
        clock.shift(dt.timedelta(seconds=5))
        assert client.post("/accounts/otp/verify/", {"token": new[0]}).status_code == 302


def test_a_lost_phone_is_reset_by_command_and_enrolled_again(client, officer):
    with time_machine.travel(START, tick=False):
        _enrol(client)
        client.post("/accounts/logout/")
        call_command("reset_sign_in", "officer", "--second-factor")
        assert not TOTPDevice.objects.filter(user=officer).exists()
        assert not StaticToken.objects.filter(device__user=officer).exists()
        _password(client)
        assert client.get("/orgs/")["Location"].startswith("/accounts/otp/setup/")


def test_the_verify_page_sends_a_user_without_a_device_to_enrolment(client, officer):
    _password(client)
    answer = client.get("/accounts/otp/verify/")
    assert answer["Location"].startswith("/accounts/otp/setup/")
