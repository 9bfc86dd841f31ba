"""An import run's page: a rejected run's count and its first issues are read in the
database (a city's file may hold hundreds of thousands), in the order they were found; the
download holds every one."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from conftest import client_for
from dangjian.imports.models import ImportRun
from dangjian.imports.views import SHOWN_ISSUES

pytestmark = pytest.mark.django_db
HOW_MANY = SHOWN_ISSUES * 2 + 3


def _issue(index: int) -> list:
    return ["党员", index + 2, "身份证号", f"第{index}个问题：身份证号校验位错误"]


@pytest.fixture
def rejected(officer):
    return ImportRun.objects.create(
        actor=officer,
        scope_path=officer.scope_path,
        filename="大文件.xlsx",
        status=ImportRun.Status.REJECTED,
        rows=HOW_MANY,
        issues=[_issue(i) for i in range(HOW_MANY)],
    )


def test_first_issues_are_the_first_found_and_the_count_is_all_of_them(rejected):
    assert rejected.issue_count == HOW_MANY
    assert rejected.first_issues(SHOWN_ISSUES) == [_issue(i) for i in range(SHOWN_ISSUES)]
    assert rejected.first_issues(5000) == [_issue(i) for i in range(HOW_MANY)]
    ImportRun.objects.get(pk=rejected.pk).save(update_fields=["status"])  # issues untouched
    rejected.issues = rejected.issues[:3]
    rejected.save(update_fields=["issues"])
    assert ImportRun.objects.get(pk=rejected.pk).issue_count == 3


def test_a_run_without_issues_has_none(officer):
    run = ImportRun.objects.create(
        actor=officer, filename="好.xlsx", status=ImportRun.Status.SUCCEEDED
    )
    assert (run.issue_count, run.first_issues(SHOWN_ISSUES)) == (0, [])


def test_the_page_shows_the_count_and_the_first_issues_the_download_all(
    client, officer, rejected, django_assert_max_num_queries
):
    signed_in = client_for(client, officer)
    with django_assert_max_num_queries(12):
        page = signed_in.get(reverse("imports:run", args=[rejected.pk])).content.decode()
    assert f"共 <strong>{HOW_MANY}</strong> 处问题" in page
    assert f"下表仅显示前 {SHOWN_ISSUES} 处" in page
    assert page.count("身份证号校验位错误") == SHOWN_ISSUES
    assert "第0个问题" in page and f"第{SHOWN_ISSUES - 1}个问题" in page
    assert f"第{SHOWN_ISSUES}个问题" not in page
    download = signed_in.get(reverse("imports:run-issues", args=[rejected.pk]))
    sheet = (
        CalamineWorkbook.from_filelike(
            io.BytesIO(
                b"".join(download.streaming_content if download.streaming else [download.content])
            )
        )
        .get_sheet_by_index(0)
        .to_python()
    )
    assert len(sheet) == HOW_MANY + 1  # the header, then every issue


def test_a_failed_run_shows_its_reason(client, officer):
    run = ImportRun.objects.create(
        actor=officer,
        scope_path=officer.scope_path,
        filename="中断.xlsx",
        status=ImportRun.Status.FAILED,
        issues=[["", 0, "", "导入时发生内部错误，未导入任何数据"]],
    )
    page = client_for(client, officer).get(reverse("imports:run", args=[run.pk])).content.decode()
    assert "导入时发生内部错误，未导入任何数据" in page
