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
    assert not progress.unclaimed
    panel = client.get(reverse("imports:run-progress", args=[run.pk])).content.decode()
    assert "正在后台导入" in panel and "校验“党员” 12259 行" in panel
    # The status badge above the panel follows too (an out-of-band swap).
    assert re.search(r'<span id="run-status" hx-swap-oob="true" [^>]*>导入中</span>', panel)


def _started_ago(run: ImportRun, seconds: float) -> ImportRun:
    ImportRun.objects.filter(pk=run.pk).update(
        started_at=run.started_at - dt.timedelta(seconds=seconds)
    )
    run.refresh_from_db()
    return run


def test_a_missing_worker_is_named(client, tree, officer, worker):
    client_for(client, officer)
    queued = ImportRun.objects.create(
        actor=officer, scope_path=tree.root.path, filename="b.xlsx", status="queued"
    )
    assert not background.progress_of(queued).unclaimed
    queued = _started_ago(queued, 120)
    assert background.progress_of(queued).unclaimed
    assert (
        "后台任务进程可能没有运行"
        in client.get(reverse("imports:run-progress", args=[queued.pk])).content.decode()
    )
    assert background.settle_abandoned() == 0  # waiting is not abandoned
    queued.refresh_from_db()
    assert queued.status == ImportRun.Status.QUEUED


def _running(officer, tree, started_ago: float) -> ImportRun:
    run = ImportRun.objects.create(
        actor=officer, scope_path=tree.root.path, filename="a.xlsx", status="running"
    )
    return _started_ago(run, started_ago)


def test_a_run_whose_worker_stopped_is_ended_and_its_file_removed(client, tree, officer, worker):
    """A restart in the middle of an import: nothing was committed, and the run says so
    instead of staying "导入中"."""
    client_for(client, officer)
    limit = background.ABANDONED_AFTER.total_seconds()
    now = time.time()
    gone = _running(officer, tree, 600)
    HUEY.put(background._steps_key(gone.pk), [("校验“党员” 12259 行", now - limit - 5)])
    HUEY.put(background._alive_key(gone.pk), now - limit - 1)
    kept = background.upload_path(gone)
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(b"PK")
    # Long steps, but a heartbeat a moment ago: still importing.
    slow = _running(officer, tree, 600)
    HUEY.put(background._steps_key(slow.pk), [("写入“党员”", now - 500)])
    HUEY.put(background._alive_key(slow.pk), now - 5)
    # No heartbeat yet, a step a moment ago: still importing.
    stepping = _running(officer, tree, 600)
    HUEY.put(background._steps_key(stepping.pk), [("读取文件", now - 5)])
    # Nothing recorded at all, uploaded a moment ago: still importing.
    fresh = _running(officer, tree, 5)

    assert [background.is_abandoned(run) for run in (gone, slow, stepping, fresh)] == [
        True,
        False,
        False,
        False,
    ]
    assert background.settle_abandoned() == 1
    gone.refresh_from_db()
    assert gone.status == ImportRun.Status.FAILED
    assert gone.issues == [["", 0, "", background.WORKER_STOPPED]] and gone.issue_count == 1
    assert not kept.exists()
    assert HUEY.get(background._steps_key(gone.pk), peek=True) is None
    assert HUEY.get(background._alive_key(gone.pk), peek=True) is None
    statuses = ImportRun.objects.filter(pk__in=[slow.pk, stepping.pk, fresh.pk])
    assert set(statuses.values_list("status", flat=True)) == {ImportRun.Status.RUNNING}
    assert background.settle_abandoned() == 0  # once

    page = client.get(reverse("imports:run", args=[gone.pk])).content.decode()
    assert background.WORKER_STOPPED in page and "正在后台导入" not in page
    assert "0 行" not in page and "用时" not in page  # it read nothing to the end
    listing = client.get(reverse("imports:page")).content.decode()
    assert "中断，未导入" in listing and "0 行" not in listing


def test_the_run_page_ends_a_run_whose_worker_stopped(client, tree, officer, worker):
    """Without waiting for the worker's sweep: the page (and its poll) looks first."""
    client_for(client, officer)
    gone = _running(officer, tree, 600)
    poll = client.get(reverse("imports:run-progress", args=[gone.pk]))
    assert poll["HX-Refresh"] == "true"
    gone.refresh_from_db()
    assert gone.status == ImportRun.Status.FAILED
    page = client.get(reverse("imports:run", args=[gone.pk])).content.decode()
    assert background.WORKER_STOPPED in page and "中断，未导入" in page


