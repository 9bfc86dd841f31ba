"""SPEC §5, §8 on the import page: damaged workbooks uploaded through the web by officers of the
county and of a subtree never get a 500, and what the page says matches what the import did.

The workbooks are test_import_fuzz's damaged ones (garbage in a few cells, a row repeated), with
now and then markup or a character that is awkward in XML typed into a cell, a sheet the
importer does not know whose name is markup, and markup in the file's name. Each one is posted
to the page by the county officer (the whole file), then by an officer of a subtree (A, T or
the branch A1; the whole file, or only the rows of their subtree), over a county loaded from
the good workbook or over the bare tree of the same organizations. For each upload:

- the answer redirects to the run's page;
- a rejected file changed nothing (every project table, audit log included; the run itself
  is the only new row), the flash message says so in Chinese with the number of issues, the
  run's page lists every issue (up to SHOWN_ISSUES) with its sheet, row, column and reason as
  text (markup in a value shows escaped, never live), and the downloaded issue report is an
  .xlsx that any reader opens whose rows are the run's issues, character for character;
- an accepted file's success message counts, per sheet, the rows of that sheet;
- an officer whose scope does not hold the run's scope gets 404 on its page and its report
  (the county officer sees the run of a subtree).

Byte-level damage as well: a good workbook truncated anywhere, or with bytes of one part of
its package (or anywhere in it) changed, is refused in Chinese and changes nothing.

Each upload runs in a savepoint rolled back afterwards, so every example meets the same county.
A deeper local run: DANGJIAN_FUZZ_RANDOM=1 DANGJIAN_FUZZ_EXAMPLES=100 pytest
dangjian/imports/tests/test_import_page_fuzz.py
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from conftest import PASSWORD, client_for
from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.core.excel import XLSX
from dangjian.imports.models import ImportRun
from dangjian.imports.registry import get_sheet, in_sheet_order
from dangjian.imports.runner import run_import
from dangjian.imports.tests.fuzzing import fuzz_settings
from dangjian.imports.tests.test_import_fuzz import (
    CJK,
    check_issues,
    damaged_workbook,
    good_sheets,
    map_cells,
    xlsx_cell,
)
from dangjian.imports.tests.test_import_workbook import ORGS, good_members
from dangjian.imports.views import SHOWN_ISSUES
from tests import scope_world as sw

pytestmark = pytest.mark.django_db

FUZZ = fuzz_settings(10)

# Typed into a cell. openpyxl writes `_x0001_` as it is and the reader decodes it (the escape
# of Office XML), so a file can carry control characters that XML itself cannot hold; the
# values that quote a cell in their error message (choices, counts, dates) bring them into
# the issues (a NUL among them, shown there as ␀: PostgreSQL's JSON cannot hold it).
AWKWARD = [
    "1_x0000_",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<b>党委</b>",
    "&amp;&lt;]]>",
    "{{ user }}{% csrf_token %}",
    "党_x0001_委",
    "1_x000D_2",
    "2020-01-0_x001F_",
    "_x005F_x0041_",
    "党\ufffe委",
    "\uffff",
    "\u202e党委\u2028",
]
# Columns whose error message quotes the bad value (a choice, a count, a date, a code).
QUOTED = [
    ("组织", "上级组织编码"),
    ("组织", "组织类型"),
    ("党员", "性别"),
    ("党员", "手机号"),
    ("组织生活", "活动类型"),
    ("组织生活", "应到人数"),
    ("党费", "月份"),
    ("党费", "应交金额"),
    ("考核得分", "年度"),
    ("考核得分", "述职评议等次"),
]
MARKUP_SHEET = "<img src=x onerror=alert(1)>"
FILENAMES = ["名册.xlsx", "<img src=x onerror=alert(1)>.xlsx", "a&b \"引号\" 'x' _x0041_.xlsx"]
REJECTED_MESSAGE = "导入未通过校验，未做任何修改：共 {} 处问题，详见下表。"
SUCCESS = re.compile(r"导入成功（(\d+) 行）。(.*)")
SHEET_COUNTS = re.compile(r"(.+)：新增 (\d+)，更新 (\d+)，未变 (\d+)")
OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")

# Each organization's parent, and each member's branch, in the good workbook.
PARENT = {row[0]: row[2] for row in ORGS}
BRANCH = {row[0]: row[6] for row in good_members()}
# Which column of each sheet names the organization a row belongs to (党费: a member).
OWNER_COLUMN = {"组织": 0, "党员": 6, "组织生活": 0, "党费": 0, "考核得分": 0}
SUBTREES = ["A", "T", "A1"]


# --- the officers ---------------------------------------------------------------------------


@dataclass
class Officer:
    """A user with Perm.IMPORT and the test client signed in as them."""

    user: User
    client: Client


@pytest.fixture(params=["loaded", "bare"])
def county(request, tree, tmp_path):
    """The tree's organizations (R, A, A1, A2, T, T1: the good workbook's codes), loaded with
    the good workbook or bare."""
    if request.param == "loaded":
        path = tmp_path / "county.xlsx"
        path.write_bytes(xlsx_bytes(good_sheets()))
        assert run_import(path).ok
    return tree


@pytest.fixture
def officers(tree, officer, committee_admin) -> dict[str, Officer]:
    """By scope: the county's 组织部 officer (R) and committee officers of A, T and A1."""
    users = {"R": officer, "A": committee_admin}
    for code, org in (("T", tree.t), ("A1", tree.a1)):
        users[code] = User.objects.create_user(
            username=f"importer-{code}", password=PASSWORD, role=Role.COMMITTEE, scope=org
        )
    return {code: Officer(user, client_for(Client(), user)) for code, user in users.items()}


