"""C17 bulletin archive in a real browser, on a desktop window and on a 390×844 phone: an officer
reaches the archive from the navigation, generates last October's 月通报, opens its PDF (the
Chinese names read back from it) and downloads its Excel; a future month is refused in Chinese;
the 成绩单 of a township shows under 含下级组织. Nothing scrolls sideways on the phone."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.accounts.testing import totp_device
from dangjian.core.testing import pdf_text
from dangjian.reports.choices import Kind, Trigger
from dangjian.reports.periods import year_period
from dangjian.reports.services import generate_bulletin
from dangjian.reports.tests import factories as f
from tests.browser.helpers import PASSWORD, login
from tests.browser.test_ledger_pages import _restore_defaults, assert_fits

pytestmark = pytest.mark.browser


@pytest.fixture
def county(transactional_db):
    """The reports tests' county (2025 judged and assessed), a township's 成绩单 archived, and
    an officer of the whole county."""
    _restore_defaults()
    county = f.full_county()
    generate_bulletin(
        None, Kind.YEARLY, county.t, year_period(f.YEAR), trigger=Trigger.SCHEDULE, label="定时任务"
    )
    officer = User.objects.create_user(
        username="officer",
        password=PASSWORD,
        role=Role.ADMIN,
        scope=county.root,
        display_name="组织部干部",
    )
    totp_device(officer)
    return SimpleNamespace(**vars(county), officer=officer)


def _open_archive(page: Page, device: str) -> None:
    if device == "phone":
        page.get_by_role("button", name="展开菜单").click()
    page.get_by_role("link", name="通报成绩单").click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    expect(page.get_by_role("heading", name="中共示例县委员会 · 通报与成绩单")).to_be_visible()


def test_officer_generates_and_downloads_a_monthly_bulletin(county, page, device, screenshot):
    login(page, "officer")
    _open_archive(page, device)
    expect(page.get_by_text("尚无归档的通报")).to_be_visible()

    # A month still to come is refused in Chinese, and what was typed stays.
    page.get_by_label("通报类型", exact=True).select_option(label="月通报")
    page.get_by_label("期间").fill("2099-01")
    page.get_by_role("button", name=re.compile("生成")).click()
    expect(page.locator("#generate-form .alert-danger")).to_contain_text("2099年1月尚未到来")
    expect(page.get_by_label("期间")).to_have_value("2099-01")

    page.get_by_label("期间").fill("2025-10")
    page.get_by_role("button", name=re.compile("生成")).click()
    expect(page.locator(".alert-success")).to_contain_text(
        "已生成并归档：中共示例县委员会 2025年10月 党建工作月通报（第1版）"
    )
    row = page.locator(".bulletin-list .list-group-item").first
    expect(row).to_contain_text("月通报")
    expect(row).to_contain_text("达标率 71.4%")
    assert_fits(page, device)
    screenshot(page, device)

    # The PDF opens in the browser's viewer; read it back through the same session.
    href = row.get_by_role("link", name=re.compile("PDF")).get_attribute("href")
    answer = page.request.get(href)
    assert answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.body())
    assert "中共示例县委员会" in text and "中共狮山镇委员会" in text and "县委机关工委" in text

    with page.expect_download() as download:
        row.get_by_role("link", name=re.compile("Excel")).click()
    assert download.value.suggested_filename == "月通报-中共示例县委员会-2025-10.xlsx"
    with open(download.value.path(), "rb") as saved:  # a temporary name without a suffix
        book = load_workbook(saved)
    assert book.sheetnames[:2] == ["概况", "达标率排名"]

    # The township's 成绩单 shows once the subtree is included.
    page.get_by_role("link", name="成绩单", exact=True).click()
    expect(page.get_by_text("尚无归档的通报")).to_be_visible()
    page.get_by_role("link", name="含下级组织").click()
    expect(page.locator(".bulletin-list")).to_contain_text("中共狮山镇委员会")
    expect(page.locator(".bulletin-list")).to_contain_text("定时生成")
    assert_fits(page, device)
    screenshot(page, device, "subtree")