def test_an_unreadable_task_store_ends_no_run_and_fails_no_page(
    client, tree, officer, worker, monkeypatch
):
    client_for(client, officer)
    running = _running(officer, tree, 600)

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(HUEY, "get", down)
    assert not background.is_abandoned(running)  # unknown is not abandoned
    for name in ("imports:run", "imports:run-progress"):
        response = client.get(reverse(name, args=[running.pk]))
        assert response.status_code == 200 and "正在后台导入" in response.content.decode()
    assert background.settle_abandoned() == 0
    running.refresh_from_db()
    assert running.status == ImportRun.Status.RUNNING


def test_the_worker_beats_while_it_imports(tree, officer, worker, monkeypatch):
    beats = []
    monkeypatch.setattr(background, "HEARTBEAT_SECONDS", 0.01)
    real_put = HUEY.put

    def put(key, value):
        if key == background._alive_key(run.pk):
            beats.append(value)
        return real_put(key, value)

    def slow_import(*args, **kwargs):
        time.sleep(0.2)  # an import that takes a while
        running = ImportRun.objects.get(pk=run.pk)
        assert running.status == ImportRun.Status.RUNNING
        assert not background.is_abandoned(running, now=time.time() + 59)

    monkeypatch.setattr(HUEY, "put", put)
    monkeypatch.setattr(background, "run_import", slow_import)
    run = ImportRun.objects.create(
        actor=officer, scope_path=tree.root.path, filename="a.xlsx", status="queued"
    )
    run = _started_ago(run, 600)
    background.upload_path(run).parent.mkdir(parents=True, exist_ok=True)
    background.upload_path(run).write_bytes(b"PK")
    background.import_queued(run.pk)
    assert len(beats) >= 5
    assert beats == sorted(beats)
    assert HUEY.get(background._alive_key(run.pk), peek=True) is None  # cleaned up


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


def test_an_unreachable_task_store_refuses_the_upload_in_chinese(
    client, tree, officer, worker, monkeypatch, settings, django_capture_on_commit_callbacks
):
    client_for(client, officer)

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(HUEY, "put", down)
    upload = SimpleUploadedFile("大名册.xlsx", _workbook(tree), content_type=XLSX)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:page"), {"file": upload}, follow=True)
    assert response.status_code == 200
    assert background.QUEUE_DOWN in response.content.decode()
    assert not ImportRun.objects.exists() and worker.queued() == 0
    assert settings.IMPORT_UPLOAD_DIR.is_dir()  # the file was kept, then removed
    assert list(settings.IMPORT_UPLOAD_DIR.iterdir()) == []


def test_a_lost_task_is_queued_again_and_the_file_imported_once(
    client, tree, officer, worker, monkeypatch, django_capture_on_commit_callbacks
):
    """The store answered for the upload but lost the task (flushed, or down a moment when
    it was queued): a minute's sweep queues it again."""
    client_for(client, officer)
    from dangjian.imports import tasks

    real_task = tasks.import_queued_upload

    def refused(run_id):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks, "import_queued_upload", refused)
    response = _upload(client, _workbook(tree), django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("imports:run", args=[run.pk])  # no error page
    assert run.status == ImportRun.Status.QUEUED and worker.queued() == 0
    monkeypatch.setattr(tasks, "import_queued_upload", real_task)

    assert background.requeue_lost() == 0  # not yet: it may still be on its way
    run = _started_ago(run, background.REQUEUE_AFTER.total_seconds() + 1)
    assert background.requeue_lost() == 1
    assert background.requeue_lost() == 0  # its task is in the queue now
    assert worker.queued() == 1
    worker.run_next()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert Organization.objects.filter(code="BG-1").count() == 1


def test_a_task_waiting_behind_others_is_not_queued_twice(
    client, tree, officer, worker, django_capture_on_commit_callbacks
):
    client_for(client, officer)
    _upload(client, _workbook(tree), django_capture_on_commit_callbacks)
    _started_ago(ImportRun.objects.get(), 600)
    assert background.requeue_lost() == 0
    assert worker.queued() == 1


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
