"""A small county with every kind of figure a bulletin reads, stored the way the engines store
them: compliance branch-years and missed checks rolled up by the engine's own step, dues
through the dues service (which keeps the members' facts), satisfaction rollup rows, meetings
through the ledger service, and assessment records evaluated by the assessment engine.

    R 中共示例县委员会 ─ A 县委机关工委 ─ A1 财政局机关党支部, A2 组织部机关党支部
                     └ T 中共狮山镇委员会 ─ T1…T5 村党支部 (+ `extra` more)
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from dangjian.assessment.engine import evaluate_assessment
from dangjian.assessment.services import RecordInput, save_record
from dangjian.compliance.engine import roll_up_subtrees
from dangjian.compliance.models import BranchYear, ComplianceRun, RuleCheck, SubtreeYear
from dangjian.core.periods import Month
from dangjian.ledger import services as ledger
from dangjian.ledger.facts import ensure_member_years
from dangjian.members import services as member_services
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.orgs.tests.factories import make_org
from dangjian.rating.models import OrgMonth

YEAR = 2025
MONTH = Month(YEAR, 10)
WEEK_MONDAY = dt.date(2025, 10, 13)  # 2025-W42: 13–19 October
ALL = 0b111111111111
OCTOBER = 1 << 9
SEPTEMBER = 1 << 8
VILLAGES = ("新村村党支部", "河口村党支部", "石桥村党支部", "城东村党支部", "狮山村党支部")


def _member(org, name: str):
    return member_services.add_member(
        None, MemberDataFactory(name=name, join_date=dt.date(2010, 7, 1)), org
    )


def build_county(extra: int = 0) -> SimpleNamespace:
    """The county above, with `extra` more village branches under T (to count queries)."""
    root = make_org(None, "党委", "县(市区)", code="R", name="中共示例县委员会")
    a = make_org(root, "党工委", "机关", code="A", name="县委机关工委")
    a1 = make_org(a, "党支部", "机关-政府组成部门", code="A1", name="财政局机关党支部")
    a2 = make_org(a, "党支部", "机关-党群部门", code="A2", name="组织部机关党支部")
    t = make_org(root, "党委", "乡镇", code="T", name="中共狮山镇委员会")
    villages = [
        make_org(t, "党支部", "村", code=f"T{i}", name=name)
        for i, name in enumerate(VILLAGES, start=1)
    ]
    villages += [
        make_org(t, "党支部", "村", code=f"TX{i}", name=f"第{i}村党支部") for i in range(extra)
    ]
    return SimpleNamespace(root=root, a=a, a1=a1, a2=a2, t=t, villages=villages)


def compliance(county: SimpleNamespace) -> ComplianceRun:
    """2025 judged through December. In October A1 and every village met, A2 and T1 missed
    (主题党日); in September A1 missed too (so A moves up from September to October)."""
    met = {county.a1: ALL & ~SEPTEMBER, county.a2: ALL & ~OCTOBER}
    met.update({v: ALL for v in county.villages})
    met[county.villages[0]] = ALL & ~OCTOBER
    arrears = {county.a1: 1, county.villages[1]: 2}
    BranchYear.objects.bulk_create(
        BranchYear(
            year=YEAR,
            organization=org,
            applicable_mask=ALL,
            met_mask=mask,
            dues_arrears=arrears.get(org, 0),
        )
        for org, mask in met.items()
    )
    RuleCheck.objects.bulk_create(
        RuleCheck(
            year=YEAR,
            organization=org,
            rule_code="theme-day",
            rule_label="主题党日 每月≥1次",
            activity_type="主题党日",
            check_month=10,
            first_month=10,
            counted=0,
            required=1,
        )
        for org in (county.a2, county.villages[0])
    )
    SubtreeYear.objects.filter(year=YEAR).delete()
    roll_up_subtrees(YEAR)
    run, _ = ComplianceRun.objects.update_or_create(
        year=YEAR,
        defaults={"judged_through": 12, "computed_at": timezone.now(), "actor_label": "测试"},
    )
    return run


def dues(county: SimpleNamespace) -> None:
    """October 2025: A1 three members, two paid in full; T1 two members, both paid."""
    a1 = [_member(county.a1, f"财政党员{i}") for i in range(3)]
    t1 = [_member(county.villages[0], f"新村党员{i}") for i in range(2)]
    ledger.save_month_dues(
        None,
        county.a1,
        MONTH,
        [
            ledger.DuesEntry(a1[0].pk, 2000, 2000),
            ledger.DuesEntry(a1[1].pk, 2000, 2000),
            ledger.DuesEntry(a1[2].pk, 2000, 1000),
        ],
    )
    ledger.save_month_dues(
        None, county.villages[0], MONTH, [ledger.DuesEntry(m.pk, 500, 500) for m in t1]
    )
    ensure_member_years(YEAR)
    county.members = {"a1": a1, "t1": t1}


def satisfaction(county: SimpleNamespace) -> None:
    """October 2025 rollups: A's subtree 10 ratings (8 satisfied, one case), T's 4 (1
    satisfied, two cases, one overdue), R's own targets 2 ratings, R's subtree the sum."""
    first = MONTH.first_day

    def row(org, subtree, ratings, s4, s5, score_sum, cases=0, open_cases=0, overdue=0):
        OrgMonth.objects.create(
            organization=org,
            subtree=subtree,
            month=first,
            ratings=ratings,
            s4=s4,
            s5=s5,
            s1=ratings - s4 - s5,
            score_sum=score_sum,
            cases=cases,
            open_cases=open_cases,
            overdue_cases=overdue,
        )

    row(county.a, True, 10, 3, 5, 42, 1, 0, 0)
    row(county.t, True, 4, 1, 0, 8, 2, 1, 1)
    row(county.root, False, 2, 0, 2, 10)
    row(county.root, True, 16, 4, 7, 60, 3, 1, 1)


def meetings(county: SimpleNamespace) -> None:
    """Week 2025-W42: A1 holds two meetings, T2 one; T3 held one earlier in October; every
    other branch has none in October. T2 and T3 get a member each (who paid no dues)."""
    people = {county.a1: county.members["a1"]}
    people.update({v: [_member(v, f"{v.name}党员")] for v in county.villages[1:3]})

    def hold(org, day, kind, topic):
        ledger.record_meeting(
            None,
            org,
            ledger.MeetingInput(kind, day, topic),
            [ledger.RollCallEntry(m.pk, "present") for m in people[org]],
        )

    hold(county.a1, WEEK_MONDAY + dt.timedelta(days=1), "主题党日", "学习")
    hold(county.a1, WEEK_MONDAY + dt.timedelta(days=3), "支部委员会", "研究")
    hold(county.villages[1], WEEK_MONDAY + dt.timedelta(days=6), "党课", "党课")
    hold(county.villages[2], dt.date(2025, 10, 2), "主题党日", "国庆")


def assessment(county: SimpleNamespace) -> None:
    """Records of 2024 and 2025 for every branch and for A and T, both years evaluated: the
    five villages form a classified peer group; T3 rises from 5th to 1st among them."""
    scores_2024 = {
        county.a1: "91",
        county.a2: "85",
        county.a: "88",
        county.t: "80",
    }
    village_2024 = ("95", "90", "70", "85", "60")
    village_2025 = ("80", "88", "99", "75", "65")
    for village, s24, s25 in zip(county.villages, village_2024, village_2025, strict=False):
        scores_2024[village] = s24
        save_record(None, village, YEAR, RecordInput(s25, "90", "较好", 0))
    for org, score in scores_2024.items():
        save_record(None, org, YEAR - 1, RecordInput(score, "80", "好", 0))
    save_record(None, county.a1, YEAR, RecordInput("93.5", "88", "好", 1))
    save_record(None, county.a2, YEAR, RecordInput("78", None, "一般", 2))
    save_record(None, county.a, YEAR, RecordInput("90", "90", "好", 0))
    save_record(None, county.t, YEAR, RecordInput("84", "86", "较好", 0))
    for village in county.villages[5:]:
        save_record(None, village, YEAR, RecordInput("70", "70", "一般", 0))
    evaluate_assessment(YEAR - 1)
    evaluate_assessment(YEAR)


def full_county(extra: int = 0) -> SimpleNamespace:
    """The county with compliance, dues, satisfaction, meetings and assessment."""
    county = build_county(extra)
    compliance(county)
    dues(county)
    satisfaction(county)
    meetings(county)
    assessment(county)
    return county
