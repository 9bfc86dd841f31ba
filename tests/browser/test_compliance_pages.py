"""C2 compliance pages in a real browser: 达标率 by month with the drill-down from a rate cell
to the branches that missed and on to one branch's year; rules customized for a year and an
exemption; the reminders tabs with their Excel export; early warnings; the notices inbox."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from dangjian.compliance import reminders
from dangjian.compliance.engine import evaluate_year
from dangjian.compliance.models import ComplianceRule, ComplianceRun, Exemption, MemberWarning
from tests.browser.helpers import login
from tests.browser.test_ledger_pages import add_meeting, assert_fits, build_county

pytestmark = pytest.mark.browser

MISSED_THEME_DAY = 4  # branch A held no 主题党日 in April
HALF_EMPTY = 7  # ... and in July only half of it came: not quorate, does not count
THEME_DAY = "主题党日 每月≥1次"


def _today() -> dt.date:
    return timezone.localdate()


def _year_of_meetings(county) -> SimpleNamespace:
    """This year's judged months (January to last month):
    A (8 formal members: committee monthly applies) holds a 支部委员会 every month, a 主题党日
    every month but April (none) and July (4 of 8 present), a 党员大会 and a 党课 each quarter;
    B (4 members) holds only 主题党日, so it misses the quarter-end months; C holds one 主题党日
    in January and nothing after (so its members have no organizational life since)."""
    today = _today()
    if today.month < HALF_EMPTY + 2:
        pytest.skip("the scenario needs the months up to August judged")
    year = today.year
    a, b = county.branch_members, county.other_members
    for month in range(1, today.month):
        day = dt.date(year, month, 10)
        add_meeting(county.admin, county.branch, a, "支部委员会", day, f"{month}月支委会")
        if month != MISSED_THEME_DAY:
            absent = len(a) // 2 if month == HALF_EMPTY else 0
            add_meeting(
                county.admin, county.branch, a, "主题党日", day, f"{month}月主题党日", absent
            )
        if month % 3 == 2:
            add_meeting(
                county.admin,
                county.branch,
                a,
                "支部党员大会",
                day,
                f"第{month // 3 + 1}季度党员大会",
            )
            add_meeting(county.admin, county.branch, a, "党课", day, f"第{month // 3 + 1}季度党课")
        add_meeting(county.admin, county.other, b, "主题党日", day, f"{month}月主题党日")
    add_meeting(
        county.admin,
        county.village,
        county.village_members,
        "主题党日",
        dt.date(year, 1, 10),
        "新年第一次主题党日",
    )
    return SimpleNamespace(year=year, judged=today.month - 1)


@pytest.fixture
def county(transactional_db):
    made = build_county()
    made.year = _year_of_meetings(made)
    return made


# --- 4. 达标率 and the drill-down --------------------------------------------------------------


def test_officer_recomputes_and_drills_down_to_a_branch(county, page, device, screenshot):
    year = county.year.year
    login(page, "admin")
    page.goto("/compliance/")
    expect(
        page.get_by_role("heading", name=f"{county.root.name} · {year}年组织生活达标率")
    ).to_be_visible()
    expect(page.get_by_text(f"{year}年度尚未计算。")).to_be_visible()
    page.get_by_role("button", name="重新计算").click()
    expect(
        page.get_by_text(re.compile(rf"已重新计算{year}年度达标情况（用时[\d.]+秒）"))
    ).to_be_visible()
    run = ComplianceRun.objects.get(year=year)
    assert run.judged_through == county.year.judged
    expect(page.get_by_text(f"已评价至{run.judged_through}月")).to_be_visible()

    table = page.locator("table.rate-table")
    # Root row: A misses April and July, B the quarter ends, C every month but January.
    root_row = table.locator("tbody tr").first
    expect(root_row.locator("td").first).to_have_text(f"{county.root.name}（合计）")
    cells = root_row.locator("td.rate-cell")
    expect(cells).to_have_count(12)

    def rate(month: int) -> str:
        met = (month not in (MISSED_THEME_DAY, HALF_EMPTY)) + (month % 3 != 0) + (month == 1)
        return f"{met / 3:.1%}"

    for month in range(1, county.year.judged + 1):
        expect(cells.nth(month - 1)).to_have_text(rate(month))
    expect(cells.nth(county.year.judged)).to_have_text("—")  # the month in progress
    expect(table.locator("tbody tr", has_text=county.organs.name)).to_have_count(1)
    expect(table.locator("tbody tr", has_text=county.town.name)).to_have_count(1)
    assert_fits(page, device)
    screenshot(page, device, "overview")
    if device == "phone":
        # The months scroll sideways inside the table box; the organization column stays put.
        box = page.locator(".table-responsive").first
        box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        assert box.evaluate("el => el.scrollLeft") > 0
        name_cell, frame = root_row.locator("td").first.bounding_box(), box.bounding_box()
        assert abs(name_cell["x"] - frame["x"]) <= 2, (name_cell, frame)
        expect(cells.nth(11)).to_be_in_viewport()
        screenshot(page, device, "overview-scrolled")
        box.evaluate("el => { el.scrollLeft = 0; }")

    # April of the whole county: A (no 主题党日) and C (nothing) missed, B met.
    cells.nth(MISSED_THEME_DAY - 1).get_by_role("link").click()
    expect(page).to_have_url(
        re.compile(
            rf"/compliance/branches/\?org={county.root.pk}&year={year}&month={MISSED_THEME_DAY}&status=missed"
        )
    )
    expect(
        page.get_by_role(
            "heading", name=f"{county.root.name} · {year}年{MISSED_THEME_DAY}月 · 未达标支部"
        )
    ).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(county.branch.name)
    expect(rows.nth(0)).to_contain_text(f"{THEME_DAY}：{MISSED_THEME_DAY}月有效0次，要求1次")
    expect(rows.nth(1)).to_contain_text(county.village.name)
    expect(page.locator("table", has_text=county.other.name)).to_have_count(0)
    assert_fits(page, device)
    screenshot(page, device, "branches")

    page.get_by_role("link", name="全部", exact=True).click()
    expect(page.locator("table tbody tr")).to_have_count(3)
    page.get_by_role("link", name="未达标", exact=True).click()
    expect(page.locator("table tbody tr")).to_have_count(2)

    # On to branch A's year.
    page.get_by_role("link", name=county.branch.name).click()
    expect(page).to_have_url(re.compile(rf"/compliance/branches/{county.branch.pk}/\?year={year}"))
    expect(page.get_by_role("heading", name=county.branch.name)).to_be_visible()
    expect(page.get_by_text("正式党员 8 人")).to_be_visible()
    months = page.locator("table tbody tr")
    expect(months).to_have_count(12)
    april, july = months.nth(MISSED_THEME_DAY - 1), months.nth(HALF_EMPTY - 1)
    expect(april.locator("td").nth(1)).to_have_text("未达标")
    expect(april).to_contain_text(f"{THEME_DAY}：{MISSED_THEME_DAY}月有效0次，要求1次")
    expect(april.locator("td").nth(3)).to_contain_text(f"{MISSED_THEME_DAY}-10 支部委员会")
    expect(april.locator("td").nth(3)).not_to_contain_text("主题党日")
    expect(july.locator("td").nth(1)).to_have_text("未达标")
    expect(july).to_contain_text(f"{THEME_DAY}：{HALF_EMPTY}月有效0次，要求1次")
    expect(july.locator(".badge", has_text="未过半")).to_be_visible()
    expect(months.nth(0).locator("td").nth(1)).to_have_text("达标")
    expect(months.nth(county.year.judged).locator("td").nth(1)).to_have_text("—")
    expect(page.get_by_text("本期尚需完成：")).to_be_visible()
    assert_fits(page, device)
    screenshot(page, device, "branch")

    # A meeting of the month opens the ledger entry.
    july.get_by_role("link", name=f"{HALF_EMPTY}-10 主题党日").click()
    expect(page.get_by_role("heading", name=f"{HALF_EMPTY}月主题党日")).to_be_visible()
    expect(page.get_by_text("实到未过半，不计入达标")).to_be_visible()

    # The county's ledger (all its branches, with the 组织 column on a desktop).
    page.goto(f"/ledger/meetings/?org={county.root.pk}&month={HALF_EMPTY}")
    expect(page.locator("table tbody tr")).to_have_count(3)
    assert_fits(page, device)
    screenshot(page, device, "county-ledger")


def test_secretary_sees_own_branch_compliance(county, page, device, screenshot):
    evaluate_year(county.year.year)
    login(page, "secretary")
    page.goto("/ledger/meetings/")
    page.get_by_role("link", name="达标情况", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/compliance/branches/{county.branch.pk}/$"))
    expect(page.locator("table tbody tr").nth(MISSED_THEME_DAY - 1)).to_contain_text("未达标")
    # The secretary's overview is the branch alone; no recompute button.
    page.goto("/compliance/")
    expect(page.get_by_role("heading", name=re.compile(county.branch.name))).to_be_visible()
    expect(page.get_by_role("button", name="重新计算")).to_have_count(0)
    assert_fits(page, device)
    screenshot(page, device, "overview")


# --- 5. rules and exemptions ----------------------------------------------------------------


def _rule_form(page: Page, activity: str):
    return page.locator("form[action^='/compliance/rules/']", has_text=f"{activity} 每月≥")


def test_admin_customizes_rules_and_adds_exemption(county, page, device, screenshot):
    year = county.year.year
    login(page, "admin")
    page.goto("/compliance/rules/")
    expect(page.get_by_role("heading", name=f"{year}年度组织生活达标规则")).to_be_visible()
    expect(page.get_by_text("本年度使用默认规则")).to_be_visible()
    assert_fits(page, device)
    screenshot(page, device, "default")

    page.get_by_role("button", name=f"为{year}年度定制规则").click()
    expect(page.get_by_text(f"已为{year}年度建立单独的规则，可逐条修改")).to_be_visible()
    expect(page.get_by_text("本年度使用单独定制的规则。")).to_be_visible()
    assert ComplianceRule.objects.filter(year=year).count() == 6

    form = _rule_form(page, "主题党日")
    expect(form).to_have_count(1)
    quorum = form.get_by_label("到会比例")
    expect(quorum).to_have_value("50")
    quorum.fill("60")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_text(f"已保存：{THEME_DAY}（重新计算后生效）")).to_be_visible()
    expect(_rule_form(page, "主题党日").get_by_label("到会比例")).to_have_value("60")
    rule = ComplianceRule.objects.get(year=year, code="theme_day_monthly")
    assert rule.quorum_percent == 60
    assert ComplianceRule.objects.get(year=None, code="theme_day_monthly").quorum_percent == 50

    # A bad value is refused in Chinese and changes nothing.
    form = _rule_form(page, "主题党日")
    form.get_by_label("到会比例").fill("120")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_text(f"{THEME_DAY}：到会比例应在0–100之间")).to_be_visible()
    rule.refresh_from_db()
    assert rule.quorum_percent == 60
    assert_fits(page, device)
    screenshot(page, device, "customized")

    # An exemption for branch C with a reason.
    page.get_by_label("支部编码").fill(county.village.code)
    page.get_by_label("规则", exact=True).select_option(label=THEME_DAY)
    page.get_by_label("起始月份").fill(f"{year}-03")
    page.get_by_label("截止月份").fill(f"{year}-05")
    page.get_by_label("原因", exact=True).fill("村党组织换届，支部班子调整")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_text(f"已为{county.village.name}登记豁免（重新计算后生效）")).to_be_visible()
    row = page.locator("table tbody tr", has_text="村党组织换届，支部班子调整")
    expect(row).to_contain_text(county.village.name)
    expect(row).to_contain_text(f"{year}-03 至 {year}-05")
    expect(row).to_contain_text(THEME_DAY)
    exemption = Exemption.objects.get()
    assert (exemption.organization_id, exemption.rule_code) == (
        county.village.pk,
        "theme_day_monthly",
    )
    assert exemption.created_by

    # Without a reason (the box is required in the browser; a blank one is refused by the server).
    page.get_by_label("支部编码").fill(county.other.code)
    page.get_by_label("起始月份").fill(f"{year}-01")
    page.get_by_label("截止月份").fill(f"{year}-02")
    page.get_by_label("原因", exact=True).fill("   ")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_text("请填写豁免原因")).to_be_visible()
    assert Exemption.objects.count() == 1
    assert_fits(page, device)
    screenshot(page, device, "exemption")


# --- 6. reminders, warnings, notices ----------------------------------------------------------


def test_reminders_tabs_and_excel_export(county, page, device, screenshot, tmp_path):
    today = _today()
    reminders.daily_reminders(today)  # evaluates the year, then writes the notices
    reminders.weekly_bulletin(today)
    reminders.monthly_talks(today)
    login(page, "admin")

    page.goto("/compliance/reminders/")
    expect(page.get_by_role("heading", name=f"{county.root.name} · 提醒与通报")).to_be_visible()
    expect(page.get_by_role("link", name="日提醒")).to_have_class(re.compile(r"\bactive\b"))
    daily = page.locator("table tbody tr")
    expect(daily.filter(has_text=county.branch.name).first).to_be_visible()
    expect(daily.filter(has_text="支部委员会 每月≥1次").first).to_contain_text(f"{today.month}月")
    assert_fits(page, device)
    screenshot(page, device, "daily")

    page.get_by_role("link", name="周通报").click()
    expect(page).to_have_url(re.compile(r"tab=weekly"))
    ranked = page.locator("table tbody tr")
    expect(ranked).to_have_count(2)
    expect(ranked.nth(0)).to_contain_text(county.organs.name)  # 机关工委 ranks above 城关镇
    expect(ranked.nth(1)).to_contain_text(county.town.name)
    expect(ranked.nth(1)).to_contain_text("0.0%")
    assert_fits(page, device)
    screenshot(page, device, "weekly")

    page.get_by_role("link", name="月约谈").click()
    expect(page).to_have_url(re.compile(r"tab=monthly"))
    talks = page.locator("table tbody tr")
    expect(talks).to_have_count(1)
    expect(talks).to_contain_text(county.village.name)
    expect(talks.locator("td").nth(1)).to_have_text(str(county.year.judged - 1))
    assert_fits(page, device)
    screenshot(page, device, "monthly")

    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    download = info.value
    assert download.suggested_filename == f"提醒与通报-{county.root.name}-{today.year}.xlsx"
    saved = tmp_path / "reminders.xlsx"
    download.save_as(saved)
    book = load_workbook(saved, read_only=True)
    assert book.sheetnames == ["日提醒", "周通报", "月约谈"]
    talks_rows = list(book["月约谈"].iter_rows(values_only=True))
    assert talks_rows == [
        ("组织编码", "组织名称", "最长连续未达标月数"),
        (county.village.code, county.village.name, county.year.judged - 1),
    ]

    # Early warnings: nobody paid dues this year; C's members attended nothing since January.
    page.goto("/compliance/warnings/")
    expect(
        page.get_by_role("heading", name=f"{county.root.name} · {today.year}年党员预警")
    ).to_be_visible()
    total = MemberWarning.objects.filter(year=today.year).count()
    assert total == 2 * len(county.village_members) + len(county.branch_members) + len(
        county.other_members
    )
    expect(page.locator("table tbody tr")).to_have_count(total)
    page.get_by_role("link", name="连续未参加组织生活").click()
    expect(page.locator("table tbody tr")).to_have_count(len(county.village_members))
    assert_fits(page, device)
    screenshot(page, device, "warnings")
    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    assert info.value.suggested_filename.endswith(".xlsx")

    # Notices: the navbar badge (htmx) counts them; the inbox lists them; 全部标为已读 clears it.
    page.goto("/notices/")
    expect(page.get_by_role("heading", name="通知")).to_be_visible()
    items = page.locator(".list-group-item")
    expect(items).to_have_count(3)
    expect(items.filter(has_text="月约谈名单")).to_contain_text(county.village.name)
    badge = page.locator("nav .badge").locator("visible=true")  # one link per layout
    expect(badge).to_have_text("3")
    assert_fits(page, device)
    screenshot(page, device, "notices")
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator(".list-group-item .badge", has_text="新")).to_have_count(0)
    expect(page.locator("nav .badge").locator("visible=true")).to_have_count(0)
    items.filter(has_text="周通报").get_by_role("link", name="查看明细").click()
    expect(page).to_have_url(re.compile(r"/compliance/reminders/\?tab=weekly"))
