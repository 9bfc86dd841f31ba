"""C7 rectification pages in a real browser: an officer opens the year's ledgers for the
软弱涣散 branches, then works one branch's ledger on a phone (and on a desktop): the plan, a
problem with its countermeasure, a 包点 leader, a progress entry, solving the problem and the
acceptance that turns it 已转化. The branch secretary reads the same ledger without forms.

The county is the small one of test_ledger_pages (accounts `admin` and `secretary`); the
assessment results that flag branch A are stored as the assessment engine stores them.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.accounts.models import AuditEntry
from dangjian.rectification.models import Rectification
from dangjian.rectification.tests.factories import flag
from tests.browser.helpers import login
from tests.browser.test_ledger_pages import assert_fits, build_county, expect_not_found

pytestmark = pytest.mark.browser

YEAR = dt.date.today().year - 1
OPEN_BUTTON = "为软弱涣散组织建立整顿台账"


@pytest.fixture
def county(transactional_db):
    """Branch A (the secretary's) and village branch C flagged 软弱涣散 in last year's
    assessment; branch B 后进 but not 软弱涣散."""
    made = build_county()
    flag([made.branch, made.village])
    flag([made.other], weak=False)
    return made


def test_officer_works_a_rectification_to_transformation(county, page, device, screenshot):
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of bulk actions
    login(page, "admin")
    page.goto("/rectification/")
    expect(
        page.get_by_role("heading", name=f"{county.root.name} · 整顿软弱涣散党组织")
    ).to_be_visible()
    expect(page.get_by_text("没有符合条件的整顿台账")).to_be_visible()
    expect(page.get_by_label("考核年度", exact=True)).to_have_value(str(YEAR))
    page.get_by_role("button", name=OPEN_BUTTON).click()
    expect(page.get_by_text(f"已为{YEAR}年度2个软弱涣散党组织建立整顿台账")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(county.branch.name)
    expect(rows.nth(1)).to_contain_text(county.village.name)
    expect(page.get_by_role("link", name=re.compile(r"^整顿中"))).to_contain_text("2")
    assert_fits(page, device)
    screenshot(page, device, "list")

    # Opening again changes nothing.
    page.get_by_role("button", name=OPEN_BUTTON).click()
    expect(page.get_by_text("没有需要新建的")).to_be_visible()
    assert Rectification.objects.count() == 2

    page.get_by_role("link", name=county.branch.name).click()
    rect = Rectification.objects.get(organization=county.branch)
    expect(page).to_have_url(re.compile(rf"/rectification/{rect.pk}/$"))
    expect(page.get_by_role("heading", name=county.branch.name)).to_be_visible()
    expect(page.locator("[aria-current=step]")).to_have_text("1. 整顿中")
    blockers = page.locator("#acceptance .alert-warning li")
    expect(blockers).to_have_count(3)
    expect(page.get_by_role("button", name="验收通过，转为已转化")).to_be_disabled()
    assert_fits(page, device)
    screenshot(page, device, "fresh")

    # 一支部一方案
    page.get_by_label("整顿方案").fill(
        "一、调整充实支部班子；\n二、严格落实三会一课；\n三、建立长效机制。"
    )
    page.get_by_role("button", name="保存方案").click()
    expect(page.get_by_text("整顿方案已保存")).to_be_visible()
    expect(page.locator("#plan")).to_contain_text("严格落实三会一课")

    # 一问题一对策, with a due date
    due = timezone.localdate() + dt.timedelta(days=30)
    form = page.locator("form.problem-add")
    form.get_by_label("存在问题").fill("组织生活不经常、不认真")
    form.get_by_label("整改对策").fill("每月固定主题党日，支委会专题研究")
    form.get_by_label("完成时限").fill(due.isoformat())
    form.get_by_role("button", name="增加问题").click()
    expect(page.get_by_text("已增加问题和整改对策")).to_be_visible()
    problem = page.locator("#problems .list-group-item").first
    expect(problem).to_contain_text("组织生活不经常、不认真")
    expect(problem).to_contain_text(f"完成时限：{due:%Y-%m-%d}")
    expect(problem.locator(".badge")).to_have_text("未解决")

    # A 县处级领导包点
    leader_form = page.locator("form.leader-add")
    leader_form.get_by_label("包联方式").select_option(label="县处级领导包点")
    leader_form.get_by_label("姓名").fill("王建军")
    leader_form.get_by_label("职务/单位").fill("县委常委、组织部部长")
    leader_form.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_text("已登记包联领导")).to_be_visible()
    expect(page.locator("#leaders .leader")).to_contain_text("王建军")

    # The same leader twice is refused in Chinese under the name, the typed text kept.
    page.get_by_text("登记包联领导", exact=True).click()  # unfold the form
    leader_form.get_by_label("姓名").fill("王建军")
    leader_form.get_by_label("职务/单位").fill("县委常委")
    leader_form.get_by_role("button", name="登记", exact=True).click()
    expect(leader_form.get_by_text("王建军已登记为县处级领导包点，不必重复登记")).to_be_visible()
    expect(leader_form.get_by_label("职务/单位")).to_have_value("县委常委")
    expect(page.locator("#leaders .leader")).to_have_count(1)
    assert_fits(page, device)
    screenshot(page, device, "refused")

    # Progress: the date picker offers no future day.
    day = page.locator("#progress").get_by_label("日期")
    expect(day).to_have_value(timezone.localdate().isoformat())
    expect(day).to_have_attribute("max", timezone.localdate().isoformat())
    page.get_by_label("进展情况").fill("包点领导到村召开专题会议")
    page.get_by_role("button", name="登记进展").click()
    expect(page.get_by_text("已登记整顿进展")).to_be_visible()
    expect(page.locator("#progress .list-group-item").first).to_contain_text(
        "包点领导到村召开专题会议"
    )

    # The problem is solved; nothing stands between the ledger and its acceptance.
    expect(blockers).to_have_count(1)
    expect(blockers).to_have_text("还有1个问题未解决")
    page.get_by_role("button", name="标记已解决").click()
    expect(page.get_by_text("已标记为已解决")).to_be_visible()
    expect(problem.locator(".badge")).to_have_text("已解决")
    expect(page.get_by_text("可以组织验收")).to_be_visible()
    assert_fits(page, device)
    screenshot(page, device, "ready")

    page.get_by_label("验收意见").fill("班子配强，组织生活规范，问题全部整改到位，同意转化。")
    page.get_by_label("验收人").fill("县委组织部 李明")
    page.get_by_role("button", name="验收通过，转为已转化").click()
    expect(page.get_by_text("验收通过，状态已改为“已转化”")).to_be_visible()
    expect(page.locator("[aria-current=step]")).to_have_text("2. 已转化")
    expect(page.locator("#acceptance")).to_contain_text("县委组织部 李明")
    # The accepted plan, problems and leaders are frozen; progress and 巩固 remain.
    expect(page.get_by_role("button", name="保存方案")).to_have_count(0)
    expect(page.get_by_role("button", name="增加问题")).to_have_count(0)
    expect(page.get_by_role("button", name="确认巩固")).to_be_visible()
    assert_fits(page, device)
    screenshot(page, device, "transformed")

    rect.refresh_from_db()
    assert rect.state == "已转化" and rect.acceptor == "县委组织部 李明"
    assert rect.problems.get().done and rect.leaders.count() == rect.progress.count() == 1
    logged = set(AuditEntry.objects.values_list("object_type", flat=True))
    assert {"整顿台账", "整顿问题", "整顿包联领导", "整顿进展"} <= logged

    page.get_by_role("link", name="‹ 整顿台账").click()
    row = page.locator("table tbody tr", has_text=county.branch.name)
    expect(row).to_contain_text("已转化")
    if device == "phone":
        expect(row).to_contain_text("问题 1/1")


def test_secretary_reads_own_rectification_and_records_progress(
    county, page, device, screenshot, console_errors
):
    from dangjian.rectification import services

    services.open_rectifications(None, YEAR)
    mine = Rectification.objects.get(organization=county.branch)
    other = Rectification.objects.get(organization=county.village)
    login(page, "secretary")
    page.goto("/rectification/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(county.branch.name)
    expect(page.get_by_role("button", name=OPEN_BUTTON)).to_have_count(0)
    rows.get_by_role("link", name=county.branch.name).click()
    expect(page).to_have_url(re.compile(rf"/rectification/{mine.pk}/$"))
    expect(page.get_by_text("尚未制定整顿方案。")).to_be_visible()
    # the secretary records the branch's progress, and changes nothing else
    forms = page.locator("main form[method=post]")
    expect(forms).to_have_count(1)
    expect(forms).to_have_attribute("action", re.compile(rf"/rectification/{mine.pk}/progress/"))
    assert_fits(page, device)
    screenshot(page, device, "secretary")
    expect_not_found(page, console_errors, f"/rectification/{other.pk}/")