def _in_subtree(code, scope: str) -> bool:
    while code:
        if code == scope:
            return True
        code = PARENT.get(code)
    return False


def stranger(officers: dict[str, Officer], scope: str) -> Officer:
    """An officer whose subtree does not hold `scope` (the county's run is outside them all)."""
    return officers["A"] if _in_subtree(scope, "T") else officers["T"]


def within(sheets: dict[str, list[list]], scope: str) -> dict[str, list[list]]:
    """The rows of `sheets` that belong to `scope`'s subtree. A row whose owner was damaged into
    a code the workbook does not know stays: the importer must refuse it or place it."""

    def keep(name: str, row: list) -> bool:
        owner = row[OWNER_COLUMN[name]]
        if name == "党费":
            owner = BRANCH.get(owner, owner)
        return owner not in PARENT or _in_subtree(owner, scope)

    kept = {name: [row for row in rows if keep(name, row)] for name, rows in sheets.items()}
    return {name: rows for name, rows in kept.items() if rows}


# --- the files ------------------------------------------------------------------------------


@st.composite
def page_workbook(draw) -> dict[str, list[list]]:
    """A damaged workbook, often with markup or an awkward character in one cell: anywhere,
    or (more often) in a column whose error message quotes the value."""
    sheets = draw(damaged_workbook())
    where = draw(st.sampled_from(["nowhere", "anywhere", "quoted", "quoted"]))
    if where == "nowhere":
        return sheets
    if where == "quoted":
        name, column = draw(st.sampled_from(QUOTED))
        column = get_sheet(name).columns.index(column)
    else:
        name = draw(st.sampled_from(sorted(sheets)))
        column = draw(st.integers(min_value=0, max_value=len(sheets[name][0]) - 1))
    rows = sheets[name]
    rows[draw(st.integers(min_value=0, max_value=len(rows) - 1))][column] = draw(
        st.sampled_from(AWKWARD)
    )
    return sheets


