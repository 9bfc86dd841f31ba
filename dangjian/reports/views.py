"""C17 pages: the bulletin archive of an organization (`?org=`, inside the user's subtree, else
404) with its downloads, and the button that generates a bulletin on demand. Views parse,
authorize, call one service and render; the archive never loads the documents themselves."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from dangjian.accounts.roles import Perm
from dangjian.core.errors import BusinessError
from dangjian.core.excel import XLSX
from dangjian.core.views import get_visible_or_404, paginate, query_without_page, require_perm
from dangjian.ledger.views import chosen_org
from dangjian.reports import selectors, services
from dangjian.reports.choices import Kind, Trigger
from dangjian.reports.models import Bulletin
from dangjian.reports.periods import latest_period, parse_kind, parse_period


def _archive(request, org, *, form: dict | None = None, error: BusinessError | None = None):
    """The archive page of `org` (with the generate form as typed, and its error: the page
    answers 200 then, as Django's forms do, with the message above the form)."""
    filters = selectors.ArchiveFilters.from_params(request.GET)
    today = timezone.localdate()
    page = paginate(request, selectors.archive(request.user, org, filters), per_page=30)
    context = {
        "nav": "reports",
        "org": org,
        "filters": filters,
        "kinds": Kind.choices,
        "page": page,
        "query": query_without_page(request),
        "switch": selectors.switchable(org, request.user),
        "can_publish": request.user.can(Perm.PUBLISH_BULLETINS),
        "form": form or {"kind": Kind.MONTHLY, "period": latest_period(Kind.MONTHLY, today).key},
        "error": error,
        "examples": {k: latest_period(k, today).key for k in Kind.values},
    }
    return render(request, "reports/archive.html", context)


@require_safe
@login_required
def archive(request):
    """Bulletins of the organization (and, with ?sub=1, of its whole subtree), newest first."""
    return _archive(request, chosen_org(request))


@require_POST
@require_perm(Perm.PUBLISH_BULLETINS)
def generate(request):
    """Generate a bulletin of the chosen organization now and archive it."""
    org = chosen_org(request)
    typed = {"kind": request.POST.get("kind", ""), "period": request.POST.get("period", "")}
    try:
        kind = parse_kind(typed["kind"])
        period = parse_period(kind, typed["period"], timezone.localdate())
        bulletin = services.generate_bulletin(request.user, kind, org, period, trigger=Trigger.PAGE)
    except BusinessError as exc:
        return _archive(request, org, form=typed, error=exc)
    messages.success(request, f"已生成并归档：{bulletin.title}（第{bulletin.edition}版）")
    return redirect(f"{reverse('reports:archive')}?org={org.pk}#b{bulletin.pk}")


def _download(content: bytes, content_type: str, filename: str, *, inline: bool):
    response = HttpResponse(bytes(content), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@login_required
def pdf(request, pk: int):
    """A bulletin's PDF as archived (opens in the browser's viewer)."""
    bulletin = get_visible_or_404(
        Bulletin.objects.defer("xlsx").select_related("organization"), request.user, pk=pk
    )
    return _download(bulletin.pdf, "application/pdf", f"{bulletin.filename_stem}.pdf", inline=True)


@require_safe
@login_required
def xlsx(request, pk: int):
    """A bulletin's Excel workbook as archived."""
    bulletin = get_visible_or_404(
        Bulletin.objects.defer("pdf").select_related("organization"), request.user, pk=pk
    )
    return _download(bulletin.xlsx, XLSX, f"{bulletin.filename_stem}.xlsx", inline=False)
