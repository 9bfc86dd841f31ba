"""C8 public rating in a real browser.

- The public page on a 390×844 phone: large, clear levels (checked by their rendered size and
  font), a complaint and a phone number, the tracking code; then, once the department has
  answered, the person reads the reply with the code and says it solved the problem. Strict
  Content-Security-Policy: any blocked inline script or style would fail the test through the
  console watcher.
- The same page without JavaScript: the form posts itself and answers with the code.
- The officer's case flow on a desktop: the case list (overdue first), 转办 to another
  department, 跟踪, 反馈, and the satisfaction table.

The county is the small one of test_ledger_pages (accounts `admin` and `secretary`).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dangjian.rating import rollups, services
from dangjian.rating.choices import CaseState
from dangjian.rating.models import Case
from dangjian.rating.tests.factories import make_target, rate
from tests.browser.conftest import _shoot_on_failure
from tests.browser.helpers import login
from tests.browser.test_ledger_pages import assert_fits, build_county

pytestmark = pytest.mark.browser


@pytest.fixture
def county(transactional_db):
    made = build_county()
    made.window = make_target(made.branch, "县财政局办事窗口", location="政务服务中心二楼")
    made.station = make_target(made.village, "新华社区党群服务中心", "station")
    return made


@pytest.fixture
def phone_page(request, phone_context, console_errors) -> Page:
    """A phone page watched for console errors (a blocked inline script or style included)."""
    page = console_errors.watch(phone_context.new_page())
    yield page
    _shoot_on_failure(request, page, "phone")


def _level(page: Page, name: str):
    return page.locator("label.level").filter(
        has=page.locator(".name", has_text=re.compile(f"^{name}$"))
    )


def test_public_rates_complains_and_reads_the_reply_on_a_phone(county, phone_page, screenshot):
    page = phone_page
    page.goto(f"/r/{county.window.code}")
    expect(page.get_by_role("heading", name="县财政局办事窗口")).to_be_visible()
    expect(page.get_by_text("您对本次服务满意吗？")).to_be_visible()
    # five large levels, best first, each a full-width target for a finger
    levels = page.locator("label.level")
    expect(levels).to_have_count(5)
    names = [levels.nth(i).locator(".name").inner_text() for i in range(5)]
    assert names == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    for i in range(5):
        box = levels.nth(i).bounding_box()
        assert box["height"] >= 60 and box["width"] >= 340, box
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('label.level .name')).fontSize)"
    )
    assert size >= 26, size
    assert_fits(page, "phone")
    screenshot(page, "phone", "page")

    _level(page, "不满意").click()
    expect(page.get_by_text("请在下面写下您遇到的问题")).to_be_visible()
    page.get_by_label("意见或问题").fill("窗口排队太久，只开了一个窗口")
    page.get_by_label("手机号码").fill("13812345678")
    screenshot(page, "phone", "filled")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("感谢您的评价！")).to_be_visible()
    code = page.locator("#tracking").get_attribute("data-code")
    expect(page.locator("#tracking")).to_have_text(f"{code[:5]}-{code[5:]}")
    case = Case.objects.get(tracking_code=code)
    assert case.score == 2 and case.complaint == "窗口排队太久，只开了一个窗口"
    assert case.rating.device  # the page's device token came along
    screenshot(page, "phone", "tracking-code")

    services.reply(county.admin, case, "已增开两个窗口，并在高峰时段安排引导员。感谢您的监督！")
    page.get_by_role("link", name="查看办理进度").click()
    expect(page).to_have_url(re.compile(rf"/r/track/{code}$"))
    expect(page.get_by_text("已增开两个窗口")).to_be_visible()
    expect(page.get_by_text("已反馈", exact=True)).to_be_visible()
    assert "13812345678" not in page.content()
    assert_fits(page, "phone")
    screenshot(page, "phone", "reply")
    page.get_by_role("button", name="已解决").click()
    expect(page.get_by_text("感谢您的回访")).to_be_visible()
    expect(page.get_by_text("已办结", exact=True)).to_be_visible()
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.resolved is True
    screenshot(page, "phone", "closed")


def test_a_good_rating_and_a_refusal_on_a_phone(county, phone_context):
    """A missing choice and a replay are explained in Chinese on the page. The browser logs
    the replay's 429 answer as a failed resource; nothing else may reach the console."""
    page = phone_context.new_page()
    logged: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and logged.append(msg.text))
    page.on("pageerror", lambda exc: logged.append(str(exc)))
    page.goto(f"/r/{county.station.code}")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("请先选择一个评价等级")).to_be_visible()
    _level(page, "非常满意").click()
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("您的评价已记录")).to_be_visible()
    expect(page.locator("#ticket")).to_be_hidden()
    # the same rating again from the same phone is a replay: refused in Chinese
    page.goto(f"/r/{county.station.code}")
    _level(page, "非常满意").click()
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("您刚才已提交过相同的评价")).to_be_visible()
    assert [m for m in logged if "status of 429" not in m] == []


