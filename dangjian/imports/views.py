"""The import/export page: upload a workbook, see every rejected row, download reports."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from dangjian.accounts.roles import Perm
from dangjian.core.errors import BusinessError
from dangjian.core.excel import xlsx_download, xlsx_response
from dangjian.core.views import require_perm
from dangjian.imports import background
from dangjian.imports.export import export_workbook
from dangjian.imports.forms import UploadForm, save_upload, size_label
from dangjian.imports.models import ImportRun
from dangjian.imports.registry import in_sheet_order, registered_sheets
from dangjian.imports.runner import TITLE_ROWS, run_import, scope_root_for
from dangjian.imports.template import blank_template
from dangjian.orgs.querysets import is_jurisdiction_root

SHOWN_ISSUES = 500


def _runs_for(user):
    """Import runs the user may see: those inside their scope (all of them for the root)."""
    runs = ImportRun.objects.select_related("actor")
    if user.scope is None:
        return runs.filter(actor=user)
    if is_jurisdiction_root(user.scope_path):
        return runs
    return runs.filter(scope_path__startswith=user.scope_path)


@require_perm(Perm.IMPORT)
def page(request):
    """Upload form, templates, export, and recent runs."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if request.user.scope is None:
            messages.error(request, "您的账号尚未设置管辖范围，不能导入")
            return redirect("imports:page")
        upload = form.cleaned_data["file"]
        if background.in_background(upload.size):
            try:
                run = background.queue_upload(upload, request.user)
            except BusinessError as exc:
                messages.error(request, exc.message)
                return redirect("imports:page")
            return redirect("imports:run", pk=run.pk)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "upload.xlsx"
            save_upload(upload, path)
            outcome = run_import(
                path,
                actor=request.user,
                scope_root=scope_root_for(request.user),
                filename=upload.name,
            )
        if outcome.ok:
            summary = "；".join(f"{s}：{r.counts_text()}" for s, r in outcome.results.items())
            messages.success(request, f"导入成功（{outcome.rows} 行）。{summary}")
        else:
            messages.error(
                request,
                f"导入未通过校验，未做任何修改：共 {len(outcome.issues)} 处问题，详见下表。",
            )
        return redirect("imports:run", pk=outcome.run.pk)
    context = {
        "nav": "import",
        "form": form,
        # A rejected run may hold hundreds of thousands of issues: the list reads none of them.
        "runs": _runs_for(request.user).defer("issues", "summary", "warnings")[:20],
        "sheets": registered_sheets(),
        "title_rows": TITLE_ROWS,
        "background_min": size_label(settings.IMPORT_BACKGROUND_MIN_BYTES),
    }
    return render(request, "imports/page.html", context)


def _run_or_404(request, pk: int, defer: tuple[str, ...] = ()) -> ImportRun:
    """The run `pk` in the user's scope, ended first if its worker has stopped (the page then
    shows why rather than "导入中")."""
    runs = _runs_for(request.user).defer(*defer).filter(pk=pk)
    run = runs.first()
    if run is None:
        raise Http404("未找到")
    if background.settle_abandoned([run]):
        run = runs.get()
    return run


@require_perm(Perm.IMPORT)
def run_detail(request, pk: int):
    """One run: its counts, or its rejected rows as a table."""
    run = _run_or_404(request, pk, defer=("issues",))
    context = {
        "nav": "import",
        "run": run,
        "issues": run.first_issues(SHOWN_ISSUES),
        "shown": SHOWN_ISSUES,
        "results": in_sheet_order(run.summary),
        "progress": background.progress_of(run) if run.in_progress else None,
    }
    return render(request, "imports/run.html", context)


@require_perm(Perm.IMPORT)
def run_progress(request, pk: int):
    """The progress panel of a run being imported in the background, polled by its page; once
    the run has ended, the page is told to reload and show the outcome."""
    run = _run_or_404(request, pk)
    if not run.in_progress:
        url = reverse("imports:run", args=[run.pk])
        response = HttpResponse(format_html('<a href="{}">导入已结束，查看结果</a>', url))
        response["HX-Refresh"] = "true"
        return response
    context = {"run": run, "progress": background.progress_of(run), "polled": True}
    return render(request, "imports/_progress.html", context)


@require_perm(Perm.IMPORT)
def run_issues(request, pk: int):
    """Every rejected row of a run as an .xlsx report."""
    run = _run_or_404(request, pk)
    return xlsx_response(
        f"导入问题清单-{run.pk}.xlsx", {"问题清单": (["工作表", "行号", "列", "问题"], run.issues)}
    )


@require_perm(Perm.EXPORT)
def export(request):
    """The user's scope as a workbook that can be imported again."""
    buffer = io.BytesIO()
    export_workbook(buffer, request.user)
    return xlsx_download(buffer.getvalue(), f"导出-{timezone.localdate():%Y%m%d}.xlsx")


@require_perm(Perm.IMPORT)
def template(request):
    """An empty workbook to fill in: instructions, the sheets and their headers."""
    return xlsx_download(blank_template(), "导入模板.xlsx")
