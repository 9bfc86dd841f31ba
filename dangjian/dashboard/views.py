"""The leader dashboard page (SPEC C16): /dashboard/ for the user's scope and
/dashboard/<org_id>/ for an organization inside it (outside or missing: 404). `?wall=1` is the
dark full-screen layout of a wall screen, reloaded every five minutes by static/js/dashboard.js.
Charts are drawn by that file from a json_script block (no inline script: CSP)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from dangjian.assessment.selectors import CLASSES
from dangjian.core.views import get_visible_or_404
from dangjian.dashboard import selectors
from dangjian.orgs.models import Organization

WALL_REFRESH_SECONDS = 300


def _org_url(row: selectors.ChildRow, wall: bool) -> str:
    url = reverse("dashboard:org", args=[row.org.pk])
    return f"{url}?wall=1" if wall else url


def chart_data(board: selectors.Dashboard, wall: bool) -> dict:
    """What static/js/dashboard.js draws: the monthly trend, classes, grades and the treemap
    of the children (sized by members, coloured by year-to-date 达标率)."""
    data: dict = {"wall": wall, "refresh": WALL_REFRESH_SECONDS if wall else 0}
    if board.compliance:
        data["trend"] = {
            "months": [f"{m}月" for m in selectors.MONTHS],
            "rates": board.compliance.trend,
        }
    if board.assessment and board.assessment.total:
        classes = board.assessment.classes
        data["classes"] = [
            {"name": name, "value": classes[name]} for name in CLASSES if classes.get(name)
        ]
        data["grades"] = {
            "names": list(board.assessment.grades),
            "values": list(board.assessment.grades.values()),
        }
    data["treemap"] = [
        {
            "name": row.org.name,
            "value": row.org.subtree_members,
            "rate": row.rate_percent,
            "url": _org_url(row, wall),
        }
        for row in board.children
        if row.org.subtree_members
    ]
    return data


@require_safe
@login_required
def dashboard(request, org_id: int | None = None):
    """One screen for a leader: counts, 达标率 and its trend, dues arrears, classes and grades,
    rectifications, the children ranked, and a treemap to drill down."""
    if org_id is None:
        if request.user.scope_id is None:
            raise Http404("未找到")
        org = get_visible_or_404(Organization.objects, request.user, pk=request.user.scope_id)
    else:
        org = get_visible_or_404(Organization.objects, request.user, pk=org_id)
    wall = request.GET.get("wall") == "1"
    board = selectors.dashboard_for(request.user, org, timezone.localdate())
    context = {
        "nav": "dashboard",
        "board": board,
        "org": org,
        "wall": wall,
        "crumbs": selectors.breadcrumbs(org, request.user.scope_path),
        "charts": chart_data(board, wall),
        "flow_classes": CLASSES,
    }
    return render(request, "dashboard/dashboard.html", context)
