"""Helpers shared by the browser tests (importable, unlike conftest.py)."""

from __future__ import annotations

import re
import time
from base64 import b32decode
from pathlib import Path

from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from dangjian.accounts.testing import totp_code
from dangjian.members.sheet import COLUMNS as MEMBER_COLUMNS
from dangjian.orgs.sheet import COLUMNS as ORG_COLUMNS

PASSWORD = "Browser-Test-Passw0rd"
STEP_URL = re.compile(r"/accounts/(otp/setup|otp/verify|security)/")


def next_totp_code(username: str) -> str:
    """A code the user's confirmed TOTP device accepts now: the current one, or the next one
    when the current one was already used (a code works only once; the device accepts one
    step ahead)."""
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    at = time.time()
    if device.last_t >= int((at - device.t0) // device.step) + device.drift:
        at = (device.last_t + 1 - device.drift) * device.step + device.t0
    return totp_code(device, at)


def enrol_on_page(page: Page) -> None:
    """On the enrolment page: read the text secret, enter the app's code, and leave the page
    of recovery codes."""
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    key = b32decode(secret.replace(" ", "")).hex()
    page.get_by_label("动态口令").fill(totp_code(TOTPDevice(key=key)))
    page.get_by_role("button", name="验证并绑定").click()
    expect(page.get_by_role("heading", name="恢复码（只显示这一次）")).to_be_visible()
    page.get_by_role("link", name="我已保存，继续").click()


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (用户名/密码, 登录), pass the second factor when the
    role needs one (a code from the user's device, or enrolment with the secret the page
    shows), and wait until the app lets us in."""
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    if "/accounts/otp/verify/" in page.url:
        page.get_by_label("动态口令或恢复码").fill(next_totp_code(username))
        page.get_by_role("button", name="验证").click()
    elif "/accounts/otp/setup/" in page.url:
        enrol_on_page(page)
    expect(page).not_to_have_url(STEP_URL)
    # On a phone the navbar is collapsed, so the sign-out button exists but is hidden.
    expect(page.get_by_role("button", name="退出", include_hidden=True)).to_be_attached()


def write_workbook(path: Path, orgs: list[list], members: list[list]) -> Path:
    """An .xlsx with the §5 组织 and 党员 sheets holding these rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "组织"
    sheet.append(ORG_COLUMNS)
    for row in orgs:
        sheet.append(row)
    sheet = workbook.create_sheet("党员")
    sheet.append(MEMBER_COLUMNS)
    for row in members:
        sheet.append(row)
    workbook.save(path)
    return path


def upload_workbook(page: Page, path: Path) -> None:
    """Upload `path` on the import page and land on its run's page."""
    page.goto("/import/")
    expect(page.get_by_role("heading", name="导入导出")).to_be_visible()
    page.get_by_label("工作簿（.xlsx）").set_input_files(str(path))
    with page.expect_response(re.compile(r"/import/runs/\d+/$")) as result:
        page.get_by_role("button", name="校验并导入").click()
    run = result.value
    assert run.status == 200, f"after the upload, {run.url} answered {run.status}"
    expect(page).to_have_url(re.compile(r"/import/runs/\d+/$"))


def main_pages(world) -> list[str]:
    """A page of each kind, in the scope matrix's world (tests/scope_world.py), as its
    administrator opens them."""
    s = world.side("inside")
    scheme, org = s.scheme.pk, s.org.pk
    return [
        reverse("orgs:tree"),
        reverse("orgs:detail", args=[s.county.pk]),
        reverse("orgs:edit", args=[org]),
        reverse("members:list"),
        reverse("members:detail", args=[s.member.pk]),
        reverse("members:edit", args=[s.member.pk]),
        reverse("ledger:meetings") + f"?org={org}",
        reverse("ledger:meetings") + f"?org={org}&view=calendar",
        reverse("ledger:meeting", args=[s.meeting.pk]),
        reverse("ledger:meeting_new") + f"?org={org}",
        reverse("ledger:dues") + f"?org={org}",
        reverse("compliance:overview"),
        reverse("compliance:branch", args=[org]),
        reverse("compliance:rules"),
        reverse("compliance:reminders"),
        reverse("assessment:results"),
        reverse("assessment:explain", args=[org]),
        reverse("assessment:records"),
        reverse("assessment:whatif"),
        reverse("schemes:list"),
        reverse("schemes:detail", args=[scheme]),
        reverse("schemes:explain", args=[scheme, org]),
        reverse("schemes:score", args=[scheme, org]),
        reverse("schemes:self_check", args=[scheme, org]),
        reverse("rectification:list"),
        reverse("rectification:detail", args=[s.rectification.pk]),
        reverse("notices:inbox"),
        reverse("dashboard:index"),
        reverse("dashboard:org", args=[org]) + "?wall=1",
        reverse("reports:archive") + f"?org={s.county.pk}&sub=1",
        reverse("imports:page"),
        reverse("audit"),
        reverse("api-docs"),
        "/api/orgs/",  # the browsable API (styles inline, scripts from files)
    ]
