"""Large uploads on the import page go to the task worker (`imports.background`): the page
answers at once with the run queued, the run page follows each step, and the worker imports
the file as its uploader with the same all-or-nothing rules. The worker is driven by hand here
(huey kept from running tasks on enqueue), so each state can be looked at."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from huey.contrib import djhuey
from huey.contrib.djhuey import HUEY

from conftest import PASSWORD, client_for
from dangjian.accounts.models import AuditEntry, User
from dangjian.accounts.roles import Role
from dangjian.core.excel import XLSX
from dangjian.imports import background
from dangjian.imports.models import ImportRun
from dangjian.imports.registry import in_sheet_order
from dangjian.imports.tests.workbooks import write_xlsx
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db

GOOD_ROW = ["BG-1", "后台导入支部", None, "党支部", "机关", 5, 0]


@pytest.fixture
def worker(settings, tmp_path, monkeypatch):
    """Every upload goes to the background; tasks wait in the queue until `run_next()`."""
    # A worker process closes its database connection around each task; here the task runs
    # inside the test's transaction, which must stay open.
    monkeypatch.setattr(djhuey, "close_old_connections", lambda: None)
    settings.IMPORT_BACKGROUND_MIN_BYTES = 1
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    HUEY.immediate = False
    HUEY.flush()

    class Worker:
        @staticmethod
        def run_next() -> None:
            task = HUEY.dequeue()
            assert task is not None, "nothing was queued"
            HUEY.execute(task)

        @staticmethod
        def queued() -> int:
            return HUEY.pending_count()

    yield Worker
    HUEY.flush()
    HUEY.immediate = True


def _workbook(tree, parent=None) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, [[*GOOD_ROW[:2], parent or tree.a.code, *GOOD_ROW[3:]]], [])
    return buffer.getvalue()


def _upload(client, content: bytes, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("大名册.xlsx", content, content_type=XLSX)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("imports:page"), {"file": upload})


def _state():
    return (Organization.objects.count(), Member.objects.count(), AuditEntry.objects.count())


def test_a_large_upload_is_queued_then_imported_by_the_worker(
    client, tree, officer, worker, django_capture_on_commit_callbacks
):
    client_for(client, officer)
    before = _state()
    response = _upload(client, _workbook(tree), django_capture_on_commit_callbacks)

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:run", args=[run.pk])
    assert run.status == ImportRun.Status.QUEUED and run.actor == officer
    assert background.upload_path(run).is_file()
    assert worker.queued() == 1
    assert _state() == before  # nothing imported yet

    page = client.get(response["Location"]).content.decode()
    assert "已收到文件，等待后台导入" in page and background.WAITING in page
    assert reverse("imports:run-progress", args=[run.pk]) in page
    panel = client.get(reverse("imports:run-progress", args=[run.pk]))
    assert panel.status_code == 200 and "等待后台导入" in panel.content.decode()
    listing = client.get(reverse("imports:page")).content.decode()
    assert "排队中" in listing

    worker.run_next()

    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.rows == 1 and run.seconds > 0
    assert run.summary["组织"]["created"] == 1
    assert Organization.objects.get(code="BG-1").path.startswith(tree.a.path)
    assert not background.upload_path(run).exists()
    assert HUEY.get(background._steps_key(run.pk), peek=True) is None
    done = client.get(reverse("imports:run-progress", args=[run.pk]))
    assert done.status_code == 200 and done["HX-Refresh"] == "true"
    assert "导入已结束" in done.content.decode()
    page = client.get(response["Location"]).content.decode()
    assert "后台导入" not in page and "成功" in page and "新增" in page


def test_the_steps_reached_are_shown_with_their_times(client, tree, officer, worker):
    client_for(client, officer)
    run = ImportRun.objects.create(
        actor=officer, scope_path=tree.root.path, filename="x.xlsx", status="running"
    )
    background.record_step(run.pk, background.WAITING)
    background.record_step(run.pk, "读取文件")
    background.record_step(run.pk, "校验“党员” 12259 行")
    progress = background.progress_of(run)
    assert [s.label for s in progress.steps] == [
        background.WAITING,
        "读取文件",
        "校验“党员” 12259 行",
    ]
    assert [s.done for s in progress.steps] == [True, True, False]
    assert all(s.seconds >= 0 for s in progress.steps)
    assert not progress.stalled and not progress.unclaimed
    panel = client.get(reverse("imports:run-progress", args=[run.pk])).content.decode()
    assert "正在后台导入" in panel and "校验“党员” 12259 行" in panel
    # The status badge above the panel follows too (an out-of-band swap).
    assert re.search(r'<span id="run-status" hx-swap-oob="true" [^>]*>导入中</span>', panel)


def test_a_stopped_worker_and_a_missing_worker_are_named(client, tree, officer, worker):
    client_for(client, officer)
    long_ago = time.time() - 20 * 60
    running = ImportRun.objects.create(
        actor=officer, scope_path=tree.root.path, filename="a.xlsx", status="running"
    )
    HUEY.put(background._steps_key(running.pk), [("读取文件", long_ago)])
    queued = ImportRun.objects.create(
        actor=officer, scope_path=tree.root.path, filename="b.xlsx", status="queued"
    )
    ImportRun.objects.filter(pk=queued.pk).update(
        started_at=queued.started_at - dt.timedelta(minutes=2)
    )
    queued.refresh_from_db()
    assert background.progress_of(running).stalled
    assert background.progress_of(queued).unclaimed
    assert "没有进展" in client.get(reverse("imports:run", args=[running.pk])).content.decode()
    assert (
        "后台任务进程可能没有运行"
        in client.get(reverse("imports:run-progress", args=[queued.pk])).content.decode()
    )


def test_a_bad_file_in_the_background_is_rejected_whole(
    client, tree, officer, worker, django_capture_on_commit_callbacks
):
    client_for(client, officer)
    before = _state()
    _upload(client, _workbook(tree, parent="NO-SUCH"), django_capture_on_commit_callbacks)
    worker.run_next()
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.REJECTED
    assert [issue[:3] for issue in run.issues] == [["组织", 2, "上级组织编码"]]
    assert _state() == before
    page = client.get(reverse("imports:run", args=[run.pk])).content.decode()
    assert "共 <strong>1</strong> 处问题" in page and "NO-SUCH" in page


def test_an_internal_error_in_the_worker_ends_the_run_and_says_so(
    client, tree, officer, worker, django_capture_on_commit_callbacks, monkeypatch
):
    client_for(client, officer)

    def broken(*args, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(background, "run_import", broken)
    before = _state()
    _upload(client, _workbook(tree), django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    worker.run_next()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert run.issues == [["", 0, "", background.INTERNAL_ERROR]]
    assert not background.upload_path(run).exists()
    assert _state() == before
    response = client.get(reverse("imports:run", args=[run.pk]))
    assert response.status_code == 200
    assert background.INTERNAL_ERROR in response.content.decode()


def test_an_uploader_who_lost_the_right_to_import_imports_nothing(
    client, tree, officer, worker, django_capture_on_commit_callbacks
):
    client_for(client, officer)
    _upload(client, _workbook(tree), django_capture_on_commit_callbacks)
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    worker.run_next()
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.issues[0][3] == background.NOT_ALLOWED
    assert not Organization.objects.filter(code="BG-1").exists()


def test_a_run_is_imported_once(client, tree, officer, worker, django_capture_on_commit_callbacks):
    client_for(client, officer)
    _upload(client, _workbook(tree), django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    worker.run_next()
    background.import_queued(run.pk)  # asked again (a retried task): nothing happens
    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert Organization.objects.filter(code="BG-1").count() == 1


def test_a_file_that_cannot_be_kept_is_refused_in_chinese(
    client, tree, officer, worker, settings, tmp_path
):
    client_for(client, officer)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.IMPORT_UPLOAD_DIR = blocker / "uploads"
    upload = SimpleUploadedFile("大名册.xlsx", _workbook(tree), content_type=XLSX)
    response = client.post(reverse("imports:page"), {"file": upload}, follow=True)
    assert background.SAVE_FAILED in response.content.decode()
    assert not ImportRun.objects.exists()
    assert worker.queued() == 0


def test_another_scope_gets_404_on_a_background_run(
    client, tree, committee_admin, worker, django_capture_on_commit_callbacks
):
    client_for(client, committee_admin)
    _upload(client, _workbook(tree), django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    assert run.scope_path == tree.a.path
    township = User.objects.create_user(
        username="township", password=PASSWORD, role=Role.COMMITTEE, scope=tree.t
    )
    client_for(client, township)
    for name in ("imports:run", "imports:run-progress"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404
    worker.run_next()
    assert Organization.objects.get(code="BG-1").path.startswith(tree.a.path)


def test_a_small_upload_is_still_imported_at_once(
    client, tree, officer, settings, django_capture_on_commit_callbacks
):
    client_for(client, officer)
    content = _workbook(tree)
    settings.IMPORT_BACKGROUND_MIN_BYTES = len(content) + 1
    _upload(client, content, django_capture_on_commit_callbacks)
    assert ImportRun.objects.get().status == ImportRun.Status.SUCCEEDED
    assert Organization.objects.filter(code="BG-1").exists()


def test_a_runs_sheets_are_listed_in_load_order_whatever_the_json_order():
    # PostgreSQL's jsonb gives 党员 before 组织; the page lists them as they are loaded.
    stored = {"党员": {"created": 2}, "未知表": {}, "组织": {"created": 1}}
    assert [sheet for sheet, _r in in_sheet_order(stored)] == ["组织", "党员", "未知表"]


def test_the_list_of_recent_runs_reads_none_of_their_issues(client, tree, officer):
    client_for(client, officer)
    ImportRun.objects.create(
        actor=officer,
        scope_path=tree.root.path,
        filename="全错.xlsx",
        status=ImportRun.Status.REJECTED,
        issues=[["党员", n, "身份证号", "身份证号校验位错误"] for n in range(2, 2002)],
    )
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("imports:page")).content.decode()
    assert "全错.xlsx" in page and "未通过校验" in page
    run_queries = [q["sql"] for q in queries if "imports_importrun" in q["sql"]]
    assert len(run_queries) == 1
    assert '"issues"' not in run_queries[0] and "身份证号校验位错误" not in page
