"""A large workbook uploaded on the import page is imported by the task worker: the run page
shows the file waiting, then reloads by itself with the outcome once the worker is done.

The page's clock is Playwright's, so its polling runs only when the test lets time pass; the
worker (huey, kept from running tasks on enqueue) is run by the test while nothing polls."""

from __future__ import annotations

import datetime as dt

import pytest
from huey.contrib.djhuey import HUEY
from playwright.sync_api import expect

from dangjian.core.idcard import make_id_number
from dangjian.imports.models import ImportRun
from dangjian.members.models import Member
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization
from tests.browser.helpers import login, upload_workbook, write_workbook


@pytest.fixture
def queued_worker(settings, tmp_path):
    settings.IMPORT_BACKGROUND_MIN_BYTES = 1
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    HUEY.immediate = False
    HUEY.flush()
    yield
    HUEY.flush()
    HUEY.immediate = True


def _rows(parent: Organization, count: int) -> tuple[list[list], list[list]]:
    org = ["BG-BRANCH", "后台导入测试党支部", parent.code, "党支部", "机关", 30, 1]
    members = []
    for n in range(count):
        birth = dt.date(1970, 1, 1) + dt.timedelta(days=97 * n)
        gender = "男" if n % 2 else "女"
        members.append(
            [
                make_id_number("110101", birth, 300 + n, gender),
                f"后台测试{n:02d}",
                gender,
                birth,
                birth.replace(year=birth.year + 25),
                "正式",
                "BG-BRANCH",
                "",
                "",
            ]
        )
    return [org], members


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_large_workbook_is_imported_in_the_background_and_the_page_follows(
    demo, context_factory, console_errors, queued_worker, tmp_path, screenshot, device
):
    parent = (
        Organization.objects.filter(parent=demo.root, is_active=True)
        .exclude(org_type__in=BRANCH_TYPES)
        .order_by("path")
        .first()
    )
    orgs, members = _rows(parent, 20)
    path = write_workbook(tmp_path / "全县名册.xlsx", orgs, members)
    members_before = Member.objects.count()

    page = console_errors.watch(context_factory(device).new_page())
    page.clock.install()
    login(page, "admin")
    upload_workbook(page, path)

    panel = page.locator("#import-progress")
    expect(panel).to_contain_text("已收到文件，等待后台导入")
    expect(page.locator("#import-steps li")).to_have_count(1)
    expect(page.locator(".badge")).to_have_text("排队中")
    # Time stands still from here: no poll reaches the server while the worker runs.
    page.clock.pause_at(dt.datetime.now() + dt.timedelta(seconds=1))
    page.wait_for_load_state("networkidle")
    screenshot(page, device, "queued")
    run = ImportRun.objects.get(filename="全县名册.xlsx")
    assert run.status == ImportRun.Status.QUEUED
    assert Member.objects.count() == members_before

    HUEY.execute(HUEY.dequeue())  # the worker

    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED, run.issues
    with page.expect_navigation():
        # One poll, not two: the timers due within 2 s fire once, so a second poll cannot
        # reload the page again while the first reload is under way.
        page.clock.fast_forward(2_000)
    expect(page.locator("#import-progress")).to_have_count(0)
    expect(page.locator(".badge")).to_have_text("成功")
    rows = page.locator("table tbody tr")
    expect(rows.nth(0).locator("td")).to_have_text(["组织", "1", "0", "0"])
    expect(rows.nth(1).locator("td")).to_have_text(["党员", "20", "0", "0"])
    screenshot(page, device, "done")
    assert Member.objects.count() == members_before + 20
    assert Member.objects.filter(organization__code="BG-BRANCH").count() == 20

    page.goto("/import/")
    expect(page.get_by_role("link", name="全县名册.xlsx")).to_be_visible()
