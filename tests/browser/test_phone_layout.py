"""On a 390 px phone no page scrolls sideways: wide tables scroll inside their own box, long
names wrap or shrink, and the menu folds behind its button.

A page of each kind in the scope matrix's small world (tests/scope_world.py), committed so
the live server sees it."""

from __future__ import annotations

import pytest
from django.db.models import Value
from django.db.models.functions import Concat

from dangjian.orgs.models import Organization
from tests.browser.helpers import login, main_pages
from tests.scope_world import PASSWORD as MATRIX_PASSWORD

pytestmark = pytest.mark.browser
LONG_NAME = "非公有制经济组织和社会组织工作委员会第一联合党支部"


def test_no_page_is_wider_than_a_phone(world, phone_context):
    county = world.side("inside").county  # its organizations get names as long as real ones
    Organization.objects.filter(path__startswith=county.path).update(
        name=Concat("name", Value(LONG_NAME))
    )
    page = phone_context.new_page()
    login(page, "matrix-admin", MATRIX_PASSWORD)
    width = page.viewport_size["width"]
    too_wide = {}
    for url in main_pages(world):
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("networkidle")
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll_width > width:
            too_wide[url] = scroll_width
    assert not too_wide, f"pages wider than the {width} px phone: {too_wide}"


def test_the_audit_log_reads_as_cards_on_a_phone(world, phone_context):
    """Each entry fits the phone's width (no sideways scroll inside the table either), with
    what it changed under its label."""
    page = phone_context.new_page()
    login(page, "matrix-admin", MATRIX_PASSWORD)
    page.goto("/audit/")
    box = page.locator(".table-responsive").first
    assert box.evaluate("el => el.scrollWidth <= el.clientWidth")
    first = page.locator(".audit-table tbody tr").first
    assert first.evaluate("tr => getComputedStyle(tr).display") == "grid"
    after = first.locator("td.audit-values").last
    assert after.evaluate("td => getComputedStyle(td, '::before').content") == '"变更后"'
