"""Scheduled reminders of C2 (SPEC): 日提醒 what each branch still owes this month/quarter/year,
周通报 ranking subtrees by 达标率, 月约谈 branches that missed three or more months in a row.

Each builds notices for the organizations that have accounts (bulk-written, a fixed number of
queries); officers see the same lists, live and exportable, on the reminders page.
"""

from __future__ import annotations

import bisect
import datetime as dt

from django.urls import reverse

from dangjian.compliance.engine import evaluate_year
from dangjian.compliance.models import BranchYear, RuleCheck
from dangjian.compliance.selectors import consecutive_missed, latest_run
from dangjian.notices.models import Notice, NoticeKind
from dangjian.notices.services import addressed_scopes, send
from dangjian.orgs.choices import BRANCH_TYPES

LAGGARD_MONTHS = 3


def _in_subtree(sorted_paths: list[str], prefix: str) -> tuple[int, int]:
    lo = bisect.bisect_left(sorted_paths, prefix)
    hi = bisect.bisect_left(sorted_paths, prefix + "\uffff")
    return lo, hi


def daily_reminders(today: dt.date) -> int:
    """Refresh this year's results, then tell each branch what it still owes and each
    committee how many of its branches still owe something."""
    evaluate_year(today.year, today=today)
    owed: dict[int, list[str]] = {}
    owing_paths = set()
    for org_id, path, label, counted, required in RuleCheck.objects.filter(
        year=today.year, pending=True
    ).values_list("organization_id", "organization__path", "rule_label", "counted", "required"):
        owed.setdefault(org_id, []).append(f"{label}（已开{counted}次，需{required}次）")
        owing_paths.add(path)
    owing_paths = sorted(owing_paths)
    link = reverse("compliance:reminders")
    notices = []
    for org_id, path, org_type in addressed_scopes():
        if org_type in BRANCH_TYPES:
            if org_id in owed:
                notices.append(
                    Notice(
                        organization_id=org_id,
                        kind=NoticeKind.DAILY,
                        title=f"{today:%m月%d日}提醒：本期组织生活尚未完成 {len(owed[org_id])} 项",
                        body="；".join(owed[org_id]),
                        link=link,
                    )
                )
            continue
        lo, hi = _in_subtree(owing_paths, path)
        if hi > lo:
            notices.append(
                Notice(
                    organization_id=org_id,
                    kind=NoticeKind.DAILY,
                    title=f"{today:%m月%d日}提醒：辖区 {hi - lo} 个支部本期组织生活尚未完成",
                    body="请督促相关支部按期开展组织生活，明细见“提醒与通报”。",
                    link=link,
                )
            )
    return send(notices)


def weekly_bulletin(today: dt.date) -> int:
    """Each committee with an account gets its children ranked by 达标率 of the last judged
    month."""
    from dangjian.compliance.selectors import subtree_years
    from dangjian.orgs.models import Organization

    run = latest_run(today.year)
    if run is None or run.judged_through < 1:
        run = latest_run(today.year - 1)
    if run is None:
        return 0
    month = run.judged_through
    scopes = {i: (p, t) for i, p, t in addressed_scopes() if t not in BRANCH_TYPES}
    children: dict[int, list[tuple[str, int, int]]] = {}
    below = Organization.objects.filter(parent_id__in=list(scopes)).only("parent", "name")
    below = {o.pk: o for o in below}
    for org_id, row in subtree_years(run.year, below).items():
        counts = row.month(month)
        if counts:
            children.setdefault(below[org_id].parent_id, []).append(
                (below[org_id].name, counts.applicable, counts.compliant)
            )
    link = reverse("compliance:reminders") + "?tab=weekly"
    notices = []
    for org_id, ranked in children.items():
        ranked.sort(key=lambda r: (-r[2] / r[1], r[0]))
        lines = [f"{n}. {name} {c / a:.1%}（{c}/{a}）" for n, (name, a, c) in enumerate(ranked, 1)]
        notices.append(
            Notice(
                organization_id=org_id,
                kind=NoticeKind.WEEKLY,
                title=f"周通报：{run.year}年{month}月组织生活达标率排名",
                body="\n".join(lines),
                link=link,
            )
        )
    return send(notices)


def monthly_talks(today: dt.date) -> int:
    """Each committee with an account gets the branches of its subtree that missed three or
    more months in a row this year (约谈名单)."""
    run = latest_run(today.year)
    year = today.year if run and run.judged_through >= LAGGARD_MONTHS else today.year - 1
    laggards = []
    for path, name, applicable, met in BranchYear.objects.filter(year=year).values_list(
        "organization__path", "organization__name", "applicable_mask", "met_mask"
    ):
        length = consecutive_missed(applicable & ~met, LAGGARD_MONTHS)
        if length:
            laggards.append((path, name, length))
    laggards.sort()
    paths = [row[0] for row in laggards]
    link = reverse("compliance:reminders") + "?tab=monthly"
    notices = []
    for org_id, path, org_type in addressed_scopes():
        if org_type in BRANCH_TYPES:
            continue
        lo, hi = _in_subtree(paths, path)
        if hi > lo:
            names = "、".join(f"{name}（连续{n}个月）" for _p, name, n in laggards[lo:hi][:50])
            more = f" 等{hi - lo}个支部" if hi - lo > 50 else ""
            notices.append(
                Notice(
                    organization_id=org_id,
                    kind=NoticeKind.MONTHLY,
                    title=(
                        f"月约谈名单：{year}年连续{LAGGARD_MONTHS}个月及以上"
                        f"未达标的支部 {hi - lo} 个"
                    ),
                    body=names + more,
                    link=link,
                )
            )
    return send(notices)
