"""A bulletin's documents: the PDF reads back with the Chinese organization names (the Noto CJK
font embedded, no missing glyphs) and its charts; the Excel workbook holds the same figures,
rates as percentages."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from dangjian.core.testing import embedded_fonts, pdf_pages, pdf_text
from dangjian.reports import charts, documents, figures
from dangjian.reports.periods import month_period, week_of, year_period
from dangjian.reports.tests import factories as f

TODAY = dt.date(2026, 1, 5)
AT = timezone.make_aware(dt.datetime(2026, 1, 5, 9, 30))


@pytest.fixture
def county(db):
    return f.full_county()


def _cjk_embedded(pdf: bytes) -> bool:
    return any("NotoSansCJK" in name.replace("-", "") for name in embedded_fonts(pdf))


def _sheets(xlsx: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(xlsx))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book}


def test_monthly_pdf_reads_back_in_chinese(county):
    found = figures.monthly_figures(county.root, month_period(f.MONTH), TODAY)
    pdf = documents.render_pdf(found, AT)

    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF") and _cjk_embedded(pdf)
    assert "党建工作月通报" in text and "2025年10月" in text
    for name in ("中共示例县委员会", "县委机关工委", "中共狮山镇委员会", "组织部机关党支部"):
        assert name in text, name
    assert "2025年10月各组织达标率" in text  # the bar chart's title (SVG text)
    assert "2025年各月达标率走势" in text  # the trend line's
    assert "生成于 2026年1月5日 09:30" in text
    assert "\ufffd" not in text  # no glyph went missing


def test_weekly_and_report_card_pdfs(county):
    weekly = documents.render_pdf(
        figures.weekly_figures(county.root, week_of(f.WEEK_MONDAY), TODAY), AT
    )
    card = documents.render_pdf(
        figures.report_card_figures(county.t, year_period(f.YEAR), TODAY), AT
    )

    text = pdf_text(weekly)
    assert _cjk_embedded(weekly)
    assert "组织生活周通报" in text and "2025年第42周（10月13日—10月19日）" in text
    assert "城东村党支部" in text and "10月尚未开展组织生活的支部（4 个）" in text
    text = pdf_text(card)
    assert _cjk_embedded(card)
    assert "年度考核成绩单" in text and "中共狮山镇委员会" in text
    for name in ("石桥村党支部", "狮山村党支部"):
        assert name in text
    assert "后进·软弱涣散" in text and "↓4" in text
    assert "历年综合得分" in text and "直属下级组织综合得分" in text


def test_a_long_list_breaks_onto_more_a4_pages(db):
    county = f.full_county(extra=60)
    found = figures.report_card_figures(county.root, year_period(f.YEAR), TODAY)
    pages = pdf_pages(documents.render_pdf(found, AT))
    assert len(pages) >= 2
    assert "第 1 页 / 共" in pages[0]
    assert "第59村党支部" not in pages[0] and "第59村党支部" in "".join(pages)


def test_monthly_workbook(county):
    found = figures.monthly_figures(county.root, month_period(f.MONTH), TODAY)
    sheets = _sheets(documents.render_xlsx(found))

    assert list(sheets) == ["概况", "达标率排名", "未达标支部", "党费交纳", "满意度与诉求"]
    overview = dict(sheets["概况"][1:])
    assert overview["组织"] == "中共示例县委员会" and overview["期间"] == "2025年10月"
    assert overview["组织生活达标率"] == pytest.approx(5 / 7)
    assert overview["未达标支部数"] == 2
    ranking = sheets["达标率排名"]
    assert ranking[0][:3] == ("排名", "组织", "组织编码")
    assert ranking[1][:6] == (1, "中共狮山镇委员会", "T", 4, 5, 0.8)
    assert sheets["未达标支部"][1] == (
        "组织部机关党支部",
        "A2",
        "县委机关工委",
        "主题党日 每月≥1次",
    )
    assert sheets["党费交纳"][-1] == ("合计", 7, 4, 3, pytest.approx(4 / 7), 3)
    assert sheets["满意度与诉求"][-1][:4] == ("合计", 16, 11, pytest.approx(11 / 16))


def test_rates_are_excel_percentages(county):
    found = figures.monthly_figures(county.root, month_period(f.MONTH), TODAY)
    book = load_workbook(io.BytesIO(documents.render_xlsx(found)))
    ranking = book["达标率排名"]
    assert ranking["F2"].number_format == "0.0%" and ranking["D2"].number_format == "General"
    overview = {row[0].value: row[1] for row in book["概况"].iter_rows(min_row=2)}
    assert overview["组织生活达标率"].number_format == "0.0%"
    assert overview["未达标支部数"].number_format == "General"


def test_report_card_workbook(county):
    found = figures.report_card_figures(county.t, year_period(f.YEAR), TODAY)
    sheets = _sheets(documents.render_xlsx(found))

    overview = dict(sheets["概况"][1:])
    assert overview["综合得分"] == 85 and overview["等次"] == "较好"
    assert overview["类别"] == "未分类" and overview["名次变化"] == "↑2"
    rows = sheets["所辖组织成绩"]
    assert rows[1][:8] == (1, "石桥村党支部", "T3", 99, 90, 94.5, "好", "先进")
    assert [r[12] for r in rows[1:]] == ["↑7", "↓1", "↓4", "↓2", "持平"]
    assert sheets["历年成绩"][1:] == [
        (2024, 80, "较好", "未分类", 7),
        (2025, 85, "较好", "未分类", 5),
    ]


def test_summaries_for_the_archive(county):
    monthly = figures.monthly_figures(county.root, month_period(f.MONTH), TODAY)
    card = figures.report_card_figures(county.villages[2], year_period(f.YEAR), TODAY)
    assert documents.summary_of(monthly)["达标率"] == 71.4
    assert documents.summary_of(card)["类别"] == "先进"
    assert documents.title_of(monthly) == "中共示例县委员会 2025年10月 党建工作月通报"


def test_chart_text_is_escaped():
    svg = charts.bar_chart([("<b>&某党支部</b>", 50.0), ("无数据", None)], title="A&B")
    assert "<b>" not in svg and "&lt;b&gt;&amp;某党支部" in svg
    assert "—" in svg and "<title>A&amp;B</title>" in svg
    assert charts.bar_chart([], title="空") is None
    assert charts.line_chart([("1月", None)], title="空") is None


def test_line_chart_axis_hugs_the_values():
    assert charts.axis([98.4, 99.8], 0, 100) == (95.0, 100.0)
    assert charts.axis([60.0, 95.0], 0, 100) == (40.0, 100.0)
    assert charts.axis([0.0, 0.0], 0, 100) == (0.0, 5.0)
