"""Helpers shared by the browser tests (importable, unlike conftest.py)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PASSWORD = "Browser-Test-Passw0rd"


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (用户名/密码, 登录) and wait until the app lets us in."""
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    # On a phone the navbar is collapsed, so the sign-out button exists but is hidden.
    expect(page.get_by_role("button", name="退出", include_hidden=True)).to_be_attached()
