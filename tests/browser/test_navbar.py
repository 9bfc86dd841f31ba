"""The menu on every page: one row on a laptop or a small desktop screen, no label broken
inside a word, every entry reachable; on a phone, behind the menu button.

The small world of the scope matrix (tests/scope_world.py) gives an administrator, who sees
every entry; it is committed so the live server sees it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import login
from tests.scope_world import PASSWORD as MATRIX_PASSWORD

pytestmark = pytest.mark.browser
# Widths where the menu is laid out in a row: Bootstrap's lg breakpoint, a 1280 and a
# 1366 laptop, a 1920 desktop.
ROW_WIDTHS = (992, 1280, 1366, 1920)
ONE_LINE_PX = 44  # a link of one line of 16 px text with its padding is 40 px high


def _go(page: Page, group: str, entry: str, url: str) -> None:
    """Open the menu group `group`, choose `entry` and land on `url` (a pattern)."""
    page.get_by_role("button", name=group).click()
    page.get_by_role("link", name=entry).click()
    expect(page).to_have_url(re.compile(url))


def _top_entries(page: Page):
    return page.locator("#nav > ul.navbar-nav > li.nav-item > .nav-link")


def test_the_menu_holds_on_one_row_from_992_px(world, desktop_page: Page, screenshot):
    page = desktop_page
    login(page, "matrix-admin", MATRIX_PASSWORD)
    page.goto("/compliance/")
    for width in ROW_WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        expect(page.get_by_role("button", name="展开菜单")).to_be_hidden()
        nav = page.locator("nav.navbar").bounding_box()
        assert nav["height"] <= 64, f"{width}px: the menu takes {nav['height']} px"
        entries = _top_entries(page)
        labels = entries.all_inner_texts()
        assert labels[:4] == ["数据看板", "组织", "党员", "组织生活"], labels
        for index in range(entries.count()):
            box = entries.nth(index).bounding_box()
            assert box["height"] <= ONE_LINE_PX, f"{width}px: “{labels[index]}” wraps"
            assert box["x"] + box["width"] <= width, f"{width}px: “{labels[index]}” is cut off"
        logout = page.get_by_role("button", name="退出").bounding_box()
        assert logout["y"] + logout["height"] <= nav["y"] + nav["height"]
        assert logout["x"] + logout["width"] <= width
    page.set_viewport_size({"width": 1366, "height": 800})
    # The page's own group is marked; each group opens and leads to its pages.
    expect(page.get_by_role("button", name="组织生活")).to_have_class(re.compile(r"\bactive\b"))
    page.get_by_role("button", name="组织生活").click()
    expect(page.get_by_role("link", name="达标率")).to_have_class(re.compile(r"\bactive\b"))
    screenshot(page, "desktop", "group-open")
    page.get_by_role("link", name="提醒通报").click()
    expect(page).to_have_url(re.compile(r"/compliance/reminders/$"))
    _go(page, "考核整顿", "整顿", r"/rectification/$")
    _go(page, "更多", "审计日志", r"/audit/$")
    expect(page.get_by_role("button", name="更多")).to_have_class(re.compile(r"\bactive\b"))


def test_on_a_phone_the_menu_opens_from_its_button(world, phone_context, screenshot):
    page = phone_context.new_page()
    login(page, "matrix-admin", MATRIX_PASSWORD)
    page.goto("/members/")
    expect(page.get_by_role("link", name="数据看板")).to_be_hidden()
    page.get_by_role("button", name="展开菜单").click()
    page.get_by_role("button", name="组织生活").click()
    expect(page.get_by_role("link", name="组织生活台账")).to_be_visible()
    screenshot(page, "phone", "menu-open")
    page.get_by_role("link", name="达标率").click()
    expect(page).to_have_url(re.compile(r"/compliance/$"))
    page.get_by_role("button", name="展开菜单").click()
    _go(page, "考核整顿", "考核", r"/assessment/")
