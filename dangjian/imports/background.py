"""Large uploads are imported by the task worker while the run page follows each step.

A workbook of IMPORT_BACKGROUND_MIN_BYTES or more would hold the request open for as long as
its import takes (a city's: tens of seconds), longer than a proxy in front of the server may
wait, and the officer would see an error for an import that went on. So the page keeps the
file in IMPORT_UPLOAD_DIR, records the run as queued and answers at once. The worker
(`imports.tasks`, which `manage.py serve` starts with the web server) imports it as the same
user under the same all-or-nothing rules. The steps it reaches are kept in the task queue's
store, which the web server and the worker share (huey's SQLite file by default, Redis in
production), because the import's own transaction shows nothing to others until it ends.

A worker that stops in the middle of an import (the server restarted, the process killed)
commits nothing of it, but would leave its run "导入中" for ever. So the importing worker
notes every HEARTBEAT_SECONDS that it is alive; a run with no sign of life for
ABANDONED_AFTER is ended as failed, its kept file removed (`settle_abandoned`: every minute
by the worker, and by the run's page when it is looked at). A run whose task never reached
the queue, or was lost from it, is queued again (`requeue_lost`, every minute); a task queued
twice imports once. A task store that cannot be reached refuses the upload in Chinese and
never fails the pages that follow a run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
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
# The importing worker notes that it is alive this often; a run with no sign of life for
# ABANDONED_AFTER has lost its worker.
HEARTBEAT_SECONDS = 10
ABANDONED_AFTER = dt.timedelta(seconds=60)
# Still queued after this long: the worker is probably not running.
UNCLAIMED_AFTER = dt.timedelta(minutes=1)
# Still queued after this long with no task for it in the queue: the task was lost (the
# store flushed, or unreachable when the upload was queued) and is queued again.
REQUEUE_AFTER = dt.timedelta(minutes=2)

INTERNAL_ERROR = (
    "导入过程中发生内部错误，文件中的数据均未导入。请稍后重新上传；如仍出错，请联系系统管理员。"
)
FILE_GONE = "上传的文件已不在服务器上（可能已被清理），未导入，请重新上传"
SAVE_FAILED = "服务器无法保存上传的文件（磁盘空间不足或目录不可写），未导入"
NOT_ALLOWED = "上传者的账号已停用、已无导入权限或没有管辖范围，未导入"
QUEUE_DOWN = "后台任务服务暂时无法连接，文件未导入。请稍后重新上传；如仍不行，请联系系统管理员。"
WORKER_STOPPED = (
    "后台导入进程在导入完成前停止（如服务器重启或内存不足），文件中的数据均未导入。请重新上传。"
)


def in_background(size: int) -> bool:
    """Whether an upload of `size` bytes is imported by the worker."""
    return size >= settings.IMPORT_BACKGROUND_MIN_BYTES


def upload_path(run: ImportRun) -> Path:
    return Path(settings.IMPORT_UPLOAD_DIR) / f"run-{run.pk}.xlsx"


def queue_upload(upload, user) -> ImportRun:
    """Keep `upload` for the worker and record its run as queued; the worker is asked once
    the run is committed. BusinessError (nothing kept) when the file cannot be stored or the
    task store cannot be reached."""
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
        _drop(run)
        raise BusinessError(SAVE_FAILED) from None
    try:
        record_step(run.pk, WAITING)
    except Exception:  # Redis down, say: the worker could not be asked either
        logger.exception("后台任务存储无法连接，上传（导入记录 %s）未排队", run.pk)
        _drop(run)
        raise BusinessError(QUEUE_DOWN) from None
    transaction.on_commit(lambda: enqueue(run.pk))
    return run


def _drop(run: ImportRun) -> None:
    with contextlib.suppress(OSError):
        upload_path(run).unlink(missing_ok=True)
    run.delete()


def enqueue(run_id: int) -> None:
    """Ask the worker to import run `run_id`. If the task store cannot be reached now, the
    run waits for `requeue_lost`."""
    from dangjian.imports.tasks import import_queued_upload

    try:
        import_queued_upload(run_id)
    except Exception:
        logger.exception("后台导入（导入记录 %s）未能加入任务队列，稍后重试", run_id)


def requeue_lost() -> int:
    """Queue again each run still waiting REQUEUE_AFTER after its upload whose task is not
    in the queue; returns how many. A task queued twice imports once (`import_queued`)."""
    from dangjian.imports.tasks import import_queued_upload

    cutoff = timezone.now() - REQUEUE_AFTER
    waiting = ImportRun.objects.filter(status=ImportRun.Status.QUEUED, started_at__lt=cutoff)
    waiting = list(waiting.values_list("pk", flat=True))
    if not waiting:
        return 0
    task_class = import_queued_upload.task_class
    pending = {task.args[0] for task in HUEY.pending() if isinstance(task, task_class)}
    lost = [pk for pk in waiting if pk not in pending]
    for pk in lost:
        logger.warning("后台导入（导入记录 %s）的任务不在队列中，重新排队", pk)
        enqueue(pk)
    return len(lost)


def import_queued(run_id: int) -> None:
    """Import the queued upload of run `run_id` (the worker's task). A run already taken, or
    no longer queued, is left alone; whatever happens, the kept file is removed."""
    # Alive before it is running, so that no moment of the run looks abandoned.
    HUEY.put(_alive_key(run_id), time.time())
    if not ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING
    ):
        HUEY.delete(_alive_key(run_id))  # a worker importing it beats again within seconds
        return
    run = ImportRun.objects.select_related("actor").get(pk=run_id)
    path = upload_path(run)
    try:
        with heartbeat(run_id):
            _import_claimed(run, path)
    except Exception:
        logger.exception("后台导入（导入记录 %s）中断", run_id)
        fail(run, INTERNAL_ERROR)
    finally:
        _discard(run)


def _import_claimed(run: ImportRun, path: Path) -> None:
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
            progress=lambda message: record_step(run.pk, message),
            run=run,
        )


def _discard(run: ImportRun) -> None:
    """Remove what was kept for `run` while it was imported: the file, its steps, its
    heartbeat."""
    with contextlib.suppress(OSError):
        upload_path(run).unlink(missing_ok=True)
    HUEY.delete(_steps_key(run.pk))
    HUEY.delete(_alive_key(run.pk))


def _about_the_whole_file(reason: str) -> list[list]:
    """The issues of a run that ended without importing anything: one, about the file."""
    return [ImportIssue("", 0, "", reason).as_list()]


def fail(run: ImportRun, reason: str) -> None:
    """Record that `run` ended without importing anything, and why."""
    run.status = ImportRun.Status.FAILED
    run.issues = _about_the_whole_file(reason)
    run.save(update_fields=["status", "issues"])


# --- a worker that stopped in the middle of an import ---------------------------------------


def _alive_key(run_id: int) -> str:
    return f"dangjian-import-alive-{run_id}"


@contextlib.contextmanager
def heartbeat(run_id: int):
    """While the block runs, note every HEARTBEAT_SECONDS that run `run_id` is being
    imported (a thread of its own: the import's steps may be minutes apart)."""
    stop = threading.Event()
    every = HEARTBEAT_SECONDS

    def beat() -> None:
        while True:
            try:
                HUEY.put(_alive_key(run_id), time.time())
            except Exception:  # the store unreachable for a moment: try again next time
                logger.exception("无法记录后台导入（导入记录 %s）仍在进行", run_id)
            if stop.wait(every):
                return

    thread = threading.Thread(target=beat, name=f"import-heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)  # a store that hangs must not hold the worker


UNREADABLE = object()  # what `_peek` gives when the task store cannot be read


def _peek(key: str):
    """What the task store holds at `key` (None if nothing); UNREADABLE if the store cannot
    be read: the pages that follow a run go on without it."""
    try:
        return HUEY.get(key, peek=True)
    except Exception:
        logger.warning("后台任务存储无法读取（%s）", key, exc_info=True)
        return UNREADABLE


def last_sign_of_life(run: ImportRun) -> float | None:
    """When `run` was last known to be imported (a heartbeat or a step), as a Unix time;
    when it was uploaded if nothing is known; None if the task store cannot be read."""
    marks, alive = _peek(_steps_key(run.pk)), _peek(_alive_key(run.pk))
    if UNREADABLE in (marks, alive):
        return None
    return max(alive or 0, marks[-1][1] if marks else 0, run.started_at.timestamp())


def is_abandoned(run: ImportRun, now: float | None = None) -> bool:
    """Whether `run` is being imported by a worker that has stopped (not when that cannot
    be known)."""
    if run.status != ImportRun.Status.RUNNING:
        return False
    last = last_sign_of_life(run)
    now = time.time() if now is None else now
    return last is not None and now - last > ABANDONED_AFTER.total_seconds()


def settle_abandoned(runs=None) -> int:
    """End as failed every run (of `runs`, by default all) whose worker stopped in the
    middle of its import, and remove what was kept for it; returns how many. Nothing of
    such a run was committed: its import's transaction ended with the worker."""
    if runs is None:
        runs = ImportRun.objects.filter(status=ImportRun.Status.RUNNING).only(
            "pk", "status", "started_at"
        )
    settled = 0
    for run in runs:
        if not is_abandoned(run):
            continue
        # Only if still running: a worker that was slow, not gone, may have ended it since.
        if ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING).update(
            status=ImportRun.Status.FAILED,
            issues=_about_the_whole_file(WORKER_STOPPED),
            issue_count=1,  # an update, not save(): the count is set here
        ):
            logger.warning("后台导入（导入记录 %s）的进程已停止，记为失败", run.pk)
            _discard(run)
            settled += 1
    return settled


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
    marks = _peek(_steps_key(run.pk))
    marks = [] if marks in (None, UNREADABLE) else marks
    steps = [
        Step(label, (marks[i + 1][1] if i + 1 < len(marks) else now) - at, i + 1 < len(marks))
        for i, (label, at) in enumerate(marks)
    ]
    age = timezone.now() - run.started_at
    return Progress(
        steps=steps,
        elapsed=age.total_seconds(),
        unclaimed=run.status == ImportRun.Status.QUEUED and age > UNCLAIMED_AFTER,
    )
