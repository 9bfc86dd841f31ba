"""Choosing an organization by typing part of its name: the member transfer page offers the
matching branches in scope as the user types, and the chosen one's code is what is sent.

The small world of the scope matrix (tests/scope_world.py), committed so the live server
sees it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dangjian.members.models import Member
from tests.browser.helpers import login
from tests.scope_world import PASSWORD as MATRIX_PASSWORD

pytestmark = pytest.mark.browser


def test_a_transfer_offers_the_branches_named_like_what_is_typed(world, page, device, screenshot):
    inside, outside = world.side("inside"), world.side("outside")
    member, target = inside.member, inside.branch2
    login(page, "matrix-admin", MATRIX_PASSWORD)
    page.goto(f"/members/{member.pk}/transfer/")
    field = page.get_by_label("转入支部")
    field.press_sequentially("组织部", delay=30)
    offered = page.locator(f"#{field.get_attribute('list')} option")
    expect(offered).to_have_count(1)  # the other county's 组织部党支部 is outside the scope
    assert offered.first.get_attribute("value") == target.code
    assert outside.branch2.name.endswith("组织部党支部")
    expect(offered.first).to_have_text(f"{target.name}（党支部，上级：{inside.org.parent.name}）")
    screenshot(page, device, "offered")
    field.fill(offered.first.get_attribute("value"))  # what choosing the option does
    page.get_by_label("转接日期").fill("2026-11-20")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text(f"已将 {member.name} 转入 {target.name}")).to_be_visible()
    assert Member.objects.get(pk=member.pk).organization_id == target.pk
