"""The member roll in a real browser: masked personal information, the 党内职务 filter,
pagination that keeps the filter, and a phone layout that does not scroll sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dangjian.members.selectors import MemberFilters, list_members
from tests.browser.helpers import login

pytestmark = pytest.mark.browser

MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")
MASKED_PHONE = re.compile(r"^1\d{2}\*{4}\d{4}$")
# An unmasked ID number anywhere in the markup (not part of a longer token such as a hash).
FULL_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dX](?![0-9A-Za-z*])")
PAGE_SIZE = 50
# Columns of members/list.html (1-based, for :nth-child).
COL_NAME, COL_POST, COL_ID, COL_PHONE = 1, 7, 8, 9


def _column(page: Page, index: int):
    return page.locator(f"table tbody tr td:nth-child({index})")


def _assert_no_full_ids(page: Page, members) -> None:
    html = page.content()
    assert FULL_ID.findall(html) == []
    for member in members:
        assert member.id_number not in html
        assert not member.phone or member.phone not in html


def _assert_no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 2, f"page is {width}px wide on a 390px phone"


def test_member_list_masks_filters_and_paginates(demo, page, device, screenshot):
    everyone = list_members(demo.admin, MemberFilters()).members
    first_page = list(everyone[:PAGE_SIZE])
    secretaries = list_members(demo.admin, MemberFilters(post="书记")).members
    total = secretaries.count()
    pages = -(-total // PAGE_SIZE)
    assert pages >= 2, "the demo county should have more than one page of branch secretaries"
    second_page = list(secretaries[PAGE_SIZE : 2 * PAGE_SIZE])

    login(page, "admin")
    page.goto("/members/")
    expect(page.get_by_role("heading", name="党员名册")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(PAGE_SIZE)
    expect(_column(page, COL_NAME).first).to_have_text(first_page[0].name)
    _assert_no_full_ids(page, first_page)

    ids = _column(page, COL_ID)
    if device == "desktop":
        expect(ids.first).to_be_visible()
        texts = ids.all_inner_texts()
        assert len(texts) == PAGE_SIZE
        assert all(MASKED_ID.match(t.strip()) for t in texts), texts
        assert [t.strip() for t in texts] == [m.id_masked for m in first_page]
        phones = [t.strip() for t in _column(page, COL_PHONE).all_inner_texts() if t.strip()]
        assert phones and all(MASKED_PHONE.match(p) for p in phones), phones
    else:
        # The phone layout drops the wide columns instead of squeezing them.
        expect(ids.first).to_be_hidden()
        expect(page.locator("table thead th", has_text="身份证号")).to_be_hidden()
        _assert_no_sideways_scroll(page)
    screenshot(page, device, "all")

    # Filter by 党内职务 = 书记.
    page.get_by_label("党内职务").select_option(label="书记")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"post=%E4%B9%A6%E8%AE%B0"))
    expect(page.get_by_text(f"第 1 / {pages} 页，共 {total} 条")).to_be_visible()
    expect(rows).to_have_count(PAGE_SIZE)
    posts = _column(page, COL_POST)
    if device == "desktop":
        expect(posts.first).to_be_visible()
    post_texts = posts.all_text_contents()
    assert len(post_texts) == PAGE_SIZE
    assert all("书记" in text.split() for text in post_texts), post_texts
    if device == "phone":
        _assert_no_sideways_scroll(page)
    screenshot(page, device, "secretaries")

    # 下一页 keeps the filter and shows the next 50.
    page.get_by_role("link", name="下一页").click()
    expect(page).to_have_url(re.compile(r"post=%E4%B9%A6%E8%AE%B0.*page=2"))
    expect(page.get_by_text(f"第 2 / {pages} 页，共 {total} 条")).to_be_visible()
    expect(page.get_by_label("党内职务")).to_have_value("书记")
    expect(rows).to_have_count(len(second_page))
    expect(_column(page, COL_NAME)).to_have_text([m.name for m in second_page])
    assert all("书记" in text.split() for text in posts.all_text_contents())
    expect(page.get_by_role("link", name="上一页")).to_be_visible()
    _assert_no_full_ids(page, second_page)
    if device == "phone":
        _assert_no_sideways_scroll(page)
    screenshot(page, device, "page2")
