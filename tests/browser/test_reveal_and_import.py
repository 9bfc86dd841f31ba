"""Logged reveal of personal information, and the all-or-nothing workbook import, in a real
browser: htmx reveal button, the 问题 table of a rejected file, the Excel issue report, and a
successful import."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from dangjian.accounts.choices import Action
from dangjian.accounts.models import AuditEntry
from dangjian.core.idcard import check_digit, make_id_number
from dangjian.members.models import Member
from dangjian.members.sheet import COLUMNS as MEMBER_COLUMNS
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization
from dangjian.orgs.sheet import COLUMNS as ORG_COLUMNS
from tests.browser.helpers import login, upload_workbook, write_workbook

pytestmark = pytest.mark.browser

REVEAL = "查看完整身份证号和手机号"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")


def _reveals(member: Member) -> int:
    return AuditEntry.objects.filter(action=Action.READ_PII, object_id=str(member.pk)).count()


# --- reveal ---------------------------------------------------------------------------------


def test_admin_reveals_full_id_number_and_the_read_is_audited(demo, page, device, screenshot):
    member = Member.objects.filter(organization=demo.branch, is_active=True).order_by("id").first()
    assert _reveals(member) == 0

    login(page, "admin")
    page.goto(f"/members/{member.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(member.name)
    expect(page.locator("#pii-id")).to_have_text(member.id_masked)
    assert MASKED_ID.match(member.id_masked)
    assert member.id_number not in page.content()

    button = page.get_by_role("button", name=REVEAL)
    expect(button).to_be_visible()
    button.click()
    full = page.locator("#full-id")
    expect(full).to_have_text(member.id_number)
    assert re.fullmatch(r"[1-9]\d{16}[\dX]", full.inner_text())
    expect(page.get_by_text("本次查看已记入审计日志。")).to_be_visible()
    expect(button).to_have_count(0)  # htmx replaced the form with the result
    expect(page).to_have_url(re.compile(rf"/members/{member.pk}/$"))

    entries = AuditEntry.objects.filter(action=Action.READ_PII, object_id=str(member.pk))
    assert entries.count() == 1
    entry = entries.get()
    assert entry.actor_id == demo.admin.pk
    assert entry.object_type == "党员"
    screenshot(page, device)


def test_secretary_has_no_reveal_button_and_cannot_post_it(demo, desktop_page, screenshot):
    page = desktop_page
    member = Member.objects.filter(organization=demo.branch, is_active=True).order_by("id").first()

    login(page, "secretary")
    page.goto(f"/members/{member.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(member.name)
    expect(page.locator("#pii-id")).to_have_text(member.id_masked)
    expect(page.get_by_role("button", name=REVEAL)).to_have_count(0)
    expect(page.locator("#reveal-box")).to_have_count(0)
    assert member.id_number not in page.content()

    # Posting to the reveal URL directly is refused too, and nothing is logged.
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    response = page.request.post(f"/members/{member.pk}/reveal/", headers={"X-CSRFToken": token})
    assert response.status == 403
    assert member.id_number not in response.text()
    assert _reveals(member) == 0
    screenshot(page, "desktop")


# --- import ---------------------------------------------------------------------------------


def test_import_rejects_bad_rows_then_accepts_good_file(
    demo, desktop_page, phone_context, console_errors, tmp_path, screenshot
):
    page = desktop_page
    parent = (
        Organization.objects.filter(parent=demo.root, is_active=True)
        .exclude(org_type__in=BRANCH_TYPES)
        .order_by("path")
        .first()
    )
    birth = dt.date(1990, 5, 17)
    good_id = make_id_number("110101", birth, 101, "男")
    bad_first17 = make_id_number("110101", dt.date(1988, 3, 9), 202, "女")[:17]
    wrong = next(c for c in "0123456789X" if c != check_digit(bad_first17))
    bad_id = bad_first17 + wrong
    good_org = ["BT-NEW-1", "浏览器测试新建党支部", parent.code, "党支部", "机关", 12, 1]
    good_member = [
        good_id,
        "测试甲",
        "男",
        birth,
        dt.date(2015, 7, 1),
        "正式",
        "BT-NEW-1",
        "书记",
        "13912345678",
    ]
    bad_org = ["BT-BAD-1", "浏览器测试错误党支部", "NOPE404", "党支部", "机关", 5, 0]
    bad_member = [
        bad_id,
        "测试乙",
        "女",
        dt.date(1988, 3, 9),
        dt.date(2012, 7, 1),
        "预备",
        "BT-NEW-1",
        "",
        "13812345678",
    ]
    orgs_before, members_before = Organization.objects.count(), Member.objects.count()

    login(page, "admin")

    # 1. A file with one bad row on each sheet changes nothing and lists both problems.
    bad_file = write_workbook(
        tmp_path / "有错误.xlsx", [good_org, bad_org], [good_member, bad_member]
    )
    upload_workbook(page, bad_file)
    expect(page.locator(".alert-danger")).to_contain_text(
        "导入未通过校验，未做任何修改：共 2 处问题"
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("有错误.xlsx")
    issues = page.locator("#issues tbody tr")
    expect(issues).to_have_count(2)
    expect(issues.nth(0).locator("td")).to_have_text(
        ["组织", "3", "上级组织编码", "上级组织编码 NOPE404 不存在"]
    )
    expect(issues.nth(1).locator("td")).to_have_text(
        ["党员", "3", "身份证号", re.compile(r"身份证号校验位错误")]
    )
    assert Organization.objects.count() == orgs_before
    assert Member.objects.count() == members_before
    assert not Organization.objects.filter(code__in=["BT-NEW-1", "BT-BAD-1"]).exists()
    run_url = page.url
    screenshot(page, "desktop", "rejected")

    link = page.get_by_role("link", name=re.compile("下载问题清单"))
    with page.expect_download() as info:
        link.click()
    download = info.value
    saved = tmp_path / "issues-download.xlsx"
    download.save_as(saved)
    report = load_workbook(saved, read_only=True)
    rows = [list(r) for r in report["问题清单"].iter_rows(values_only=True)]
    assert rows[0] == ["工作表", "行号", "列", "问题"]
    assert [r[:3] for r in rows[1:]] == [["组织", 3, "上级组织编码"], ["党员", 3, "身份证号"]]
    response = page.request.get(link.get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"] == XLSX
    assert response.body()[:4] == b"PK\x03\x04"
    issues_download = (download.suggested_filename, response.headers["content-disposition"])

    # The same result page on a phone.
    phone = console_errors.watch(phone_context.new_page())
    login(phone, "admin")
    phone.goto(run_url)
    expect(phone.locator("#issues tbody tr")).to_have_count(2)
    screenshot(phone, "phone", "rejected")
    phone.goto("/import/")
    expect(phone.get_by_role("link", name="有错误.xlsx")).to_be_visible()
    screenshot(phone, "phone", "page")

    # 2. The good rows alone import.
    good_file = write_workbook(tmp_path / "正确.xlsx", [good_org], [good_member])
    upload_workbook(page, good_file)
    expect(page.locator(".alert-success")).to_contain_text("导入成功")
    expect(page.locator(".alert-success")).to_contain_text("组织：新增 1")
    expect(page.locator(".alert-success")).to_contain_text("党员：新增 1")
    expect(page.locator("#issues")).to_have_count(0)
    assert Organization.objects.count() == orgs_before + 1
    assert Member.objects.count() == members_before + 1
    created = Organization.objects.get(code="BT-NEW-1")
    assert created.parent_id == parent.pk
    assert Member.objects.get(organization=created).name == "测试甲"
    screenshot(page, "desktop", "accepted")

    page.goto("/import/")
    expect(page.get_by_role("link", name="正确.xlsx")).to_be_visible()
    screenshot(page, "desktop", "page")

    # Last, because it is cosmetic next to the above: the report is offered as an attachment
    # under its Chinese name (导入问题清单-<run>.xlsx), not under the URL's last segment.
    filename, disposition = issues_download
    assert disposition.startswith("attachment"), disposition
    assert re.fullmatch(r"导入问题清单-\d+\.xlsx", filename), filename


def test_a_workbook_from_another_system_is_pointed_at_what_to_rename(
    demo, phone_context, console_errors, tmp_path, screenshot
):
    """Headers and a sheet named as other systems name them: on a phone the run page lists
    each missing column with the cell to rename, and the ignored sheet with its right name."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "党员信息"
    sheet.append(MEMBER_COLUMNS)
    sheet = workbook.create_sheet("组织")
    header = list(ORG_COLUMNS)
    header[0], header[6] = "党组织编码", "专职党务工作人员数"
    sheet.append(header)
    path = tmp_path / "其他系统导出.xlsx"
    workbook.save(path)
    phone = console_errors.watch(phone_context.new_page())
    login(phone, "admin")
    upload_workbook(phone, path)
    expect(phone.locator(".alert-warning")).to_contain_text(
        "若它就是“党员”表，请将工作表改名为“党员”"
    )
    issues = phone.locator("#issues tbody tr")
    expect(issues).to_have_count(2)
    expect(issues.nth(0).locator("td").nth(3)).to_contain_text(
        "表中的“党组织编码”若即此列，请将表头改为“组织编码”"
    )
    expect(issues.nth(1).locator("td").nth(3)).to_contain_text(
        "表中的“专职党务工作人员数”若即此列，请将表头改为“专职党务人员数”"
    )
    screenshot(phone, "phone", "renamed")


def test_the_file_field_speaks_chinese_and_still_insists_on_a_file(
    demo, page, device, tmp_path, screenshot
):
    """Whatever the browser's language, the import page's file field reads 选择文件 and names
    the chosen file; sending without one is still stopped by the browser."""
    login(page, "admin")
    page.goto("/import/")
    picker = page.locator(".file-picker")
    expect(picker).to_contain_text("选择文件")
    expect(picker).to_contain_text("未选择文件")
    field = page.get_by_label("工作簿（.xlsx）")
    assert field.evaluate("input => getComputedStyle(input).opacity") == "0"
    box, cover = picker.bounding_box(), field.bounding_box()
    # It covers the whole box inside its 1 px border, so it takes every click on it.
    assert box["width"] - cover["width"] <= 2 and box["height"] - cover["height"] <= 2

    page.get_by_role("button", name="校验并导入").click()
    expect(page).to_have_url(re.compile(r"/import/$"))
    assert field.evaluate("input => input.validity.valueMissing")

    path = write_workbook(tmp_path / "二〇二六年党员名册.xlsx", [], [])
    field.set_input_files(str(path))
    expect(picker.locator(".file-picker-name")).to_have_text("二〇二六年党员名册.xlsx")
    screenshot(page, device, "file-chosen")