def xlsx_bytes(sheets: dict[str, list[list]], extra_sheet: str | None = None) -> bytes:
    """The sheets as an .xlsx under their §5 headers, and an empty sheet named `extra_sheet`."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in map_cells(sheets, xlsx_cell).items():
        sheet = book.create_sheet(name)
        sheet.append(list(get_sheet(name).columns))
        for row in rows:
            sheet.append(row)
    if extra_sheet is not None:
        book.create_sheet(extra_sheet).append(["组织编码"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- reading the answers --------------------------------------------------------------------


class RunPage(HTMLParser):
    """What a run page shows as text: its alerts, its heading and the cells of each table (by
    the table's id). None of these holds an element, so `markup` lists any tag found inside
    one: only a value shown unescaped could put it there."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.alerts: list[str] = []
        self.heading: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.markup: list[str] = []
        self._rows: list[list[str]] | None = None
        self._open: tuple[str, list[str], list[str]] | None = None  # tag, text, where to put it
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if self._open is not None:
            self.markup.append(tag)
            return
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._rows = self.tables.setdefault(a.get("id", ""), [])
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag == "td" and self._rows:
            self._open = (tag, [], self._rows[-1])
        elif tag == "h1":
            self._open = (tag, [], self.heading)
        elif tag == "div" and "alert" in a.get("class", "").split():
            self._open = (tag, [], self.alerts)

    def handle_data(self, data):
        if self._open is not None:
            self._open[1].append(data)

    def handle_endtag(self, tag):
        if tag == "table":
            self._rows = None
        if self._open is not None and tag == self._open[0]:
            self._open[2].append("".join(self._open[1]))
            self._open = None

    def rows(self, table: str = "") -> list[list[str]]:
        """The body rows of a table (header rows hold no td)."""
        return [row for row in self.tables.get(table, []) if row]


def read_page(client, url: str) -> RunPage:
    """The page at `url`, which must answer 200 with no live markup in what it shows."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = RunPage(response.content.decode())
    assert not page.markup, f"{url}: live markup {page.markup}"
    return page


def report_rows(content: bytes) -> list[list]:
    """The rows of the issue report, read by a strict XML reader; text is decoded from the
    _xHHHH_ escapes of Office XML (as Excel shows it) and empty cells are ""."""

    def value(cell):
        if cell is None:
            return ""
        if isinstance(cell, str):
            return OOXML_ESCAPE.sub(lambda m: chr(int(m[1], 16)), cell)
        return cell

    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["问题清单"]
    return [[value(c) for c in row] for row in book["问题清单"].iter_rows(values_only=True)]


def flashed(response) -> list[tuple[int, str]]:
    """The messages the answer flashed, as (level, text)."""
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def post_workbook(officer: Officer, content: bytes, filename: str):
    """Upload `content`; returns the answer and the run it made (None when the form refused)."""
    runs = ImportRun.objects.count()
    officer.client.cookies.pop("messages", None)  # only this answer's messages count
    upload = SimpleUploadedFile(filename, content, content_type=XLSX)
    response = officer.client.post(reverse("imports:page"), {"file": upload})
    if response.status_code != 302:
        assert ImportRun.objects.count() == runs
        return response, None
    match = resolve(response["Location"])
    assert match.view_name == "imports:run", response["Location"]
    assert ImportRun.objects.count() == runs + 1
    run = ImportRun.objects.get(pk=match.kwargs["pk"])
    assert run.actor == officer.user
    return response, run


# --- the checks -----------------------------------------------------------------------------


def check_run_page(page: RunPage, run: ImportRun, messages: list[tuple[int, str]]) -> None:
    """The page shows the flash messages, the run's warnings, the file's name and the issues
    as text."""
    assert page.alerts == [text for _level, text in messages] + run.warnings
    assert page.heading == [f"导入结果：{run.filename}"]
    if run.status == ImportRun.Status.REJECTED:
        assert page.rows("issues") == [
            [sheet or "—", str(row) if row else "", column, message]
            for sheet, row, column, message in run.issues[:SHOWN_ISSUES]
        ]
    else:
        assert page.rows() == [
            [sheet, str(r["created"]), str(r["updated"]), str(r["unchanged"])]
            for sheet, r in in_sheet_order(run.summary)
        ]


def check_rejected(officer, run, response, sheets) -> None:
    """The message, the run's page and its issue report say why, each issue as the run has it."""
    messages = flashed(response)
    assert (message_levels.ERROR, REJECTED_MESSAGE.format(len(run.issues))) in messages
    assert all(CJK.search(text) for _level, text in messages), messages
    check_issues(run.issues, sheets)
    run_url = reverse("imports:run", args=[run.pk])
    check_run_page(read_page(officer.client, run_url), run, messages)
    report = officer.client.get(reverse("imports:run-issues", args=[run.pk]))
    assert report.status_code == 200
    assert report["Content-Type"] == XLSX
    assert report_rows(report.content) == [["工作表", "行号", "列", "问题"], *run.issues]


def check_accepted(officer, run, response, sheets) -> None:
    """The success message accounts for each row of each sheet, and the page shows the run."""
    messages = flashed(response)
    success = [text for level, text in messages if level == message_levels.SUCCESS]
    assert len(success) == 1, messages
    total, per_sheet = SUCCESS.fullmatch(success[0]).groups()
    counts = {}
    for part in per_sheet.split("；"):
        sheet, created, updated, unchanged = SHEET_COUNTS.fullmatch(part).groups()
        counts[sheet] = int(created) + int(updated) + int(unchanged)
    assert counts == {name: len(rows) for name, rows in sheets.items()}
    assert int(total) == run.rows == sum(counts.values())
    check_run_page(read_page(officer.client, reverse("imports:run", args=[run.pk])), run, messages)


def check_hidden(officers: dict[str, Officer], uploader: str, run: ImportRun) -> None:
    """Outside the run's scope: 404 on its page and its report. The county sees it."""
    outsider = stranger(officers, uploader)
    for route in ("imports:run", "imports:run-issues"):
        url = reverse(route, args=[run.pk])
        assert outsider.client.get(url).status_code == 404, (uploader, url)
        assert officers["R"].client.get(url).status_code == 200, url


def upload_and_check(officers, uploader: str, sheets, content: bytes, filename: str) -> str:
    """One upload by the officer of `uploader`, checked and rolled back; its outcome."""
    officer = officers[uploader]
    savepoint = transaction.savepoint()
    try:
        before = sw.fingerprint(None)
        response, run = post_workbook(officer, content, filename)
        assert run is not None, response.content.decode()
        assert run.scope_path == officer.user.scope.path
        if run.status == ImportRun.Status.SUCCEEDED:
            check_accepted(officer, run, response, sheets)
        else:
            check_rejected(officer, run, response, sheets)
        check_hidden(officers, uploader, run)
        if run.status == ImportRun.Status.REJECTED:
            run.delete()  # the one row a rejected file adds
            assert sw.fingerprint(None) == before, "a rejected file changed the database"
        return run.status
    finally:
        transaction.savepoint_rollback(savepoint)


# --- the tests ------------------------------------------------------------------------------


def test_damaged_workbooks_on_the_page(county, officers):
    """Each file posted by the county officer, then by a subtree's (see the module docstring)."""
    seen = set()

    @FUZZ
    @given(
        sheets=page_workbook(),
        scope=st.sampled_from(SUBTREES),
        trimmed=st.booleans(),
        extra_sheet=st.none() | st.just(MARKUP_SHEET),
        filename=st.sampled_from(FILENAMES),
    )
    def check(sheets, scope, trimmed, extra_sheet, filename):
        content = xlsx_bytes(sheets, extra_sheet)
        county_status = upload_and_check(officers, "R", sheets, content, filename)
        if trimmed:
            sheets = within(sheets, scope)
            content = xlsx_bytes(sheets, extra_sheet)
        subtree_status = upload_and_check(officers, scope, sheets, content, filename)
        seen.update((county_status, subtree_status))

    check()
    assert ImportRun.Status.REJECTED in seen  # the damage reached the checks


def test_the_good_workbook_goes_through_the_page(county, officers):
    """The starting point of the damage above goes through for the county and, trimmed to
    their subtree, for each subtree's officer: rejections come from the damage."""
    for scope in ("R", *SUBTREES):
        sheets = good_sheets() if scope == "R" else within(good_sheets(), scope)
        status = upload_and_check(officers, scope, sheets, xlsx_bytes(sheets), "名册.xlsx")
        assert status == ImportRun.Status.SUCCEEDED, scope


@st.composite
def damaged_bytes(draw, content: bytes) -> bytes:
    """`content` truncated, or with one to three bytes changed in one part of the package (its
    local header and data) or anywhere in the file."""
    how = draw(st.sampled_from(["truncate", "part", "anywhere"]))
    if how == "truncate":
        return content[: draw(st.integers(min_value=0, max_value=len(content) - 1))]
    start, end = 0, len(content)
    if how == "part":
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            parts = package.infolist()
        index = draw(st.integers(min_value=0, max_value=len(parts) - 1))
        start = parts[index].header_offset
        end = parts[index + 1].header_offset if index + 1 < len(parts) else _directory(content)
    damaged = bytearray(content)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        damaged[draw(st.integers(min_value=start, max_value=end - 1))] ^= draw(
            st.integers(min_value=1, max_value=255)
        )
    return bytes(damaged)


def _directory(content: bytes) -> int:
    """Where the package's central directory starts."""
    return content.rindex(b"PK\x01\x02", 0, content.rindex(b"PK\x05\x06"))


def _parts(content: bytes) -> dict[str, bytes] | None:
    """What each part of the package unpacks to (None when it does not unpack)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            return {info.filename: package.read(info) for info in package.infolist()}
    except Exception:
        return None


def test_a_damaged_package_is_refused_in_chinese_and_changes_nothing(tree, officer):
    """Refused by the form (a field error in Chinese, no run), or rejected by the import with
    its issues; accepted only when every part still unpacks as it was."""
    sheets = good_sheets()
    good = xlsx_bytes(sheets)
    client = client_for(Client(), officer)

    @FUZZ
    @given(content=damaged_bytes(good))
    def check(content):
        savepoint = transaction.savepoint()
        try:
            before = sw.fingerprint(None)
            response, run = post_workbook(Officer(officer, client), content, "名册.xlsx")
            if run is None:
                assert response.status_code == 200
                errors = re.findall(r'class="invalid-feedback[^"]*"[^>]*>(.*?)<', response.text)
                assert errors and all(CJK.search(e) for e in errors), errors
            elif run.status == ImportRun.Status.REJECTED:
                check_issues(run.issues, sheets)
                run.delete()
            else:  # the change left every part as it was (a bit no reader looks at)
                assert _parts(content) == _parts(good)
                return
            assert sw.fingerprint(None) == before, "a damaged file changed the database"
        finally:
            transaction.savepoint_rollback(savepoint)

    check()
