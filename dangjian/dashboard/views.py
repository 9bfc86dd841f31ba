"""The leader dashboard page (SPEC C16): /dashboard/ for the user's scope and
/dashboard/<org_id>/ for an organization inside it (outside or missing: 404). `?wall=1` is the
dark full-screen layout of a wall screen, reloaded every five minutes by static/js/dashboard.js.
Charts are drawn by that file from a json_script block (no inline script: CSP); every mark
carries the address it drills down to (a child's dashboard or the records behind the figure).
The dashboard itself is rendered by `board_html`, reused for a while (dashboard/cache.py).
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import cache as django_cache
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from dangjian.assessment.selectors import CLASSES
from dangjian.core.views import get_visible_or_404
from dangjian.dashboard import cache, selectors
from dangjian.orgs.models import Organization

WALL_REFRESH_SECONDS = 300
# 中共… and the 党委/委员会/党支部 endings: what a small chart mark can leave out
_DECOR = re.compile(
    r"^中共|(工作委员会|机关委员会|机关党委|机关党支部|党总支|党支部|党工委|党组|党委|委员会)$"
)


def _common_prefix(texts: list[str]) -> str:
    first, last = min(texts), max(texts)  # the prefix of all is the prefix of these two
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def short_names(names: list[str]) -> list[str]:
    """Labels for the sunburst's narrow sectors: each name without its decoration and
    without the prefix every sibling shares (示例县…); the tooltip keeps the full name."""
    short = [_DECOR.sub("", name) or name for name in names]
    if len(short) > 1:
        prefix = _common_prefix(short)
        if len(prefix) >= 2 and all(len(s) - len(prefix) >= 2 for s in short):
            short = [s[len(prefix) :].removeprefix("委") for s in short]
    return short


def _url(name: str, **params) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


_SENTINEL = str(2**31 - 1)
IN_PROGRESS = quote("整顿中")


class Links:
    """The addresses a dashboard links to, each page reversed once per request: a wide
    subtree has hundreds of tiles, sectors and rows, and reverse() per mark was the costliest
    part of drawing them."""

    def __init__(self, board: selectors.Dashboard, wall: bool):
        self.wall = wall
        self._board = reverse("dashboard:org", args=[_SENTINEL])
        self.meetings = reverse("ledger:meetings")
        self.members = reverse("members:list")
        self.overview = reverse("compliance:overview")
        self.warnings = reverse("compliance:warnings")
        self.rectifications = reverse("rectification:list")
        self.satisfaction = reverse("rating:satisfaction")
        self.cases = reverse("rating:cases")
        self.year = board.compliance.year if board.compliance else ""
        self.rating_year = board.rating.year if board.rating else ""

    def board(self, org_id: int) -> str:
        url = self._board.replace(_SENTINEL, str(org_id))
        return f"{url}?wall=1" if self.wall else url

    def of(self, row: selectors.ChildRow) -> dict[str, str]:
        """A child's own dashboard and the records behind each of its figures."""
        pk = row.org.pk
        return {
            "board": self.board(pk),
            "meetings": f"{self.meetings}?org={pk}",
            "members": f"{self.members}?subtree={quote(row.org.code)}",
            "compliance": f"{self.overview}?org={pk}&year={self.year}",
            "arrears": f"{self.warnings}?org={pk}&year={self.year}&kind=dues",
            "rectifications": f"{self.rectifications}?org={pk}&state={IN_PROGRESS}",
            "overdue": f"{self.rectifications}?org={pk}&overdue=1",
            "satisfaction": f"{self.satisfaction}?org={pk}&year={self.rating_year}",
            "cases": f"{self.cases}?org={pk}",
        }


def _map(board: selectors.Dashboard, links: Links) -> list[dict]:
    """The children (inner ring, treemap tiles) with their children (outer ring): sized by
    members, coloured by year-to-date 达标率, each linking to its own dashboard."""
    rates = board.compliance
    below: dict[int, list] = {}
    for g in board.grandchildren:
        if g.members:
            below.setdefault(g.parent_id, []).append(g)
    children = [row for row in board.children if row.org.subtree_members]
    nodes = []
    for row, label in zip(children, short_names([r.org.name for r in children]), strict=True):
        node = {
            "name": row.org.name,
            "label": label,
            "value": row.org.subtree_members,
            "rate": row.rate_percent,
            "url": links.board(row.org.pk),
        }
        if grandchildren := below.get(row.org.pk):
            labels = short_names([g.name for g in grandchildren])
            node["children"] = [
                {
                    "name": g.name,
                    "label": g_label,
                    "value": g.members,
                    "rate": rates.percent_of(g.id) if rates else None,
                    "url": links.board(g.id),
                }
                for g, g_label in zip(grandchildren, labels, strict=True)
            ]
        nodes.append(node)
    return nodes


