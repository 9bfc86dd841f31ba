"""A demo assessment scheme (C5) for the current year: 村（社区）党组织党建工作责任制考核, built
through the real services and published, so the scheme pages of a fresh demo show a realistic
item tree (组织建设 with 组织生活 computed from compliance, 党员教育管理, 发展党员, 服务群众,
党风廉政建设 with a deduction item, 创新加分) and the four weighted rater groups."""

from __future__ import annotations

from django.utils import timezone

from dangjian.schemes import services
from dangjian.schemes.choices import Method, Source
from dangjian.schemes.models import Scheme
from dangjian.schemes.services import ItemInput, SchemeInput

NAME = "村（社区）党组织党建工作责任制考核方案"
CATEGORIES = ("村", "社区", "撤村建居社区")
WEIGHTS = {"superior": "0.4", "members": "0.2", "peers": "0.1", "public": "0.3"}

# (key, parent key, title, maximum points, method, criteria): top level 90 + satisfaction 10
ITEMS = (
    ("org", None, "组织建设", "30", Method.MANUAL, "班子健全、制度落实、阵地规范"),
    ("team", "org", "班子建设", "15", Method.MANUAL, "“两委”班子结构合理，书记履职尽责"),
    ("life", "org", "组织生活", "15", Method.COMPLIANCE, "按“三会一课”达标月份计分"),
    ("edu", None, "党员教育管理", "20", Method.MANUAL, "主题党日、党员积分、流动党员管理"),
    ("grow", None, "发展党员", "10", Method.MANUAL, "程序规范，注重从青年农民中发展"),
    ("serve", None, "服务群众", "20", Method.MANUAL, "为民办实事、便民服务站运行"),
    ("clean", None, "党风廉政建设", "10", Method.MANUAL, ""),
    ("duty", "clean", "责任落实", "10", Method.MANUAL, "“四议两公开”、村务公开"),
    ("penalty", "clean", "问题扣分", "5", Method.DEDUCTION, "巡察、审计发现问题每项扣1分"),
    ("bonus", None, "创新加分", "5", Method.BONUS, "经验做法被县级以上推广"),
)


def install_demo_scheme(actor=None) -> Scheme | None:
    """Create and publish the scheme for the current year (once); None when it exists."""
    year = timezone.localdate().year
    if Scheme.objects.filter(year=year, name=NAME).exists():
        return None
    scheme = services.create_scheme(
        actor, SchemeInput(year, NAME, list(CATEGORIES), "10"), weights=WEIGHTS
    )
    made = {}
    for key, parent, title, points, method, criteria in ITEMS:
        sources = [] if method == Method.COMPLIANCE else list(Source.values)
        made[key] = services.add_item(
            actor,
            scheme,
            ItemInput(
                title,
                points,
                method,
                sources,
                made[parent].pk if parent else None,
                criteria=criteria,
            ),
        )
    return services.publish_scheme(actor, scheme)
