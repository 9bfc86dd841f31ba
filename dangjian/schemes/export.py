"""Excel exports of C5 scores: one organization's explanation (items → scores by source →
source used → rule → 党建得分), and a scheme's scores for every organization in scope."""

from __future__ import annotations

from decimal import Decimal

from dangjian.core.excel import xlsx_response
from dangjian.schemes.choices import SelfCheckState, Source
from dangjian.schemes.scoring import Explanation

SOURCES = (Source.SELF, Source.SPOT, Source.YEAR_END)


def _number(value: Decimal | None) -> float | None:
    """Excel keeps numbers as doubles; two-decimal scores survive the trip exactly."""
    return None if value is None else float(value)


def _item_rows(explanation: Explanation, numbers: dict[int, str]):
    for r in explanation.items:
        yield (
            numbers.get(r.item.id, ""),
            ("　" * r.depth) + r.item.title,
            _number(r.item.max_points),
            *(_number(r.entered.get(s)) for s in SOURCES),
            r.source_label,
            _number(r.signed),
            r.rule,
        )


def org_workbook(scheme, org, explanation: Explanation, numbers: dict[int, str]):
    """An organization's scores under a scheme, as a download."""
    sat = explanation.satisfaction
    return xlsx_response(
        f"考核得分明细-{org.name}-{scheme.year}.xlsx",
        {
            "考核明细": (
                [
                    "序号",
                    "考核项目",
                    "满分",
                    "单位自查",
                    "平时抽查",
                    "年终考评",
                    "采用",
                    "得分",
                    "计分规则",
                ],
                _item_rows(explanation, numbers),
            ),
            "满意度": (
                ["评议群体", "权重", "评分人数", "平均分", "权重×平均分"],
                [
                    (
                        line.label,
                        _number(line.weight),
                        line.count,
                        _number(line.average),
                        _number(line.weighted),
                    )
                    for line in sat.lines
                ],
            ),
            "党建得分": (
                ["项目", "分值", "说明"],
                [
                    ("组织", org.name, org.code),
                    ("考核方案", str(scheme), ""),
                    ("考核项目合计", _number(explanation.items_total), ""),
                    ("满意度评价", _number(sat.score), sat.rule),
                    ("党建得分", _number(explanation.party_score), explanation.rule),
                ],
            ),
        },
    )


def scheme_workbook(scheme, orgs, explanations: dict[int, Explanation], top_items):
    """Every organization's scores under a scheme: one row each, top-level items as columns."""
    header = [
        "组织编码",
        "组织名称",
        "组织类别",
        "单位自查",
        *(f"{i.title}（{i.max_points.normalize():f}）" for i in top_items),
        "满意度评价",
        "党建得分（计算）",
        "已写入党建得分",
    ]

    def rows():
        for org in orgs:
            found = explanations[org.pk]
            by_item = found.by_item()
            state = SelfCheckState(org.self_state).label if org.self_state else "未填报"
            yield (
                org.code,
                org.name,
                org.category.name,
                state,
                *(_number(by_item[i.pk].signed) for i in top_items),
                _number(found.satisfaction.score),
                _number(found.party_score),
                _number(org.stored_score),
            )

    return xlsx_response(
        f"考核得分-{scheme.name}-{scheme.year}.xlsx", {"考核得分": (header, rows())}
    )
