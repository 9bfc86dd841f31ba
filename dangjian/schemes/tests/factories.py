"""Schemes built through the real services, for tests of the schemes app."""

from __future__ import annotations

from types import SimpleNamespace

from django.utils import timezone

from dangjian.schemes import services
from dangjian.schemes.choices import Method, Source
from dangjian.schemes.services import ItemInput, SchemeInput

CATEGORIES = ("机关-政府组成部门", "机关-党群部门", "村")

# (key, parent key, title, max, method): 一级 40 + 30 + 20 = 90, satisfaction 10, bonus on top.
LAYOUT = (
    ("org", None, "组织建设", "40", Method.MANUAL),
    ("team", "org", "班子建设", "20", Method.MANUAL),
    ("life", "org", "组织生活", "20", Method.COMPLIANCE),
    ("edu", None, "党员教育管理", "30", Method.MANUAL),
    ("clean", None, "党风廉政建设", "20", Method.MANUAL),
    ("duty", "clean", "责任落实", "15", Method.MANUAL),
    ("penalty", "clean", "问题扣分", "10", Method.DEDUCTION),
    ("bonus", None, "创新加分", "5", Method.BONUS),
)


def make_scheme(
    actor=None,
    *,
    year: int | None = None,
    name: str = "党建工作责任制考核方案",
    categories=CATEGORIES,
    satisfaction_max: str = "10",
    publish: bool = True,
    layout=LAYOUT,
    extra_leaves: int = 0,
) -> SimpleNamespace:
    """A scheme with the items of LAYOUT (`extra_leaves` more manual leaves under 班子建设,
    for query-count tests); published unless asked otherwise."""
    year = year or timezone.localdate().year
    scheme = services.create_scheme(
        actor, SchemeInput(year, name, list(categories), satisfaction_max)
    )
    items = {}
    for key, parent, title, max_points, method in layout:
        sources = Source.values if method != Method.COMPLIANCE else []
        items[key] = services.add_item(
            actor,
            scheme,
            ItemInput(title, max_points, method, sources, items[parent].pk if parent else None),
        )
    for n in range(extra_leaves):
        items[f"extra{n}"] = services.add_item(
            actor,
            scheme,
            ItemInput(f"附加项{n}", "1", Method.MANUAL, Source.values, items["team"].pk),
        )
    if publish:
        services.publish_scheme(actor, scheme)
        scheme.refresh_from_db()
    return SimpleNamespace(scheme=scheme, items=items, year=year)
