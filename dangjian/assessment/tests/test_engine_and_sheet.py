"""The 考核得分 sheet, the engine over the whole jurisdiction and the §5 document: final score
(Decimal, half-up), grade with the talks veto, classes per peer group, ranks, stored results,
`manage.py evaluate --json`, and bad rows that change nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from dangjian.assessment.engine import evaluate_assessment
from dangjian.assessment.models import AssessmentRecord, AssessmentResult
from dangjian.assessment.rules import DEFAULT_RULES
from dangjian.assessment.scoring import final_score, grade_of
from dangjian.imports.registry import get_sheet
from dangjian.imports.runner import run_import
from dangjian.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db
YEAR = dt.date.today().year - 1
D = Decimal


def workbook(path, rows):
    book = Workbook()
    book.remove(book.active)
    sheet = book.create_sheet("考核得分")
    sheet.append(list(get_sheet("考核得分").columns))
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def township(tree):
    """Six village branches under T (one peer group of 6) besides T1."""
    return [make_org(tree.t, "党支部", "村", code=f"V{i}", name=f"第{i}村党支部") for i in range(6)]


# --- final score and grade -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("party", "economic", "expected"),
    [
        ("85.25", "90", "87.63"),  # 87.625 half-up
        ("80.01", "80.00", "80.01"),  # 80.005 half-up
        ("80.01", None, "80.01"),  # no economic score: the party score
        ("100", "0", "50.00"),
        ("85.125", "90", "87.56"),  # 87.5625: scores may carry more than two decimals
        ("85.135", "90.005", "87.57"),  # 87.57 exactly
    ],
)
def test_final_score_is_decimal_half_up(party, economic, expected):
    got = final_score(D(party), None if economic is None else D(economic), DEFAULT_RULES)
    assert got == D(expected) and str(got) == expected


@pytest.mark.parametrize(
    ("score", "talks", "grade", "vetoed"),
    [
        ("90.00", 0, "好", False),
        ("89.99", 0, "较好", False),
        ("80.00", 0, "较好", False),
        ("79.99", 0, "一般", False),
        ("70.00", 0, "一般", False),
        ("69.99", 0, "差", False),
        ("95.00", 1, "好", False),
        ("95.00", 2, "较好", True),  # ≥ 2 talks: at most 较好
        ("85.00", 3, "较好", False),  # already 较好: nothing to cap
    ],
)
def test_grade_and_the_talks_cap(score, talks, grade, vetoed):
    got, vetoes = grade_of(D(score), talks, DEFAULT_RULES)
    assert got == grade and bool(vetoes) == vetoed


# --- the sheet -----------------------------------------------------------------------------


def test_sheet_imports_and_reimports_unchanged(tmp_path, tree, township):
    rows = [
        ["V0", YEAR, 91.5, "88", "好", 0],
        ["V1", YEAR, "80", None, "", None],
        ["V2", YEAR, 85.10000000000001, "85.125", "一般", 1],  # Excel float noise, 3 decimals
    ]
    outcome = run_import(workbook(tmp_path / "a.xlsx", rows))
    assert outcome.ok, outcome.issues
    assert outcome.results["考核得分"].created == 3
    v0 = AssessmentRecord.objects.get(organization__code="V0")
    assert (v0.party_score, v0.economic_score, v0.review_grade, v0.talks) == (
        D("91.50"),
        D("88.00"),
        "好",
        0,
    )
    assert AssessmentRecord.objects.get(organization__code="V1").economic_score is None
    v2 = AssessmentRecord.objects.get(organization__code="V2")
    assert (v2.party_score, v2.economic_score) == (D("85.1"), D("85.125"))
    again = run_import(workbook(tmp_path / "b.xlsx", rows))
    assert again.ok and again.results["考核得分"].unchanged == 3
    rows[1][5] = 2
    changed = run_import(workbook(tmp_path / "c.xlsx", rows))
    assert changed.results["考核得分"].updated == 1
    assert AssessmentRecord.objects.get(organization__code="V1").talks == 2


def test_bad_rows_are_all_named_and_nothing_is_written(tmp_path, tree, township):
    rows = [
        ["V0", YEAR, 101, 80, "好", 0],  # score above 100
        ["V1", YEAR, -1, 80, "", 0],  # negative
        ["V2", YEAR, "八十", 80, "", 0],  # not a number
        ["V3", YEAR, "80.12345", 80, "", 0],  # five decimals
        ["V4", YEAR, 80, 80, "优秀", 0],  # unknown grade
        ["V5", YEAR, 80, 80, "", -1],  # negative talks
        ["NOPE", YEAR, 80, 80, "", 0],  # unknown organization
        ["T1", 1999, 80, 80, "", 0],  # year out of range
        ["A1", YEAR, 80, 80, "", 0],
        ["A1", YEAR, 81, 80, "", 0],  # the same organization twice in one year
        ["A2", YEAR, None, 80, "", 0],  # party score missing
    ]
    outcome = run_import(workbook(tmp_path / "bad.xlsx", rows))
    assert not outcome.ok
    named = {(i.row, i.column) for i in outcome.issues}
    assert named == {
        (2, "党建得分"),
        (3, "党建得分"),
        (4, "党建得分"),
        (5, "党建得分"),
        (6, "述职评议等次"),
        (7, "约谈次数"),
        (8, "组织编码"),
        (9, "年度"),
        (11, "年度"),
        (12, "党建得分"),
    }
    assert all(i.sheet == "考核得分" and i.message for i in outcome.issues)
    assert not AssessmentRecord.objects.exists()


# --- the engine ----------------------------------------------------------------------------


def scores(tmp_path, rows):
    outcome = run_import(workbook(tmp_path / "scores.xlsx", rows))
    assert outcome.ok, outcome.issues


def test_engine_classifies_per_peer_group_with_vetoes(tmp_path, tree, township):
    # peer group under T: V0..V5 and T1 (7 organizations): floor(2.1) = 2 先进, ceil(1.4) = 2 后进
    scores(
        tmp_path,
        [
            ["V0", YEAR, 99, 95, "好", 2],  # 97.00, two talks: grade capped, never 先进
            ["V1", YEAR, 96, 94, "好", 0],  # 95.00
            ["V2", YEAR, 90, 92, "较好", 0],  # 91.00
            ["V3", YEAR, 85, 85, "较好", 0],  # 85.00
            ["V4", YEAR, 80, 70, "差", 0],  # 75.00, 差: 后进
            ["V5", YEAR, 60, 70, "一般", 0],  # 65.00
            ["T1", YEAR, 70, None, "", 0],  # 70.00 (no economic score)
            ["A1", YEAR, 88, 88, "好", 0],  # peer group under A: alone, not classified
        ],
    )
    evaluation = evaluate_assessment(YEAR)
    got = {
        r.organization.code: r
        for r in AssessmentResult.objects.filter(year=YEAR).select_related("organization")
    }
    assert {c: (str(r.final_score), r.grade) for c, r in got.items()} == {
        "V0": ("97.00", "较好"),
        "V1": ("95.00", "好"),
        "V2": ("91.00", "好"),
        "V3": ("85.00", "较好"),
        "V4": ("75.00", "一般"),
        "V5": ("65.00", "差"),
        "T1": ("70.00", "一般"),
        "A1": ("88.00", "较好"),
    }
    standing = {c: r.standing for c, r in got.items()}
    assert standing == {
        "V0": "一般",
        "V1": "先进",
        "V2": "先进",
        "V3": "一般",
        "V4": "后进",
        "V5": "后进",
        "T1": "后进",
        "A1": None,
    }
    # 后进 = V5, T1 (the quota of 2 from the bottom) + V4 (差); 软弱涣散: ceil(1.5) = 2
    weak = {c for c, r in got.items() if r.weak_lax}
    assert weak == {"V5", "T1"}
    assert got["A1"].weak_lax is None
    assert {v["code"] for v in got["V0"].vetoes} == {"talks_grade_cap", "talks_no_advanced"}
    assert [r.overall_rank for r in sorted(got.values(), key=lambda r: -r.final_score)] == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
    ]
    assert got["V1"].group_rank == 2 and got["V1"].group_size == 7
    assert any("先进" in reason for reason in got["V1"].reasons)
    assert evaluation.stats["先进"] == 2 and evaluation.stats["软弱涣散"] == 2


def test_what_if_stores_nothing_and_a_rerun_replaces_the_results(tmp_path, tree, township):
    scores(tmp_path, [[f"V{i}", YEAR, 90 - i, 90 - i, "", 0] for i in range(6)])
    evaluate_assessment(YEAR)
    stored = list(AssessmentResult.objects.values_list("organization_id", "standing"))
    what_if = evaluate_assessment(
        YEAR, rules=DEFAULT_RULES.changed(advanced_share=D("0.5")), store=False
    )
    assert sum(o.standing == "先进" for o in what_if.outcomes.values()) == 3
    assert list(AssessmentResult.objects.values_list("organization_id", "standing")) == stored
    evaluate_assessment(YEAR)
    assert AssessmentResult.objects.count() == 6


def test_engine_query_count_does_not_grow_with_organizations(
    tmp_path, tree, township, django_assert_max_num_queries
):
    scores(tmp_path, [[f"V{i}", YEAR, 90 - i, 80, "", 0] for i in range(3)])
    # the engine's reads and writes, and the dashboard rollups of the year (C16: the deepest
    # level, a delete and an insert, in a savepoint)
    with django_assert_max_num_queries(25) as few:
        evaluate_assessment(YEAR)
    extra = [make_org(tree.a, "党支部", "机关", code=f"X{i}", name=f"X{i}") for i in range(12)]
    scores(tmp_path, [[o.code, YEAR, 70 + i, 80, "", 1] for i, o in enumerate(extra)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        evaluate_assessment(YEAR)
    assert AssessmentResult.objects.filter(year=YEAR).count() == 15


def test_evaluate_command_writes_the_score_fields(tmp_path, tree, township):
    scores(
        tmp_path,
        [[f"V{i}", YEAR, 95 - 5 * i, 90, "差" if i == 0 else "", 0] for i in range(6)],
    )
    out = tmp_path / "out.json"
    text = StringIO()
    call_command("evaluate", "--year", str(YEAR), "--json", str(out), stdout=text)
    assert "考核：6 个组织有考核得分" in text.getvalue()
    assert "新建整顿台账 2 个" in text.getvalue()  # V4 and V5: ceil(0.5 × 3 后进)
    document = json.loads(out.read_text(encoding="utf-8"))
    entries = {e["org_code"]: e for e in document["organizations"]}
    v0 = entries["V0"]
    assert v0["party_score"] == 95 and v0["final_score"] == 92.5 and v0["grade"] == "好"
    assert v0["class"] == "后进" and v0["weak_lax"] is False  # 差 review, not the bottom
    assert {v["code"] for v in v0["vetoes"]} == {"review_no_advanced", "review_backward"}
    assert entries["V5"]["class"] == "后进" and entries["V5"]["weak_lax"] is True
    assert entries["V1"]["class"] == "先进"
    unscored = entries["R"]
    assert [unscored[k] for k in ("party_score", "final_score", "grade", "class")] == [None] * 4
    assert unscored["weak_lax"] is None and unscored["vetoes"] == []


@pytest.mark.parametrize("value", [1e30, "1e30", "-1e30", 100.00001, "NaN", "Infinity"])
def test_huge_or_odd_scores_are_refused_in_chinese(value):
    from dangjian.assessment.validation import clean_score
    from dangjian.core.errors import BusinessError

    with pytest.raises(BusinessError, match="党建得分"):
        clean_score(value, "党建得分")
