"""The figures of each bulletin on a small county whose every number is known (factories.py),
and the number of queries each costs: the same for 7 branches and for 27."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.errors import BusinessError
from dangjian.core.periods import Month
from dangjian.reports import figures
from dangjian.reports.periods import month_period, week_of, year_period
from dangjian.reports.tests import factories as f

TODAY = dt.date(2026, 1, 5)
OCTOBER = month_period(f.MONTH)
WEEK = week_of(f.WEEK_MONDAY)
YEAR = year_period(f.YEAR)


@pytest.fixture
def county(db):
    return f.full_county()


# --- 月通报 -----------------------------------------------------------------------------------


def test_monthly_compliance_and_ranking(county):
    found = figures.monthly_figures(county.root, OCTOBER, TODAY)

    # October: A2 and T1 missed, the other five of seven branches met
    assert (found.total.month.compliant, found.total.month.applicable) == (5, 7)
    assert (found.total.previous.compliant, found.total.previous.applicable) == (6, 7)
    assert found.total.year_to_date.applicable == 70
    assert [(r.name, r.rank, r.rate) for r in found.children] == [
        ("中共狮山镇委员会", 1, 0.8),
        ("县委机关工委", 2, 0.5),
    ]
    assert found.trend[:10] == [100.0] * 8 + [85.7, 71.4] and found.trend[10:] == [None, None]
    assert found.missed_total == 2 and found.missed_more == 0
    assert [(b.name, b.parent, b.rules) for b in found.missed] == [
        ("组织部机关党支部", "县委机关工委", ["主题党日 每月≥1次"]),
        ("新村村党支部", "中共狮山镇委员会", ["主题党日 每月≥1次"]),
    ]


def test_monthly_rank_change_against_the_month_before(county):
    found = figures.monthly_figures(county.t, OCTOBER, TODAY)

    rows = {r.name: r for r in found.children}
    # September: all five villages met (tied first); October: 新村 missed
    assert (rows["新村村党支部"].previous_rank, rows["新村村党支部"].rank) == (1, 5)
    assert rows["新村村党支部"].change == "↓4"
    assert rows["石桥村党支部"].change == "持平"
    assert found.children[-1].name == "新村村党支部"


def test_january_compares_with_december_of_the_year_before(county):
    found = figures.monthly_figures(county.root, month_period(Month(f.YEAR, 1)), TODAY)
    assert found.total.previous is None  # 2024 was never judged
    assert all(r.previous_rank is None and r.change == "新" for r in found.children)


def test_monthly_dues_per_child_and_arrears(county):
    found = figures.monthly_figures(county.root, OCTOBER, TODAY)

    assert [(d.label, d.members, d.paid, d.arrears) for d in found.dues] == [
        ("县委机关工委", 3, 2, 1),
        ("中共狮山镇委员会", 4, 2, 2),
    ]
    assert (found.dues_total.members, found.dues_total.paid, found.dues_total.arrears) == (7, 4, 3)
    assert found.dues_total.rate == pytest.approx(4 / 7)


def test_members_count_from_the_month_after_joining(county):
    late = f._member(county.a1, "十月入党")
    type(late).objects.filter(pk=late.pk).update(join_date=dt.date(2025, 10, 1))
    found = figures.monthly_figures(county.root, OCTOBER, TODAY)
    assert found.dues[0].members == 3  # joined in October: counts from November


def test_monthly_satisfaction_and_cases(county):
    found = figures.monthly_figures(county.root, OCTOBER, TODAY)

    assert [(s.label, s.ratings, s.satisfied, s.cases) for s in found.satisfaction] == [
        ("本级", 2, 2, 0),
        ("县委机关工委", 10, 8, 1),
        ("中共狮山镇委员会", 4, 1, 2),
    ]
    total = found.satisfaction_total
    assert (total.ratings, total.satisfied, total.cases, total.overdue_cases) == (16, 11, 3, 1)
    assert total.rate == pytest.approx(11 / 16) and total.average == pytest.approx(60 / 16)


def test_a_branch_has_its_own_figures_only(county):
    found = figures.monthly_figures(county.a1, OCTOBER, TODAY)
    assert found.children == [] and found.total.rate == 1.0
    assert [(d.label, d.members, d.paid) for d in found.dues] == [("本级", 3, 2)]


def test_a_month_not_judged_is_refused(county):
    with pytest.raises(BusinessError) as caught:
        figures.monthly_figures(county.root, month_period(Month(2026, 10)), TODAY)
    assert "尚未计算" in caught.value.message


# --- 周通报 -----------------------------------------------------------------------------------


def test_weekly_ranks_the_last_ended_month_and_counts_the_week(county):
    found = figures.weekly_figures(county.root, WEEK, TODAY)

    assert found.ranking_month == Month(f.YEAR, 9)  # the week ends on 19 October
    assert [(r.name, r.rate) for r in found.children] == [
        ("中共狮山镇委员会", 1.0),
        ("县委机关工委", 0.5),
    ]
    assert [
        (a.label, a.meetings, a.active_branches, a.branches, a.idle) for a in found.activity
    ] == [
        ("县委机关工委", 2, 1, 2, 1),
        ("中共狮山镇委员会", 1, 1, 5, 3),
    ]
    assert (found.progress_start, found.progress_end) == (dt.date(2025, 10, 1), WEEK.end)
    assert [b.name for b in found.idle] == [
        "组织部机关党支部",
        "新村村党支部",
        "城东村党支部",
        "狮山村党支部",
    ]


def test_a_week_ending_on_the_last_day_ranks_that_month(county):
    found = figures.weekly_figures(county.root, week_of(dt.date(2025, 8, 31)), TODAY)
    assert found.ranking_month == Month(f.YEAR, 8)


def test_weekly_without_any_evaluation_still_counts_meetings(county):
    found = figures.weekly_figures(county.root, week_of(dt.date(2026, 2, 10)), TODAY)
    assert found.run is None and found.children == [] and found.ranking_month is None
    assert found.activity_total.branches == 7


# --- 成绩单 -----------------------------------------------------------------------------------


def test_report_card_of_a_village(county):
    village = county.villages[2]  # 石桥村: 5th of the villages in 2024, 1st in 2025
    found = figures.report_card_figures(village, YEAR, TODAY)

    card = found.own
    assert (card.final_score, card.grade, card.standing) == (Decimal("94.50"), "好", "先进")
    assert (card.group_rank, card.group_size) == (1, 5)
    assert card.previous_rank - card.overall_rank == int(card.change.lstrip("↑"))
    assert card.review_grade == "较好" and card.talks == 0
    assert found.peer_label == "中共狮山镇委员会"
    assert [y for y, *_ in found.history] == [2024, 2025]
    assert found.rows == [] and found.rows_total == 0
    assert "综合得分 = 0.5 × 党建得分 99" in card.reasons[0]


def test_report_card_of_a_township_lists_its_villages(county):
    found = figures.report_card_figures(county.t, YEAR, TODAY)

    assert found.own.standing is None  # two organizations share T's parent: not classified
    assert [r.name for r in found.rows] == [
        "石桥村党支部",
        "河口村党支部",
        "新村村党支部",
        "城东村党支部",
        "狮山村党支部",
    ]
    assert [r.standing_label for r in found.rows] == ["先进", "一般", "一般", "一般", "后进"]
    assert found.rows[-1].weak_lax is True
    assert found.rows[2].change == "↓4"  # 新村: 1st overall in 2024
    assert found.classes["total"] == 6 and found.rows_total == 5
    assert found.grades == {"好": 1, "较好": 4, "一般": 1, "差": 0}
    assert [r.name for r in found.child_rows] == [r.name for r in found.rows]


def test_report_card_of_an_organization_without_its_own_record(county):
    found = figures.report_card_figures(county.root, YEAR, TODAY)
    assert found.own is None and found.rows_total == found.classes["total"] == 9


def test_a_year_not_evaluated_is_refused(county):
    with pytest.raises(BusinessError) as caught:
        figures.report_card_figures(county.root, year_period(2026), TODAY)
    assert "尚未进行考核评价" in caught.value.message


def test_report_card_items_come_from_the_published_scheme(db):
    from dangjian.schemes.tests.factories import make_scheme

    county = f.full_county()
    scheme = make_scheme(year=f.YEAR, name="村级考核方案")
    found = figures.report_card_figures(county.villages[0], YEAR, TODAY)
    titles = [i.title for i in found.items]
    assert found.scheme_name == str(scheme.scheme)
    assert titles and titles[-1] == "党建得分（按方案计算）"
    assert any(i.depth > 0 for i in found.items)


# --- queries ----------------------------------------------------------------------------------


def _queries(func, *args) -> int:
    with CaptureQueriesContext(connection) as captured:
        func(*args)
    return len(captured)


# monthly: compliance run; children; subtree rows (SubtreeYear, BranchYear of leaves); dues
# facts and arrears (two GROUP BYs); satisfaction rows; missed branches and their rule checks;
# rectification ledgers by state and overdue problems (the tree counts are read with the org)
MONTHLY_QUERIES = 11
# weekly: compliance run; children; subtree rows (two); the week's meetings per child;
# branches per child with EXISTS; idle branches by name
WEEKLY_QUERIES = 7
# report card: assessment run; own card; peer-group label; published scheme; the subtree's
# cards; class counts; grade counts; history
CARD_QUERIES = 8


@pytest.mark.parametrize("extra", [0, 20])
def test_queries_do_not_grow_with_the_subtree(db, extra):
    county = f.full_county(extra)
    assert _queries(figures.monthly_figures, county.t, OCTOBER, TODAY) == MONTHLY_QUERIES
    assert _queries(figures.weekly_figures, county.t, WEEK, TODAY) == WEEKLY_QUERIES
    assert _queries(figures.report_card_figures, county.t, YEAR, TODAY) == CARD_QUERIES