def test_the_page_works_without_javascript(county, browser, live_server, screenshot):
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        device_scale_factor=2,
    )
    try:
        page = context.new_page()
        page.goto(f"/r/{county.window.code}")
        _level(page, "非常不满意").click()
        page.get_by_label("意见或问题").fill("没人接待")
        page.get_by_role("button", name="提交评价").click()
        expect(page.get_by_text("感谢您的评价！")).to_be_visible()
        code = page.locator("#tracking").get_attribute("data-code")
        assert Case.objects.get(tracking_code=code).complaint == "没人接待"
        screenshot(page, "phone", "no-javascript")
        page.get_by_role("link", name="查看办理进度").click()
        expect(page.get_by_text("正在办理中")).to_be_visible()
    finally:
        context.close()


def test_officer_routes_tracks_and_answers_a_case(county, desktop_page, screenshot):
    page = desktop_page
    page.on("dialog", lambda dialog: dialog.accept())
    rate(county.window, 5)
    rate(county.window, 4)
    fresh = Case.objects.get(
        tracking_code=rate(county.window, 1, "材料要求没有一次说清").tracking_code
    )
    late = Case.objects.get(tracking_code=rate(county.station, 2, "服务中心经常没人").tracking_code)
    Case.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - dt.timedelta(days=2))
    rollups.refresh_all()

    login(page, "admin")
    page.get_by_role("link", name="群众评议").first.click()
    expect(page.get_by_role("heading", name=re.compile("群众评议"))).to_be_visible()
    expect(page.locator(".sat-summary")).to_contain_text("4")
    screenshot(page, "desktop", "satisfaction")

    page.get_by_role("link", name="评议对象").click()
    expect(page.locator("table.target-table tbody tr")).to_have_count(2)
    expect(page.get_by_role("link", name="海报").first).to_be_visible()
    screenshot(page, "desktop", "targets")

    page.get_by_role("link", name="诉求办理").click()
    rows = page.locator("table.case-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(late.tracking_code)  # overdue first
    expect(rows.nth(0)).to_contain_text("逾期")
    screenshot(page, "desktop", "cases")

    page.get_by_role("link", name=fresh.tracking_code).click()
    expect(page.get_by_text("材料要求没有一次说清")).to_be_visible()
    expect(page.get_by_text("138", exact=False)).to_have_count(0)
    page.get_by_label("承办单位编码").fill(county.other.code)
    page.get_by_label("转办意见").fill("请教育局机关核实")
    page.get_by_role("button", name="转办", exact=True).click()
    expect(page.get_by_text("已转办")).to_be_visible()
    expect(page.locator("[data-field=department]")).to_have_text(county.other.name)

    page.get_by_text("跟踪：登记办理情况").click()
    page.get_by_label("办理情况").fill("已约群众到窗口当面说明")
    page.get_by_role("button", name="记录").click()
    expect(page.get_by_text("已记录办理情况")).to_be_visible()
    page.get_by_label("答复内容").fill("已制作一次性告知清单，张贴在窗口。")
    page.get_by_role("button", name="提交答复").click()
    expect(page.get_by_text("已答复，群众凭查询码可查看")).to_be_visible()
    steps = page.locator(".case-steps li")
    expect(steps).to_have_count(4)
    expect(steps.nth(1)).to_contain_text("转办")
    expect(steps.nth(3)).to_contain_text("反馈")
    screenshot(page, "desktop", "case")
    fresh.refresh_from_db()
    assert fresh.state == CaseState.REPLIED and fresh.organization_id == county.other.pk

    page.goto(f"/rating/cases/{late.pk}/")
    page.get_by_role("button", name="上报上级督办").click()
    expect(page.get_by_text("已上报上级督办")).to_be_visible()
    late.refresh_from_db()
    assert late.organization_id == county.town.pk and late.escalation_level == 1
