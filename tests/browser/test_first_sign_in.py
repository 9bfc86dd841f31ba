"""The first sign-in of an administrator whose account the organization department created
(SPEC §8), in a real browser on a desktop and a phone: initial password → forced password
change → TOTP enrolment (QR code and text secret) → recovery codes → the organization tree.
Then a second sign-in asks for a code after the password."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from dangjian.accounts.models import User
from dangjian.accounts.services import add_user
from dangjian.accounts.testing import totp_code
from dangjian.orgs.models import Organization
from tests.browser.helpers import next_totp_code

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Lotus-Harbor-2026"


def test_first_sign_in_changes_password_and_enrols(demo, page, device, screenshot):
    root = Organization.objects.get(depth=1)
    user, initial = add_user(None, "zhouxin", "admin", root, "周新")

    page.goto("/orgs/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/orgs/"))
    page.get_by_label("用户名").fill("zhouxin")
    page.get_by_label("密码").fill(initial)
    page.get_by_role("button", name="登录").click()

    # 1. the initial password must be replaced before anything else
    expect(page).to_have_url(re.compile(r"/accounts/password/\?next="))
    expect(page.get_by_role("heading", name="请设置新密码")).to_be_visible()
    expect(page.get_by_role("link", name="组织")).to_have_count(0)  # no menu yet
    page.get_by_label("当前密码").fill(initial)
    page.get_by_label(re.compile(r"^新密码")).fill("zhouxin-2026-abc")
    page.get_by_label("再次输入新密码").fill("zhouxin-2026-abc")
    page.get_by_role("button", name="保存新密码").click()
    expect(page.get_by_text("密码不能包含自己的用户名或姓名。")).to_be_visible()
    screenshot(page, device, "1-password-refused")
    page.get_by_label("当前密码").fill(initial)
    page.get_by_label(re.compile(r"^新密码")).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="保存新密码").click()

    # 2. enrolment: a QR code and the secret as text
    expect(page).to_have_url(re.compile(r"/accounts/otp/setup/\?next="))
    expect(page.get_by_role("heading", name="绑定动态口令（二次验证）")).to_be_visible()
    qr = page.locator(".qr-box svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150 and box["x"] >= 0  # scannable and on screen
    viewport = page.viewport_size["width"]
    assert box["x"] + box["width"] <= viewport
    expect(page.locator("#totp-secret")).to_have_text(re.compile(r"^([A-Z2-7]{4} ?)+$"))
    page.get_by_label("动态口令").fill("000000")
    page.get_by_role("button", name="验证并绑定").click()
    expect(page.get_by_text("动态口令不正确")).to_be_visible()
    screenshot(page, device, "2-enrol")
    page.wait_for_timeout(1100)  # a wrong code makes the next try wait a second
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(NEW_PASSWORD)

    # 3. recovery codes shown once, then on to where the user was going
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    key = b32decode(secret.replace(" ", "")).hex()
    page.get_by_label("动态口令").fill(totp_code(TOTPDevice(key=key)))
    page.get_by_role("button", name="验证并绑定").click()
    expect(page.get_by_role("heading", name="恢复码（只显示这一次）")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    screenshot(page, device, "3-recovery-codes")
    page.get_by_role("link", name="我已保存，继续").click()

    # 4. the organization tree, with the full menu
    expect(page).to_have_url(re.compile(r"/orgs/$"))
    expect(page.get_by_role("heading", name="组织树")).to_be_visible()
    expect(page.get_by_role("button", name="退出", include_hidden=True)).to_be_attached()
    screenshot(page, device, "4-dashboard")
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1

    # 5. signing in again: password, then a code
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("zhouxin")
    page.get_by_label("密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/otp/verify/"))
    screenshot(page, device, "5-verify")
    page.get_by_label("动态口令或恢复码").fill(next_totp_code("zhouxin"))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="组织树")).to_be_visible()
    assert User.objects.get(username="zhouxin").is_active


def test_a_locked_sign_in_says_when_to_retry(demo, desktop_page, screenshot):
    page = desktop_page
    for _ in range(5):
        page.goto("/accounts/login/")
        page.get_by_label("用户名").fill("secretary")
        page.get_by_label("密码").fill("Wrong-Password-1")
        page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("登录失败次数过多，已暂时锁定")
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"请于 \d\d:\d\d"))
    screenshot(page, "desktop", "locked")
