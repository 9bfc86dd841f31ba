"""C2 ledger pages in a real browser: a secretary records a meeting on a phone (roll call with
a live 实到 count), bad dates and fake attachments are refused in Chinese, a month of dues is
proposed from incomes and saved, and another branch's pages answer 404.

The data is a small county built through the real services (loading the demo county would
cost ~15 s per test); the accounts are the same `admin` and `secretary` as the `demo` fixture.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.compliance.models import ComplianceRule
from dangjian.compliance.rules import install_default_rules
from dangjian.ledger.choices import AttendanceStatus
from dangjian.ledger.dues import install_default_brackets
from dangjian.ledger.models import DuesBracket, DuesPayment, Meeting
from dangjian.ledger.services import MeetingInput, RollCallEntry, record_meeting
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.orgs.choices import DEFAULT_CATEGORIES
from dangjian.orgs.models import Category, Organization
from dangjian.orgs.tests.factories import make_org
from tests.browser.helpers import PASSWORD, login

pytestmark = pytest.mark.browser

BRANCH_A_NAMES = ["张建国", "李秀英", "王志强", "刘丽华", "陈卫东", "杨红梅", "赵德明", "黄小燕"]
BRANCH_B_NAMES = ["周国庆", "吴海燕", "郑文军", "孙桂兰"]
BRANCH_C_NAMES = ["马永红", "朱晓明", "胡春花"]
# The engine judges an organization only for periods starting on or after its 成立日期, which
# make_org would otherwise set to today.
ESTABLISHED = dt.date(2015, 7, 1)


# --- data -----------------------------------------------------------------------------------


def _restore_defaults() -> None:
    """transactional_db flushes the rows the data migrations installed (categories, default
    compliance rules, dues brackets): put them back with the migrations' own code."""
    for order, name in enumerate(DEFAULT_CATEGORIES, start=1):
        Category.objects.get_or_create(name=name, defaults={"sort_order": order})
    install_default_rules(ComplianceRule)
    install_default_brackets(DuesBracket)


def _members(org: Organization, names: list[str]) -> list[Member]:
    return [member_services.add_member(None, MemberDataFactory(name=n), org) for n in names]


def _org(parent, org_type: str, category: str, code: str, name: str) -> Organization:
    return make_org(parent, org_type, category, code=code, name=name, established_on=ESTABLISHED)


def build_county() -> SimpleNamespace:
    """县委 → 机关工委 → branches A (8 members, the secretary's) and B (4); 县委 → 城关镇党委 →
    branch C (3). Accounts: `admin` (组织部, whole county) and `secretary` (branch A)."""
    _restore_defaults()
    root = _org(None, "党委", "县(市区)", "C2R", "中共示例县委员会")
    organs = _org(root, "党工委", "机关", "C2A", "中共示例县委县直机关工作委员会")
    branch = _org(organs, "党支部", "机关-政府组成部门", "C2A1", "示例县财政局机关党支部")
    other = _org(organs, "党支部", "机关-党群部门", "C2A2", "示例县教育局机关党支部")
    town = _org(root, "党委", "乡镇", "C2T", "中共示例县城关镇委员会")
    village = _org(town, "党支部", "村", "C2T1", "城关镇新华社区党支部")
    county = SimpleNamespace(
        root=root,
        organs=organs,
        branch=branch,
        other=other,
        town=town,
        village=village,
        branch_members=_members(branch, BRANCH_A_NAMES),
        other_members=_members(other, BRANCH_B_NAMES),
        village_members=_members(village, BRANCH_C_NAMES),
        password=PASSWORD,
    )
    county.admin = User.objects.create_user(
        username="admin",
        password=PASSWORD,
        role=Role.ADMIN,
        scope=root,
        display_name="组织部管理员",
    )
    county.secretary = User.objects.create_user(
        username="secretary",
        password=PASSWORD,
        role=Role.SECRETARY,
        scope=branch,
        display_name="支部书记",
    )
    return county


