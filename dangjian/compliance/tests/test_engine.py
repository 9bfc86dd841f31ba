"""The compliance engine against SPEC §6: named edge cases, then any data (hypothesis) against
the literal reference in reference.py, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.compliance.engine import evaluate_year, judgement_window, plan_checks
from dangjian.compliance.models import BranchYear, MemberWarning, RuleCheck
from dangjian.compliance.rules import rules_for_year
from dangjian.compliance.tests import reference as ref
from dangjian.compliance.tests.data import load
from dangjian.core.errors import BusinessError
from dangjian.evaluation.report import organization_entries, subtree_entries

YEAR = 2025
AFTER = dt.date(2026, 1, 15)  # the whole of YEAR is judged


def d(month: int, day: int = 10, year: int = YEAR) -> dt.date:
    return dt.date(year, month, day)


def full_year(org: str, expected: int = 10, present: int = 8, committee: bool = True):
    """Sessions that meet every default rule in every month."""
    sessions = []
    for m in range(1, 13):
        sessions.append(ref.Session(org, "主题党日", d(m), expected, present))
        if committee:
            sessions.append(ref.Session(org, "支部委员会", d(m, 11), 5, 5))
        if m % 3 == 1:
            sessions.append(ref.Session(org, "支部党员大会", d(m, 12), expected, present))
            sessions.append(ref.Session(org, "党课", d(m, 13), expected, present))
    sessions.append(ref.Session(org, "组织生活会", d(12, 20), expected, present))
    sessions.append(ref.Session(org, "民主评议党员", d(12, 21), expected, present))
    return sessions


LONG_AGO = dt.date(2010, 1, 1)


def people_of(org: str, formal: int, probationary: int = 0, start: int = 0, joined=LONG_AGO):
    return [ref.Person(start + i, org, "正式", joined) for i in range(formal)] + [
        ref.Person(start + formal + i, org, "预备", joined) for i in range(probationary)
    ]


TREE = [
    ref.Org("R", None, "党委"),
    ref.Org("A", "R", "党总支"),
    ref.Org("B1", "A", "党支部"),
    ref.Org("B2", "A", "党支部"),
    ref.Org("B3", "R", "党支部"),
    ref.Org("TMP", "R", "临时党支部"),
]


def evaluate(orgs, people, sessions, payments=None):
    load(orgs, people, sessions, payments or {}, YEAR)
    evaluate_year(YEAR, today=AFTER)
    entries = {e["org_code"]: e for e in organization_entries(YEAR)}
    rates = {e["org_code"]: e["compliance_rate"] for e in subtree_entries(YEAR)}
    return entries, rates


@pytest.mark.django_db
def test_full_compliance_and_rates():
    people = people_of("B1", 7) + people_of("B2", 3, start=100) + people_of("B3", 8, start=200)
    sessions = full_year("B1") + full_year("B2", committee=False) + full_year("B3")
    sessions = [
        s
        for s in sessions
        if not (s.org == "B3" and s.activity_type == "主题党日" and s.held_on.month == 5)
    ]
    entries, rates = evaluate(TREE, people, sessions)
    assert entries["B1"]["compliance"] == [True] * 12
    assert entries["B2"]["compliance"] == [True] * 12  # 3 formal members: no committee rule
    assert entries["B3"]["compliance"][4] is False
    assert entries["B3"]["rules_missed"] == [
        {
            "rule": "主题党日 每月≥1次",
            "activity_type": "主题党日",
            "month": 5,
            "first_month": 5,
            "counted": 0,
            "required": 1,
        }
    ]
    assert entries["R"]["compliance"] == [None] * 12  # a 党委 has no rule
    assert entries["TMP"]["compliance"] == [None] * 12  # default rules name 党支部 only
    assert rates["A"] == [1.0] * 12
    assert rates["R"][4] == pytest.approx(2 / 3)
    assert rates["TMP"] == [None] * 12


@pytest.mark.django_db
def test_committee_rule_starts_at_exactly_seven_formal_members():
    people = (
        people_of("B1", 7)  # exactly 7: needs a 支部委员会 every month
        + people_of("B2", 6, probationary=3, start=100)  # 6 formal + 3 probationary: does not
    )
    sessions = full_year("B1", committee=False) + full_year("B2", committee=False)
    entries, _ = evaluate(TREE, people, sessions)
    assert entries["B1"]["compliance"] == [False] * 12
    assert {m["activity_type"] for m in entries["B1"]["rules_missed"]} == {"支部委员会"}
    assert entries["B2"]["compliance"] == [True] * 12


@pytest.mark.django_db
def test_quorum_is_more_than_half():
    sessions = full_year("B1", committee=False)
    # March's 主题党日 exactly at half does not count; April's one over half does
    sessions = [
        s for s in sessions if not (s.activity_type == "主题党日" and s.held_on.month in (3, 4))
    ]
    sessions += [
        ref.Session("B1", "主题党日", d(3), 10, 5),
        ref.Session("B1", "主题党日", d(4), 9, 5),
    ]
    entries, _ = evaluate(TREE, people_of("B1", 5), sessions)
    assert entries["B1"]["compliance"][2] is False
    assert entries["B1"]["compliance"][3] is True


@pytest.mark.django_db
def test_previous_year_meetings_do_not_count_and_quarters_and_years_close_late():
    sessions = [s for s in full_year("B1", committee=False) if s.activity_type != "党课"]
    sessions.append(ref.Session("B1", "党课", d(12, 28, YEAR - 1), 10, 8))  # last year
    sessions.append(ref.Session("B1", "党课", d(5), 10, 8))  # Q2 only
    sessions = [s for s in sessions if s.activity_type != "民主评议党员"]
    entries, _ = evaluate(TREE, people_of("B1", 5), sessions)
    compliance = entries["B1"]["compliance"]
    # Q1: no 党课 → March missed; Q2 met; Q3, Q4 missed; December also lacks 民主评议党员
    assert compliance == [True, True, False, True, True, True, True, True, False, True, True, False]
    december = {m["activity_type"] for m in entries["B1"]["rules_missed"] if m["month"] == 12}
    assert december == {"党课", "民主评议党员"}


@pytest.mark.django_db
def test_dues_arrears_runs_of_five_and_six_partial_payments_and_join_date():
    people = [
        ref.Person(1, "B1", "正式", d(1, 1, 2010)),  # unpaid Jan–Jun (6): arrears
        ref.Person(2, "B1", "正式", d(1, 1, 2010)),  # unpaid Feb–Jun (5): not
        ref.Person(3, "B1", "正式", d(1, 1, 2010)),  # partial Jul–Dec (6): arrears
        ref.Person(4, "B1", "预备", d(6, 15)),  # joined June: owes from July, pays nothing: 6
        ref.Person(5, "B1", "预备", d(7, 1)),  # joined July 1: owes from August: 5, not
        ref.Person(6, "B2", "正式", d(1, 1, 2010)),  # pays every month in full
    ]
    payments = {}
    for m in range(1, 13):
        if m > 6:
            payments[(1, m)] = (1000, 1000)
        if m == 1 or m > 6:
            payments[(2, m)] = (1000, 1000)
        payments[(3, m)] = (1000, 999 if m >= 7 else 1000)
        payments[(6, m)] = (500, 500)
    sessions = full_year("B1", committee=False) + full_year("B2", committee=False)
    entries, _ = evaluate(TREE, people, sessions, payments)
    assert entries["B1"]["dues_arrears"] == 3
    assert entries["B2"]["dues_arrears"] == 0
    assert entries["A"]["dues_arrears"] == 0  # its own members only, not its subtree's
    runs = dict(MemberWarning.objects.filter(kind="dues").values_list("member__name", "run_length"))
    assert runs == {"党员1": 6, "党员3": 6, "党员4": 6}


@pytest.mark.django_db
def test_current_year_judges_closed_months_and_lists_what_is_still_owed():
    load(TREE, people_of("B1", 5), [ref.Session("B1", "主题党日", d(1, 5, 2026), 5, 5)], {}, 2026)
    result = evaluate_year(2026, today=dt.date(2026, 2, 10))
    assert result.window.judged_through == 1 and result.window.current == 2
    row = BranchYear.objects.get(year=2026, organization__code="B1")
    assert row.months == [True] + [None] * 11
    owed = set(
        RuleCheck.objects.filter(year=2026, pending=True).values_list("rule_code", "check_month")
    )
    assert owed == {
        ("theme_day_monthly", 2),
        ("general_meeting_quarterly", 3),
        ("lecture_quarterly", 3),
        ("life_meeting_yearly", 12),
        ("member_review_yearly", 12),
    }


def test_future_year_cannot_be_evaluated():
    with pytest.raises(BusinessError):
        judgement_window(2027, dt.date(2026, 11, 24))


def test_checks_of_a_past_year_cover_every_rule_period():
    from dangjian.compliance.engine import Window
    from dangjian.compliance.rules import DEFAULT_RULES, RuleSpec

    specs = [
        RuleSpec(code, str(kind), str(kind), period, 1, ("党支部",), formal, 50)
        for code, kind, period, formal in DEFAULT_RULES
    ]
    checks = plan_checks(specs, Window(2025, 12, None))
    assert len(checks) == 12 + 12 + 4 + 4 + 1 + 1
    assert not any(c.pending for c in checks)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_tree():
    def run(branches: int) -> int:
        orgs = [ref.Org("R", None, "党委")] + [
            ref.Org(f"B{i}", "R", "党支部") for i in range(branches)
        ]
        with transaction.atomic():
            load(
                orgs,
                [],
                [s for i in range(branches) for s in full_year(f"B{i}", committee=False)[:3]],
                {},
                YEAR,
            )
            with CaptureQueriesContext(connection) as ctx:
                evaluate_year(YEAR, today=AFTER)
            transaction.set_rollback(True)
        return len(ctx.captured_queries)

    assert run(3) == run(12)


def _rounded(rates):
    return {c: [None if r is None else round(r, 9) for r in row] for c, row in rates.items()}


# --- any data ------------------------------------------------------------------------------

ORG_TYPES = st.sampled_from(["党支部", "党支部", "党支部", "党总支", "临时党支部"])
KINDS = st.sampled_from(
    ["支部委员会", "主题党日", "支部党员大会", "党课", "组织生活会", "民主评议党员", "党小组会"]
)


@st.composite
def jurisdictions(draw):
    n = draw(st.integers(2, 6))
    orgs = [ref.Org("R", None, "党委")]
    for i in range(n):
        parent = draw(st.sampled_from([o.code for o in orgs if o.org_type != "党支部"]))
        orgs.append(ref.Org(f"O{i}", parent, draw(ORG_TYPES)))
    branches = [o.code for o in orgs if o.org_type in ("党支部", "临时党支部")]
    people, key = [], 0
    for code in branches:
        for _ in range(draw(st.integers(0, 9))):
            joined = draw(st.dates(dt.date(YEAR - 1, 6, 1), dt.date(YEAR, 12, 31)))
            people.append(
                ref.Person(key, code, draw(st.sampled_from(["正式", "正式", "预备"])), joined)
            )
            key += 1
    sessions = []
    for code in branches:
        for _ in range(draw(st.integers(0, 25))):
            expected = draw(st.integers(1, 12))
            sessions.append(
                ref.Session(
                    code,
                    draw(KINDS),
                    draw(st.dates(dt.date(YEAR - 1, 12, 1), dt.date(YEAR, 12, 31))),
                    expected,
                    draw(st.integers(0, expected)),
                )
            )
    payments = {}
    for p in people:
        for m in range(1, 13):
            choice = draw(st.integers(0, 3))
            if choice:
                payments[(p.key, m)] = (1000, 1000 if choice < 3 else draw(st.integers(0, 1000)))
    return orgs, people, sessions, payments


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=jurisdictions())
def test_engine_agrees_with_the_reference_on_any_data(data):
    orgs, people, sessions, payments = data
    with transaction.atomic():
        load(orgs, people, sessions, payments, YEAR)
        evaluate_year(YEAR, today=AFTER)
        entries = {e["org_code"]: e for e in organization_entries(YEAR)}
        rates = {e["org_code"]: e["compliance_rate"] for e in subtree_entries(YEAR)}
        transaction.set_rollback(True)
    expected = ref.compliance(orgs, people, sessions, YEAR)
    assert {c: e["compliance"] for c, e in entries.items()} == expected
    assert _rounded(rates) == _rounded(ref.subtree_rates(orgs, expected))
    assert {c: e["dues_arrears"] for c, e in entries.items()} == ref.dues_arrears(
        orgs, people, payments, YEAR
    )


def test_default_rules_are_installed(db):
    assert [r.code for r in rules_for_year(YEAR)] == [
        "committee_monthly",
        "theme_day_monthly",
        "general_meeting_quarterly",
        "lecture_quarterly",
        "life_meeting_yearly",
        "member_review_yearly",
    ]


@pytest.mark.django_db
def test_exempt_months_are_not_judged():
    from django.utils import timezone

    from dangjian.compliance.models import Exemption

    made = load(TREE, people_of("B1", 7), full_year("B1", committee=False), {}, YEAR)
    now = timezone.now()
    Exemption.objects.create(
        organization=made["B1"],
        rule_code="",
        first_month=d(3, 1),
        last_month=d(4, 1),
        reason="整建制撤并",
        created_by="x",
        created_at=now,
    )
    Exemption.objects.create(
        organization=made["B1"],
        rule_code="committee_monthly",
        first_month=d(5, 1),
        last_month=d(12, 1),
        reason="支委会改选期间",
        created_by="x",
        created_at=now,
    )
    evaluate_year(YEAR, today=AFTER)
    months = BranchYear.objects.get(year=YEAR, organization=made["B1"]).months
    # Jan–Feb: the committee rule applies and no 支部委员会 was held; Mar–Apr exempt from
    # everything; May–Dec exempt from the committee rule only, so the rest is met
    assert months == [False, False, None, None] + [True] * 8
