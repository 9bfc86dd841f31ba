"""CSV files saved as Excel for Chinese Windows saves "CSV (逗号分隔)": GBK. They import as
their UTF-8 twins do (on PostgreSQL through COPY, which the server decodes); a file that is
neither UTF-8 nor GBK is refused in Chinese and nothing changes."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from dangjian.imports.runner import run_import
from dangjian.imports.sources import GB18030, UTF8, csv_encoding
from dangjian.imports.tests.test_import_workbook import ORGS, good_members
from dangjian.ledger.models import Meeting
from dangjian.members.models import Member
from dangjian.members.sheet import COLUMNS as MEMBER_COLUMNS
from dangjian.orgs.models import Organization
from dangjian.orgs.sheet import COLUMNS as ORG_COLUMNS

pytestmark = pytest.mark.django_db

MEETING_COLUMNS = ["组织编码", "活动类型", "日期", "主题", "应到人数", "实到人数"]


def _write(path: Path, header: list[str], rows: list[list], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _directory(root: Path, encoding: str) -> Path:
    root.mkdir()
    _write(root / "党员.csv", list(MEMBER_COLUMNS), good_members(), encoding)
    day = dt.date.today().replace(day=1).isoformat()
    meeting = ["A1", "主题党日", day, "学习“两个确立”的决定性意义", 3, 3]
    _write(root / "组织生活.csv", MEETING_COLUMNS, [meeting], encoding)
    return root


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_a_gbk_directory_imports_as_its_utf8_twin(tree, tmp_path, encoding):
    outcome = run_import(_directory(tmp_path / "csv", encoding))
    assert outcome.ok, outcome.issues
    assert outcome.warnings == []
    assert Member.objects.filter(name="党员0").exists()
    assert Member.objects.count() == len(good_members())
    assert Meeting.objects.get().topic == "学习“两个确立”的决定性意义"


def test_the_encoding_is_told_from_the_bytes(tmp_path):
    for encoding, expected in (("gbk", GB18030), ("utf-8", UTF8), ("utf-8-sig", UTF8)):
        path = tmp_path / f"{encoding}.csv"
        _write(path, ["组织编码", "组织名称"], [["A1", "财政局机关党支部"]], encoding)
        assert csv_encoding(path) == expected
    ascii_only = tmp_path / "ascii.csv"
    ascii_only.write_text("a,b\n1,2\n")
    assert csv_encoding(ascii_only) == UTF8


def test_a_file_neither_utf8_nor_gbk_is_refused_in_chinese(tree, tmp_path):
    root = tmp_path / "csv"
    root.mkdir()
    (root / "组织.csv").write_bytes("组织编码,组织名称".encode("utf-16"))
    before = Organization.objects.count()
    outcome = run_import(root)
    assert not outcome.ok
    assert any("不是 UTF-8 或 GBK 编码的 CSV" in issue.message for issue in outcome.issues)
    assert Organization.objects.count() == before


def test_a_single_csv_file_or_an_old_workbook_is_pointed_at_what_to_do(tree, tmp_path):
    single = tmp_path / "党员.csv"
    _write(single, list(MEMBER_COLUMNS), good_members(), "utf-8")
    old = tmp_path / "党员名册.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    messages = {
        path.suffix: [issue.message for issue in run_import(path).issues] for path in (single, old)
    }
    assert messages[".csv"] == [
        f"CSV 文件请放在一个目录中、以工作表命名（如 组织.csv、党员.csv），再导入该目录：{tmp_path}"
    ]
    assert messages[".xls"] == ["不支持 .xls 格式：请在 Excel 或 WPS 中另存为 .xlsx 工作簿后导入"]
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda path: path.mkdir(), "这是一个目录，不是 CSV 文件"),
        (lambda path: path.symlink_to(path.parent / "已删除.csv"), "文件不存在"),
    ],
    ids=["a directory", "a dangling link"],
)
def test_a_sheet_file_that_cannot_be_opened_is_named_and_nothing_changes(tmp_path, make, why):
    _write(tmp_path / "组织.csv", list(ORG_COLUMNS), ORGS, "utf-8")
    make(tmp_path / "党员.csv")
    outcome = run_import(tmp_path)
    assert not outcome.ok
    assert len(outcome.issues) == 1
    assert outcome.issues[0].message.startswith(f"无法读取 党员.csv：{why}")
    assert not Organization.objects.exists()
