"""The organization tree page in a real browser: lazy expansion (htmx), live search (htmx,
300 ms debounce) and the organization page a search result leads to."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dangjian.orgs.models import Organization
from dangjian.orgs.selectors import CHILDREN_LIMIT
from tests.browser.helpers import login

pytestmark = pytest.mark.browser

SEARCH_LIMIT = 50


def _search_target() -> tuple[Organization, str, list[Organization]]:
    """A second-level-down branch, a part of its name to type, and what the search should
    list (same rule and order as the view: name contains or code starts with the text)."""
    for org in Organization.objects.filter(depth=3, org_type="党支部").order_by("path"):
        part = org.name[2:-3]  # drop the county prefix and the 党支部 suffix
        if len(part) < 3:
            continue
        expected = list(
            Organization.objects.search(part).order_by("-is_active", "depth", "path")[:SEARCH_LIMIT]
        )
        if org in expected:
            return org, part, expected
    raise AssertionError("demo county has no searchable third-level branch")


def test_tree_expand_search_and_open_organization(demo, page, device, screenshot):
    root = demo.root
    node = (
        Organization.objects.filter(parent=root, numchild__gt=0, is_active=True)
        .order_by("path")
        .first()
    )
    assert node is not None
    grandchildren = list(Organization.objects.filter(parent=node).order_by("-is_active", "path"))
    target, part, expected = _search_target()

    login(page, "admin")
    expect(page).to_have_url(re.compile(r"/orgs/$"))
    expect(page.get_by_role("heading", name="组织树")).to_be_visible()
    tree = page.locator("#org-tree")
    expect(tree.get_by_role("link", name=root.name, exact=True)).to_be_visible()

    # Expand a first-level node: its children arrive through htmx (hx-trigger="click once").
    toggle = tree.get_by_role("button", name=f"展开 {node.name}", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    sub = toggle.locator("xpath=following-sibling::ul[1]")
    expect(sub.locator(":scope > li")).to_have_count(0)
    if device == "phone":
        toggle.tap()
    else:
        toggle.click()
    expect(sub.locator(":scope > li")).to_have_count(min(len(grandchildren), CHILDREN_LIMIT))
    expect(sub.get_by_role("link", name=grandchildren[0].name, exact=True)).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_have_text("▾")
    screenshot(page, device, "tree")

    # A second click folds the loaded branch without another request.
    toggle.click()
    expect(sub).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(sub.get_by_role("link", name=grandchildren[0].name, exact=True)).to_be_visible()

    # Live search: typing part of a name lists matches without leaving the page.
    box = page.get_by_placeholder("按组织名称或编码搜索")
    box.press_sequentially(part, delay=20)
    results = page.locator("#search-results")
    expect(results).to_contain_text(f"“{part}”的搜索结果")
    expect(results.locator("li")).to_have_count(len(expected))
    hit = results.get_by_role("link", name=target.name, exact=True)
    expect(hit).to_be_visible()
    expect(page).to_have_url(re.compile(r"/orgs/$"))  # htmx swap, not a page load
    screenshot(page, device, "search")

    hit.click()
    expect(page).to_have_url(re.compile(rf"/orgs/{target.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(target.name)
    for header in ("基本情况", "书记和委员", "组织沿革"):
        expect(page.locator(".card-header", has_text=header)).to_be_visible()
    breadcrumb = page.get_by_role("navigation", name="上级组织")
    expect(breadcrumb.get_by_role("link", name=root.name, exact=True)).to_be_visible()
    screenshot(page, device, "org")
