"""A bulletin's documents (SPEC C17): the printable A4 PDF (templates/reports/pdf/, rendered by
dangjian.core.pdf with the Noto CJK fonts embedded, charts inline as SVG) and the Excel
workbook, from the figures of figures.py. No query here: everything comes from the figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dangjian.core import pdf
from dangjian.reports import charts
from dangjian.reports.choices import Kind
from dangjian.reports.figures import MonthlyFigures, ReportCardFigures, WeeklyFigures
from dangjian.reports.workbook import PERCENT, SCORE, Sheet, rate, workbook_bytes

Figures = WeeklyFigures | MonthlyFigures | ReportCardFigures
TEMPLATES = {
    Kind.WEEKLY: "reports/pdf/weekly.html",
    Kind.MONTHLY: "reports/pdf/monthly.html",
    Kind.YEARLY: "reports/pdf/report_card.html",
}
HEADINGS = {
    Kind.WEEKLY: "组织生活周通报",
    Kind.MONTHLY: "党建工作月通报",
    Kind.YEARLY: "年度考核成绩单",
}


@dataclass(frozen=True)
class Documents:
    """What the archive keeps of one bulletin."""

    title: str
    summary: dict
    pdf: bytes
    xlsx: bytes


def kind_of(figures: Figures) -> str:
    """The bulletin kind the figures belong to."""
    if isinstance(figures, WeeklyFigures):
        return Kind.WEEKLY
    if isinstance(figures, MonthlyFigures):
        return Kind.MONTHLY
    return Kind.YEARLY


def title_of(figures: Figures) -> str:
    """ "中共某县委员会 2026年10月 党建工作月通报"."""
    return f"{figures.org.name} {figures.period.label} {HEADINGS[kind_of(figures)]}"


def _pct(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


# --- summaries (the archive list's headline figures) ------------------------------------------


def summary_of(figures: Figures) -> dict:
    """A few headline figures, kept with the archive entry (JSON: numbers and text only)."""
    if isinstance(figures, MonthlyFigures):
        return {
            "达标率": _pct(figures.total.rate),
            "未达标支部": figures.missed_total,
            "党费交纳率": _pct(figures.dues_total.rate),
            "满意率": _pct(figures.satisfaction_total.rate),
            "新增诉求": figures.satisfaction_total.cases,
        }
    if isinstance(figures, WeeklyFigures):
        return {
            "达标率": _pct(figures.total.rate) if figures.total else None,
            "本周组织生活": figures.activity_total.meetings,
            "本月尚未开展支部": figures.activity_total.idle,
        }
    own = figures.own
    return {
        "综合得分": float(own.final_score) if own else None,
        "等次": own.grade if own else None,
        "类别": own.standing_label if own else None,
        "全辖排名": own.overall_rank if own else None,
        "名次变化": own.change if own else None,
        "所辖组织": figures.rows_total,
    }


# --- charts ---------------------------------------------------------------------------------


def charts_of(figures: Figures) -> dict:
    """The SVG charts of the PDF."""
    if isinstance(figures, ReportCardFigures):
        found = {}
        if len(figures.history) > 1:
            found["history"] = charts.line_chart(
                [(f"{year}年", float(score)) for year, score, *_ in figures.history],
                title="历年综合得分",
                unit="",
                ceiling=None,
            )
        children = sorted(figures.child_rows, key=lambda r: r.overall_rank)
        if children:
            found["scores"] = charts.bar_chart(
                [(r.name, float(r.final_score)) for r in children],
                title="直属下级组织综合得分",
                unit="",
            )
        return found
    month = figures.period.month if isinstance(figures, MonthlyFigures) else figures.ranking_month
    found = {}
    if month is not None and figures.children:
        total = figures.total.rate if figures.total else None
        found["rates"] = charts.bar_chart(
            [(r.name, _pct(r.rate)) for r in figures.children],
            title=f"{month.year}年{month.month}月各组织达标率",
            reference=_pct(total),
        )
    if isinstance(figures, MonthlyFigures) and any(v is not None for v in figures.trend):
        found["trend"] = charts.line_chart(
            [(f"{m}月", v) for m, v in zip(range(1, 13), figures.trend, strict=True)],
            title=f"{month.year}年各月达标率走势",
        )
    return found


# --- PDF ------------------------------------------------------------------------------------


def render_pdf(figures: Figures, generated_at: dt.datetime) -> bytes:
    """The A4 PDF of a bulletin (raises core.pdf.PdfUnavailable without the CJK fonts)."""
    context = {
        "f": figures,
        "title": title_of(figures),
        "charts": charts_of(figures),
        "generated_at": generated_at,
    }
    return pdf.render_pdf(TEMPLATES[kind_of(figures)], context)


# --- Excel ----------------------------------------------------------------------------------


def _rate_sheet(figures, month_label: str) -> Sheet:
    return Sheet(
        "达标率排名",
        [
            "排名",
            "组织",
            "组织编码",
            "达标支部数",
            "适用支部数",
            f"{month_label}达标率",
            "上月达标率",
            "上月排名",
            "名次变化",
            "累计达标率",
        ],
        (
            (
                r.rank,
                r.name,
                r.code,
                r.month.compliant if r.month else None,
                r.month.applicable if r.month else None,
                r.rate,
                r.previous_rate,
                r.previous_rank,
                r.change,
                r.ytd_rate,
            )
            for r in figures.children
        ),
        formats={5: PERCENT, 6: PERCENT, 9: PERCENT},
        widths=(6, 34, 16, 10, 10, 12, 12, 9, 9, 12),
    )


def _overview(figures: Figures, lines: list[tuple]) -> Sheet:
    head = [
        ("组织", figures.org.name),
        ("组织编码", figures.org.code),
        ("类型", HEADINGS[kind_of(figures)]),
        ("期间", figures.period.label),
        ("生成日期", figures.generated_on.isoformat()),
    ]
    return Sheet(
        "概况",
        ["项目", "数值"],
        head + lines,
        widths=(26, 40),
    )


def _monthly_sheets(f: MonthlyFigures) -> list[Sheet]:
    t = f.total
    overview = _overview(
        f,
        [
            ("组织生活达标率", rate(t.rate)),
            ("达标支部数", t.month.compliant if t.month else None),
            ("适用支部数", t.month.applicable if t.month else None),
            ("累计达标率", rate(t.ytd_rate)),
            ("上月达标率", rate(t.previous_rate)),
            ("未达标支部数", f.missed_total),
            ("党费足额交纳率", rate(f.dues_total.rate)),
            ("年度欠缴党费人数", f.dues_total.arrears),
            ("群众满意率", rate(f.satisfaction_total.rate)),
            ("群众评价数", f.satisfaction_total.ratings),
            ("新增群众诉求", f.satisfaction_total.cases),
            ("逾期诉求", f.satisfaction_total.overdue_cases),
            ("达标率计算时间", f.run.computed_at.isoformat(timespec="minutes")),
        ],
    )
    return [
        overview,
        _rate_sheet(f, f"{f.period.month.month}月"),
        Sheet(
            "未达标支部",
            ["支部", "组织编码", "上级组织", "未达标事项"],
            ((b.name, b.code, b.parent, "；".join(b.rules)) for b in f.missed),
            widths=(34, 16, 34, 60),
        ),
        Sheet(
            "党费交纳",
            ["组织", "应交人数", "足额交纳", "未足额", "交纳率", "年度欠缴人数"],
            [
                (d.label, d.members, d.paid, d.unpaid, d.rate, d.arrears)
                for d in [*f.dues, f.dues_total]
            ],
            formats={4: PERCENT},
            widths=(34, 10, 10, 10, 10, 14),
        ),
        Sheet(
            "满意度与诉求",
            ["组织", "评价数", "满意数", "满意率", "平均分", "新增诉求", "未办结", "逾期"],
            [
                (
                    s.label,
                    s.ratings,
                    s.satisfied,
                    s.rate,
                    round(s.average, 2) if s.average else None,
                    s.cases,
                    s.open_cases,
                    s.overdue_cases,
                )
                for s in [*f.satisfaction, f.satisfaction_total]
            ],
            formats={3: PERCENT, 4: SCORE},
            widths=(34, 10, 10, 10, 10, 10, 10, 10),
        ),
    ]


def _weekly_sheets(f: WeeklyFigures) -> list[Sheet]:
    month = f.ranking_month
    overview = _overview(
        f,
        [
            ("本周开展组织生活（次）", f.activity_total.meetings),
            ("本周开展组织生活的支部", f.activity_total.active_branches),
            ("支部总数", f.activity_total.branches),
            (f"{f.progress_start.month}月尚未开展组织生活的支部", f.activity_total.idle),
            ("排名月份", f"{month.year}年{month.month}月" if month else "尚未计算"),
            ("达标率", rate(f.total.rate) if f.total else None),
        ],
    )
    month_label = f"{month.month}月" if month else ""
    return [
        overview,
        _rate_sheet(f, month_label),
        Sheet(
            "组织生活开展",
            ["组织", "本周开展（次）", "开展的支部", "支部总数", "本月尚未开展"],
            [
                (a.label, a.meetings, a.active_branches, a.branches, a.idle)
                for a in [*f.activity, f.activity_total]
            ],
            widths=(34, 14, 12, 10, 14),
        ),
        Sheet(
            "尚未开展支部",
            ["支部", "组织编码", "上级组织"],
            ((b.name, b.code, b.parent) for b in f.idle),
            widths=(34, 16, 34),
        ),
    ]


def _card_sheets(f: ReportCardFigures) -> list[Sheet]:
    c = f.own
    lines = []
    if c is not None:
        lines = [
            ("党建得分", c.party_score),
            ("经济社会得分", c.economic_score),
            ("综合得分", c.final_score),
            ("等次", c.grade),
            ("类别", c.standing_label),
            ("软弱涣散", "是" if c.weak_lax else "否"),
            ("述职评议等次", c.review_grade or None),
            ("约谈次数", c.talks),
            ("组内排名", f"{c.group_rank}/{c.group_size}"),
            ("同组", f.peer_label),
            ("全辖排名", c.overall_rank),
            ("上年度全辖排名", c.previous_rank),
            ("名次变化", c.change),
            ("评定依据", "；".join(c.reasons)),
        ]
    else:
        lines = [("说明", "本级未参加本年度考核")]
    return [
        _overview(f, lines),
        Sheet(
            "考核项目得分",
            ["考核项目", "满分", "得分", "计分来源"],
            ((i.indent + i.title, i.max_points, i.score, i.note) for i in f.items),
            formats={1: SCORE, 2: SCORE},
            widths=(40, 10, 10, 20),
        ),
        Sheet(
            "历年成绩",
            ["年度", "综合得分", "等次", "类别", "全辖排名"],
            ((y, s, g, st or "未分类", r) for y, s, g, st, r in f.history),
            formats={1: SCORE},
            widths=(8, 10, 8, 8, 10),
        ),
        Sheet(
            "所辖组织成绩",
            [
                "全辖排名",
                "组织",
                "组织编码",
                "党建得分",
                "经济社会得分",
                "综合得分",
                "等次",
                "类别",
                "软弱涣散",
                "组内排名",
                "组内组织数",
                "上年度排名",
                "名次变化",
                "述职评议等次",
                "约谈次数",
            ],
            (
                (
                    r.overall_rank,
                    r.name,
                    r.code,
                    r.party_score,
                    r.economic_score,
                    r.final_score,
                    r.grade,
                    r.standing_label,
                    "是" if r.weak_lax else "",
                    r.group_rank,
                    r.group_size,
                    r.previous_rank,
                    r.change,
                    r.review_grade or None,
                    r.talks,
                )
                for r in f.rows
            ),
            formats={3: SCORE, 4: SCORE, 5: SCORE},
            widths=(9, 34, 16, 10, 12, 10, 6, 8, 8, 9, 10, 10, 9, 12, 9),
        ),
    ]


def render_xlsx(figures: Figures) -> bytes:
    """The Excel workbook of a bulletin."""
    if isinstance(figures, MonthlyFigures):
        sheets = _monthly_sheets(figures)
    elif isinstance(figures, WeeklyFigures):
        sheets = _weekly_sheets(figures)
    else:
        sheets = _card_sheets(figures)
    return workbook_bytes(sheets)


def render(figures: Figures, generated_at: dt.datetime) -> Documents:
    """Both documents, the title and the summary of a bulletin."""
    return Documents(
        title=title_of(figures),
        summary=summary_of(figures),
        pdf=render_pdf(figures, generated_at),
        xlsx=render_xlsx(figures),
    )
