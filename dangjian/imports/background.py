"""Large uploads are imported by the task worker while the run page follows each step.

A workbook of IMPORT_BACKGROUND_MIN_BYTES or more would hold the request open for as long as
its import takes (a city's: tens of seconds), longer than a proxy in front of the server may
wait, and the officer would see an error for an import that went on. So the page keeps the
file in IMPORT_UPLOAD_DIR, records the run as queued and answers at once. The worker
(`imports.tasks`, which `manage.py serve` starts with the web server) imports it as the same
user under the same all-or-nothing rules. The steps it reaches are kept in the task queue's
store, which the web server and the worker share (huey's SQLite file by default, Redis in
production), because the import's own transaction shows nothing to others until it ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from dangjian.accounts.roles import Perm
from dangjian.core.errors import BusinessError
from dangjian.imports.forms import save_upload
from dangjian.imports.models import ImportRun
from dangjian.imports.registry import ImportIssue
from dangjian.imports.runner import run_import, scope_root_for

logger = logging.getLogger(__name__)

WAITING = "等待后台导入"
# No new step for this long: the worker has probably stopped (the page says so).
STALLED_AFTER = dt.timedelta(minutes=15)
# Still queued after this long: the worker is probably not running.
UNCLAIMED_AFTER = dt.timedelta(minutes=1)

INTERNAL_ERROR = (
    "导入过程中发生内部错误，文件中的数据均未导入。请稍后重新上传；如仍出错，请联系系统管理员。"
)
FILE_GONE = "上传的文件已不在服务器上（可能已被清理），未导入，请重新上传"
SAVE_FAILED = "服务器无法保存上传的文件（磁盘空间不足或目录不可写），未导入"
NOT_ALLOWED = "上传者的账号已停用、已无导入权限或没有管辖范围，未导入"


def in_background(size: int) -> bool:
    """Whether an upload of `size` bytes is imported by the worker."""
    return size >= settings.IMPORT_BACKGROUND_MIN_BYTES


def upload_path(run: ImportRun) -> Path:
    return Path(settings.IMPORT_UPLOAD_DIR) / f"run-{run.pk}.xlsx"


def queue_upload(upload, user) -> ImportRun:
    """Keep `upload` for the worker and record its run as queued; the worker is asked once
    the run is committed. BusinessError (nothing kept) when the file cannot be stored."""
    from dangjian.imports.tasks import import_queued_upload

    run = ImportRun.objects.create(
        actor=user,
        scope_path=user.scope_path or "",
        filename=upload.name[:255],
        status=ImportRun.Status.QUEUED,
    )
    path = upload_path(run)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_upload(upload, path)
    except OSError:
        logger.exception("上传的文件无法保存到 %s", path)
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        run.delete()
        raise BusinessError(SAVE_FAILED) from None
    record_step(run.pk, WAITING)
    transaction.on_commit(lambda: import_queued_upload(run.pk))
    return run


def import_queued(run_id: int) -> None:
    """Import the queued upload of run `run_id` (the worker's task). A run already taken, or
    no longer queued, is left alone; whatever happens, the kept file is removed."""
    if not ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING
    ):
        return
    run = ImportRun.objects.select_related("actor").get(pk=run_id)
    path = upload_path(run)
    try:
        actor = run.actor
        if actor is None or not actor.is_active or not actor.can(Perm.IMPORT) or not actor.scope:
            fail(run, NOT_ALLOWED)
        elif not path.is_file():
            fail(run, FILE_GONE)
        else:
            run_import(
                path,
                actor=actor,
                scope_root=scope_root_for(actor),
                filename=run.filename,
                progress=lambda message: record_step(run_id, message),
                run=run,
            )
    except Exception:
        logger.exception("后台导入（导入记录 %s）中断", run_id)
        fail(run, INTERNAL_ERROR)
    finally:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        HUEY.delete(_steps_key(run_id))


def fail(run: ImportRun, reason: str) -> None:
    """Record that `run` ended without importing anything, and why."""
    run.status = ImportRun.Status.FAILED
    run.issues = [ImportIssue("", 0, "", reason).as_list()]  # about the whole file
    run.save(update_fields=["status", "issues"])


# --- the steps a run has reached ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    label: str
    seconds: float
    done: bool


@dataclass(frozen=True)
class Progress:
    """What the run page shows of a run in progress."""

    steps: list[Step]
    elapsed: float
    stalled: bool  # running, but no new step for STALLED_AFTER
    unclaimed: bool  # still queued after UNCLAIMED_AFTER


def _steps_key(run_id: int) -> str:
    return f"dangjian-import-steps-{run_id}"


def record_step(run_id: int, label: str) -> None:
    """Note that run `run_id` has reached the step `label` now."""
    key = _steps_key(run_id)
    steps = HUEY.get(key, peek=True) or []
    steps.append((label, time.time()))
    HUEY.put(key, steps)


def progress_of(run: ImportRun) -> Progress:
    """The steps `run` has reached, each with its time so far."""
    now = time.time()
    marks = HUEY.get(_steps_key(run.pk), peek=True) or []
    steps = [
        Step(label, (marks[i + 1][1] if i + 1 < len(marks) else now) - at, i + 1 < len(marks))
        for i, (label, at) in enumerate(marks)
    ]
    age = timezone.now() - run.started_at
    last = dt.timedelta(seconds=now - marks[-1][1]) if marks else age
    return Progress(
        steps=steps,
        elapsed=age.total_seconds(),
        stalled=run.status == ImportRun.Status.RUNNING and last > STALLED_AFTER,
        unclaimed=run.status == ImportRun.Status.QUEUED and age > UNCLAIMED_AFTER,
    )