def chart_data(board: selectors.Dashboard, links: Links) -> dict:
    """What static/js/dashboard.js draws: the monthly trend (达标率 and satisfaction), classes,
    grades and the subtree map; each point, slice, bar and tile with its drill-down address."""
    org = board.org.pk
    wall = links.wall
    data: dict = {"wall": wall, "refresh": WALL_REFRESH_SECONDS if wall else 0}
    if board.compliance:
        c = board.compliance
        data["trend"] = {
            "months": [f"{m}月" for m in selectors.MONTHS],
            "rates": c.trend,
            "urls": [
                _url("compliance:branches", org=org, year=c.year, month=m, status="missed")
                if m <= c.judged_through
                else ""
                for m in selectors.MONTHS
            ],
        }
        if board.rating and any(v is not None for v in board.rating.trend):
            data["trend"]["satisfaction"] = board.rating.trend
    a = board.assessment
    if a and a.total:
        data["classes"] = [
            {
                "name": name,
                "value": a.classes[name],
                "url": _url("assessment:results", org=org, year=a.year, standing=name),
            }
            for name in CLASSES
            if a.classes.get(name)
        ]
        data["grades"] = {
            "names": list(a.grades),
            "values": list(a.grades.values()),
            "urls": [_url("assessment:results", org=org, year=a.year, grade=g) for g in a.grades],
        }
        if a.flow:
            data["flow"] = {
                "years": [f"{a.year - 1}年", f"{a.year}年"],
                "classes": list(CLASSES),
                "before": [a.flow.last_year[name] for name in CLASSES],
                "now": [a.classes[name] for name in CLASSES],
                "urls": [
                    _url("assessment:results", org=org, year=a.year, standing=name)
                    for name in CLASSES
                ],
            }
    data["map"] = _map(board, links)
    return data


# What json_script escapes, so the data cannot close its <script> element.
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def script_json(data: dict) -> str:
    """The charts' data for a <script type="application/json"> element, as json_script writes
    it but with Chinese as UTF-8 rather than \\u escapes: a third less to send (hundreds of
    organization names on a county's map)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(text.translate(_SCRIPT_ESCAPES))  # <, > and & escaped above


def board_html(request, org: Organization, wall: bool) -> str:
    """The dashboard of `org` as HTML, from the cache when it holds a fresh one."""
    today = timezone.localdate()
    ttl = cache.seconds()
    key = cache.key(request.path, wall, request.user.scope_path or "", today) if ttl else ""
    if ttl and (found := django_cache.get(key)) is not None:
        return mark_safe(found)
    board = selectors.dashboard_for(request.user, org, today)
    links = Links(board, wall)
    for row in board.children:
        row.links = links.of(row)
    charts = chart_data(board, links)
    context = {
        "board": board,
        "org": org,
        "wall": wall,
        "crumbs": selectors.breadcrumbs(org, request.user.scope_path),
        "charts": charts,
        "charts_json": script_json(charts),
        "flow_classes": CLASSES,
        "cache_seconds": ttl,
    }
    html = render_to_string("dashboard/_board.html", context, request=request)
    if ttl:
        django_cache.set(key, str(html), ttl)
    return html


@require_safe
@login_required
def dashboard(request, org_id: int | None = None):
    """One screen for a leader: counts, 达标率 and its trend, dues arrears, satisfaction and
    complaints, rectifications and overdue items, classes, grades and their flow, the
    children ranked and in a table, and a map of the subtree to drill down."""
    if org_id is None:
        if request.user.scope_id is None:
            raise Http404("未找到")
        org_id = request.user.scope_id
    org = get_visible_or_404(Organization.objects, request.user, pk=org_id)
    wall = request.GET.get("wall") == "1"
    context = {
        "nav": "dashboard",
        "org": org,
        "wall": wall,
        "content": board_html(request, org, wall),
    }
    return render(request, "dashboard/dashboard.html", context)