def add_meeting(actor, org, members, activity_type, held_on, topic, absent=0) -> Meeting:
    """Record a meeting through the service: everyone present but the last `absent`."""
    roll = [
        RollCallEntry(
            m.pk,
            AttendanceStatus.ABSENT if i >= len(members) - absent else AttendanceStatus.PRESENT,
        )
        for i, m in enumerate(members)
    ]
    return record_meeting(actor, org, MeetingInput(activity_type, held_on, topic), roll)


@pytest.fixture
def county(transactional_db):
    return build_county()


# --- layout ---------------------------------------------------------------------------------

# Elements sticking out of the phone's width, except inside something that scrolls by itself
# (.table-responsive, the scrolling tab strip).
_OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === "auto" || x === "scroll" || x === "hidden") return true;
    }
    return false;
  };
  const bad = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if ((r.right > width + 1 || r.left < -1) && !scrolls(el)) {
      const where = `[${Math.round(r.left)}, ${Math.round(r.right)}]`;
      bad.push(`${el.tagName.toLowerCase()}.${el.className} ${where}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, bad: bad.slice(0, 8)};
}
"""


def assert_fits(page: Page, device: str) -> None:
    """On a phone nothing scrolls sideways except inside its own scrolling box."""
    if device != "phone":
        return
    found = page.evaluate(_OVERFLOW_JS)
    assert found["scrollWidth"] <= found["width"] + 1 and not found["bad"], found


def _today() -> dt.date:
    return timezone.localdate()


# --- 1. recording a meeting on a phone ------------------------------------------------------


def test_secretary_records_meeting(county, page, device, screenshot):
    """Phone first (the secretary records at the meeting); the desktop runs the same steps."""
    members = county.branch_members
    away, sick = members[2], members[5]
    login(page, "secretary")
    page.goto(f"/ledger/meetings/new/?org={county.branch.pk}")
    expect(page.get_by_role("heading", name="登记组织生活")).to_be_visible()
    present_count = page.locator("[data-count=present]")
    expect(page.locator("[data-count=expected]")).to_have_text(str(len(members)))
    expect(present_count).to_have_text(str(len(members)))
    # Everyone is ticked; no leave-reason box shows until someone is unticked.
    expect(page.locator(".present-box:checked")).to_have_count(len(members))
    expect(page.locator(".roll-call .reason:visible")).to_have_count(0)
    expect(page.get_by_label("日期")).to_have_value(_today().isoformat())

    page.get_by_label("活动类型").select_option("主题党日")
    page.get_by_label("主题", exact=True).fill("学习贯彻党的二十届四中全会精神")
    page.get_by_label("第一议题").check()
    page.locator(f"#p{away.pk}").uncheck()
    expect(present_count).to_have_text(str(len(members) - 1))
    page.locator(f"#p{sick.pk}").uncheck()
    expect(present_count).to_have_text(str(len(members) - 2))
    reason = page.get_by_label(f"{sick.name}的请假事由")
    expect(reason).to_be_visible()
    expect(page.get_by_label(f"{away.name}的请假事由")).to_be_visible()
    reason.fill("住院治疗")
    page.get_by_label("会议记录").fill("一、传达学习全会精神；\n二、交流研讨。")
    assert_fits(page, device)
    screenshot(page, device, "form")

    save = page.get_by_role("button", name="保存")
    save.scroll_into_view_if_needed()
    expect(save).to_be_in_viewport()
    save.click()
    expect(page).to_have_url(re.compile(r"/ledger/meetings/\d+/$"))
    meeting = Meeting.objects.get()
    assert page.url.endswith(f"/ledger/meetings/{meeting.pk}/")
    assert (meeting.expected, meeting.present) == (len(members), len(members) - 2)
    assert meeting.first_topic
    statuses = dict(meeting.attendance.values_list("member_id", "status"))
    assert statuses[away.pk] == AttendanceStatus.ABSENT
    assert statuses[sick.pk] == AttendanceStatus.LEAVE
    assert meeting.attendance.get(member=sick).leave_reason == "住院治疗"

    expect(
        page.get_by_text(f"已登记：主题党日，应到{len(members)}人，实到{len(members) - 2}人")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="学习贯彻党的二十届四中全会精神")).to_be_visible()
    counts = page.locator("dt", has_text="应到/实到").locator("xpath=following-sibling::dd[1]")
    expect(counts).to_have_text(f"{len(members)} / {len(members) - 2}")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(len(members))
    expect(rows.filter(has_text=sick.name)).to_contain_text("请假")
    expect(rows.filter(has_text=sick.name)).to_contain_text("住院治疗")
    expect(rows.filter(has_text=away.name)).to_contain_text("缺席")
    assert_fits(page, device)
    screenshot(page, device, "detail")

    # The ledger list and the calendar show it.
    page.get_by_role("link", name="台账", exact=True).click()
    row = page.locator("table tbody tr", has_text="学习贯彻党的二十届四中全会精神")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(_today().isoformat())
    expect(row).to_contain_text(f"{len(members)}/{len(members) - 2}")
    assert_fits(page, device)
    screenshot(page, device, "list")

    page.get_by_role("link", name="日历", exact=True).click()
    expect(page.get_by_role("heading", name=f"{_today().year}年{_today().month}月")).to_be_visible()
    item = page.locator(".calendar .cal-item")
    expect(item).to_have_count(1)
    expect(item).to_have_text("主题党日")
    cell = page.locator(".calendar td", has=page.locator(".cal-item"))
    expect(cell.locator(".text-muted")).to_have_text(str(_today().day))
    assert_fits(page, device)
    screenshot(page, device, "calendar")
    item.click()
    expect(page).to_have_url(re.compile(rf"/ledger/meetings/{meeting.pk}/$"))

    # 修改 opens the same form with the roll call as recorded; ticking one back updates 实到.
    page.get_by_role("link", name="修改").click()
    expect(page.get_by_role("heading", name="修改组织生活")).to_be_visible()
    expect(present_count).to_have_text(str(len(members) - 2))
    expect(page.locator(f"#p{away.pk}")).not_to_be_checked()
    expect(page.get_by_label(f"{sick.name}的请假事由")).to_have_value("住院治疗")
    page.locator(f"#p{away.pk}").check()
    expect(present_count).to_have_text(str(len(members) - 1))
    expect(page.get_by_label(f"{away.name}的请假事由")).to_be_hidden()
    assert_fits(page, device)
    screenshot(page, device, "edit")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    expect(counts).to_have_text(f"{len(members)} / {len(members) - 1}")
    meeting.refresh_from_db()
    assert (meeting.expected, meeting.present) == (len(members), len(members) - 1)


# --- 2. bad input ---------------------------------------------------------------------------


def test_future_date_and_fake_pdf_are_refused(county, page, device, screenshot):
    tomorrow = _today() + dt.timedelta(days=1)
    login(page, "secretary")
    page.goto(f"/ledger/meetings/new/?org={county.branch.pk}")
    page.get_by_label("活动类型").select_option("支部委员会")
    page.get_by_label("日期").fill(tomorrow.isoformat())
    page.get_by_label("主题", exact=True).fill("研究发展党员工作")
    page.locator(f"#p{county.branch_members[0].pk}").uncheck()
    page.get_by_role("button", name="保存").click()

    error = page.get_by_text(f"日期 {tomorrow} 在今天（{_today()}）之后，不能登记未召开的会议")
    expect(error).to_be_visible()
    expect(page).to_have_url(re.compile(r"/ledger/meetings/new/"))
    # What was typed is still there, including the roll call.
    expect(page.get_by_label("主题", exact=True)).to_have_value("研究发展党员工作")
    expect(page.get_by_label("日期")).to_have_value(tomorrow.isoformat())
    expect(page.locator(f"#p{county.branch_members[0].pk}")).not_to_be_checked()
    expect(page.locator("[data-count=present]")).to_have_text(str(len(county.branch_members) - 1))
    assert Meeting.objects.count() == 0
    assert_fits(page, device)
    screenshot(page, device, "future-date")

    # A text file renamed .pdf is recognised by its content.
    page.get_by_label("日期").fill(_today().isoformat())
    page.get_by_label(re.compile("^附件")).set_input_files(
        files=[
            {
                "name": "会议纪要.pdf",
                "mimeType": "application/pdf",
                "buffer": "这不是PDF，只是改了扩展名的文本文件".encode(),
            }
        ]
    )
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("附件“会议纪要.pdf”不是 PDF、JPG 或 PNG 文件")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/ledger/meetings/new/"))
    assert Meeting.objects.count() == 0
    assert_fits(page, device)
    screenshot(page, device, "fake-pdf")

    # A real (tiny) PDF goes through, and the detail page lists it.
    page.get_by_label(re.compile("^附件")).set_input_files(
        files=[
            {
                "name": "会议纪要.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            }
        ]
    )
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/ledger/meetings/\d+/$"))
    expect(page.get_by_role("link", name="会议纪要.pdf")).to_be_visible()
    meeting = Meeting.objects.get()
    assert meeting.attachments.get().content_type == "application/pdf"
    assert (meeting.expected, meeting.present) == (8, 7)


# --- 3. dues ---------------------------------------------------------------------------------


def _dues_input(page: Page, member: Member, what: str):
    return page.get_by_label(f"{member.name}的{what}", exact=True)


def test_dues_month_proposes_copies_and_saves(county, page, device, screenshot):
    month = f"{_today():%Y-%m}"
    a, b, c, d = county.branch_members[:4]
    login(page, "secretary")
    page.goto(f"/ledger/dues/?org={county.branch.pk}&month={month}")
    expect(page.locator(".dues-table tbody tr")).to_have_count(len(county.branch_members))
    _dues_input(page, a, "月收入").fill("4000")
    _dues_input(page, b, "月收入").fill("12000")
    _dues_input(page, c, "月收入").fill("2500")
    _dues_input(page, d, "缴纳类别").select_option(label="离退休")
    _dues_input(page, d, "月收入").fill("6000")
    assert_fits(page, device)
    page.get_by_role("button", name="按收入计算应交").click()

    expected = {a: "40.00", b: "240.00", c: "12.50", d: "60.00"}
    for member, due in expected.items():
        expect(_dues_input(page, member, "应交金额")).to_have_value(due)
    expect(_dues_input(page, a, "月收入")).to_have_value("4000")
    expect(_dues_input(page, d, "缴纳类别")).to_have_value("retired")
    # No income, no proposal.
    expect(_dues_input(page, county.branch_members[4], "应交金额")).to_have_value("")
    assert DuesPayment.objects.count() == 0
    screenshot(page, device, "proposed")

    _dues_input(page, c, "实交金额").fill("10")
    page.get_by_role("button", name="实交同应交").click()
    expect(_dues_input(page, a, "实交金额")).to_have_value("40.00")
    expect(_dues_input(page, b, "实交金额")).to_have_value("240.00")
    expect(_dues_input(page, c, "实交金额")).to_have_value("10")  # typed ones are kept
    expect(_dues_input(page, d, "实交金额")).to_have_value("60.00")
    page.get_by_role("button", name="保存本月党费").click()
    expect(page.get_by_text(f"{month} 党费已保存：新增4条，修改0条")).to_be_visible()
    expect(page.get_by_text("本月 1 人实交少于应交。", exact=False)).to_be_visible()

    saved = {p.member_id: p for p in DuesPayment.objects.all()}
    assert set(saved) == {a.pk, b.pk, c.pk, d.pk}
    assert (saved[b.pk].due_fen, saved[b.pk].paid_fen, saved[b.pk].income_fen) == (
        24000,
        24000,
        1200000,
    )
    assert (saved[c.pk].due_fen, saved[c.pk].paid_fen) == (1250, 1000)
    assert saved[d.pk].category == "retired"

    page.reload()
    expect(_dues_input(page, a, "月收入")).to_have_value("4000.00")
    expect(_dues_input(page, a, "应交金额")).to_have_value("40.00")
    expect(_dues_input(page, b, "实交金额")).to_have_value("240.00")
    expect(_dues_input(page, c, "实交金额")).to_have_value("10.00")
    expect(_dues_input(page, d, "缴纳类别")).to_have_value("retired")
    expect(_dues_input(page, county.branch_members[4], "应交金额")).to_have_value("")
    assert_fits(page, device)
    screenshot(page, device, "saved")


@pytest.mark.parametrize("device", ["desktop"])
def test_dues_bad_money_is_refused(county, page, device, screenshot):
    a, b = county.branch_members[:2]
    login(page, "secretary")
    page.goto(f"/ledger/dues/?org={county.branch.pk}")
    _dues_input(page, a, "应交金额").fill("20")
    _dues_input(page, a, "实交金额").fill("-5")
    page.get_by_role("button", name="保存本月党费").click()
    expect(page.locator(".alert-danger")).to_have_text(f"{a.name}的实交金额不能为负数")
    expect(_dues_input(page, a, "实交金额")).to_have_value("-5")
    assert DuesPayment.objects.count() == 0

    _dues_input(page, a, "实交金额").fill("20")
    _dues_input(page, b, "月收入").fill("abc")
    page.get_by_role("button", name="按收入计算应交").click()
    expect(page.locator(".alert-danger")).to_contain_text(
        f"{b.name}的月收入应为金额（元，最多两位小数）"
    )
    page.get_by_role("button", name="保存本月党费").click()
    expect(page.locator(".alert-danger")).to_contain_text(f"{b.name}的月收入应为金额")
    assert DuesPayment.objects.count() == 0

    _dues_input(page, b, "月收入").fill("")
    _dues_input(page, b, "应交金额").fill("1.234")
    _dues_input(page, b, "实交金额").fill("1.23")
    page.get_by_role("button", name="保存本月党费").click()
    expect(page.locator(".alert-danger")).to_contain_text(f"{b.name}的应交金额最多两位小数")
    assert DuesPayment.objects.count() == 0
    screenshot(page, device, "error")

    _dues_input(page, b, "应交金额").fill("")
    page.get_by_role("button", name="保存本月党费").click()
    expect(page.locator(".alert-danger")).to_have_text(f"{b.name}：应交和实交金额都要填写")
    assert DuesPayment.objects.count() == 0


# --- 7. scope -------------------------------------------------------------------------------


def expect_not_found(page: Page, console_errors, url: str) -> None:
    """Open `url`, see the 404 page, and take Chromium's own console line about the 404
    document off the error list (only that one line: anything else still fails the test)."""
    response = page.goto(url)
    assert response.status == 404, url
    expect(page.get_by_text("您要查看的内容不存在，或不在您的管辖范围内。")).to_be_visible()
    for _ in range(40):  # the console event may trail the navigation a little
        logged = [
            e for e in console_errors.errors if "status of 404" in e and e.endswith(f"({page.url})")
        ]
        if logged:
            break
        page.wait_for_timeout(25)
    assert len(logged) == 1, (url, console_errors.errors)
    console_errors.errors.remove(logged[0])
    console_errors.ignored.append(logged[0])


def test_secretary_gets_404_for_another_branch(county, page, device, screenshot, console_errors):
    theirs = add_meeting(
        county.admin,
        county.other,
        county.other_members,
        "党课",
        _today().replace(day=1),
        "专题党课",
    )
    login(page, "secretary")
    other = county.other.pk
    for url in [
        f"/ledger/meetings/?org={other}",
        f"/ledger/meetings/?org={other}&view=calendar",
        f"/ledger/meetings/new/?org={other}",
        f"/ledger/meetings/{theirs.pk}/",
        f"/ledger/meetings/{theirs.pk}/edit/",
        f"/ledger/dues/?org={other}",
        f"/compliance/?org={other}",
        f"/compliance/?org={county.root.pk}",
        f"/compliance/branches/?org={other}&month=1",
        f"/compliance/branches/{other}/",
        f"/compliance/reminders/?org={other}",
        f"/compliance/warnings/?org={other}",
    ]:
        expect_not_found(page, console_errors, url)
        assert county.other.name not in page.content(), url
    assert_fits(page, device)
    screenshot(page, device, "404")

    # Their own branch works, and nothing of the other branch leaks into it.
    page.goto(f"/ledger/meetings/?org={county.branch.pk}")
    expect(page.get_by_text("这一期间没有组织生活记录")).to_be_visible()
    page.goto("/ledger/dues/")
    expect(page.get_by_role("heading", name=county.branch.name)).to_be_visible()
