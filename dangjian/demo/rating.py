"""Demo public rating (C8) for the demo jurisdiction: rated targets (a 政务服务中心 window at the
root, a 服务窗口 for every government department, a 便民服务站 or 党群服务中心 for every village
and community), months of ratings with a realistic spread (each target has a quality of its own;
most people are satisfied, a few complain), and the cases those ratings opened in every state
(pending, handled, answered, closed after 回访, some overdue and escalated), with their steps.
Then the satisfaction rollups and the 群众评 of the current year's published schemes.

Reproducible from the seed and the date; written in bulk (one insert per table, set-based
rollups), once: a jurisdiction that already has targets is left alone."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.core import pii
from dangjian.core.bulk import insert_rows
from dangjian.core.workdays import add_working_days
from dangjian.orgs.models import Organization
from dangjian.rating import codes, feed, rollups, services
from dangjian.rating.choices import CaseState, StepKind, TargetKind
from dangjian.rating.intake import PUBLIC_LABEL, SYSTEM_LABEL
from dangjian.rating.models import Case, CaseStep, RatedTarget, Rating

# Months of ratings by size (the province demo has its targets but no ratings: its tree alone
# holds some 60,000 villages and communities).
MONTHS_BY_SIZE = {"county": 6, "city": 1, "province": 0}
DEPARTMENT_CATEGORIES = ("机关-政府组成部门", "县(市区)直部门")
VILLAGE_CATEGORIES = ("村", "社区", "撤村建居社区")
TOWN_CATEGORIES = ("乡镇", "街道")
GOOD = ["服务很热情，一次就办好了", "工作人员耐心解释，谢谢", "环境整洁，办事方便"]
COMPLAINTS = [
    "排队等了一个多小时，窗口只开了一个",
    "材料要求没有一次性告知，跑了三趟",
    "工作人员态度生硬，问两句就不耐烦",
    "说好的三天办结，一周了还没消息",
    "服务站上班时间经常没人",
    "网上预约了到现场还要重新排号",
    "办事指南和实际要求不一致",
]
REPLIES = [
    "经核实，当日窗口人员临时抽调，已调整排班，高峰时段增开窗口。感谢您的监督。",
    "已对相关工作人员进行批评教育，并建立一次性告知清单，张贴在窗口。",
    "您反映的事项已办结，已电话告知办理结果。给您带来不便，深表歉意。",
    "已安排专人每日值守，并在门口公示值班电话。",
]
ORG_DECOR = re.compile(
    r"^中共|(机关委员会|机关党支部|机关第.党支部|党总支|党支部|党组|党委|委员会)$"
)


def _short(name: str) -> str:
    """The unit's own name, without 中共 and the party-organization suffix."""
    previous = None
    while previous != name:
        previous, name = name, ORG_DECOR.sub("", name)
    return name


def _targets_for(root: Organization) -> list[services.TargetInput]:
    """One window at the root, one per government department, one station per village or
    community (by position in the tree: two queries)."""
    rows = [
        services.TargetInput(
            root,
            f"{_short(root.name)}政务服务中心综合窗口",
            TargetKind.DEPARTMENT,
            "政务服务中心一楼",
        )
    ]
    departments = (
        Organization.objects.filter(
            is_active=True,
            category__name__in=DEPARTMENT_CATEGORIES,
            parent__category__name="机关",
        )
        .order_by("path")
        .only("id", "name", "path", "code", "is_active")
    )
    for org in departments:
        rows.append(
            services.TargetInput(
                org, f"{_short(org.name)}服务窗口", TargetKind.WINDOW, "政务服务中心"
            )
        )
    villages = (
        Organization.objects.filter(
            is_active=True,
            category__name__in=VILLAGE_CATEGORIES,
            parent__category__name__in=TOWN_CATEGORIES,
        )
        .order_by("path")
        .only("id", "name", "path", "code", "is_active")
    )
    for org in villages:
        short = _short(org.name)
        kind_name = "便民服务站" if short.endswith("村") else "党群服务中心"
        rows.append(services.TargetInput(org, f"{short}{kind_name}", TargetKind.STATION))
    return rows


def _score(rng: random.Random, quality: float) -> int:
    """A level given a target's quality (0 poor … 1 excellent)."""
    roll = rng.random()
    five = 0.35 + 0.45 * quality
    four = five + 0.30 - 0.10 * quality
    three = four + 0.12 - 0.06 * quality
    two = three + 0.08 * (1 - quality) + 0.01
    if roll < five:
        return 5
    if roll < four:
        return 4
    if roll < three:
        return 3
    return 2 if roll < two else 1


def install_demo_ratings(size: str, seed: int, today: dt.date | None = None) -> str | None:
    """Targets, ratings and cases of the demo (once); a line for the demo's output, or None
    when the jurisdiction already has targets."""
    if RatedTarget.objects.exists():
        return None
    today = today or timezone.localdate()
    rng = random.Random(f"rating-{seed}")
    root = Organization.objects.get(depth=1)
    with transaction.atomic():
        targets = services.create_targets(None, _targets_for(root), rng=rng)
        months = MONTHS_BY_SIZE.get(size, 0)
        ratings, cases, steps = _history(rng, targets, months, today) if months else (0, 0, 0)
    rollups.refresh_all(today)
    fed = feed.feed_year(None, today.year)
    return (
        f"群众评议：评议对象 {len(targets)} 个，评价 {ratings} 条，诉求 {cases} 件"
        f"（办理记录 {steps} 条），写入考核群众评 {sum(fed.values())} 项"
    )


@dataclass
class _Rating:
    """A demo rating before it is written (the columns insert_rows needs, and its id)."""

    id: int
    target_id: int
    organization_id: int
    score: int
    comment: str
    phone: str
    counted: bool
    month: dt.date
    created_at: dt.datetime

    def row(self, rng) -> tuple:
        return (
            self.id,
            self.target_id,
            self.organization_id,
            self.score,
            self.comment,
            pii.encrypt(self.phone),
            f"{rng.getrandbits(128):032x}",
            f"{rng.getrandbits(128):032x}",
            self.counted,
            self.month,
            self.created_at,
        )


RATING_FIELDS = [
    "id",
    "target",
    "organization",
    "score",
    "comment",
    "phone",
    "device",
    "address",
    "counted",
    "month",
    "created_at",
]
CASE_FIELDS = [
    "id",
    "rating",
    "target",
    "organization",
    "tracking_code",
    "state",
    "score",
    "complaint",
    "month",
    "opened_at",
    "deadline",
    "escalation_level",
    "escalated_at",
    "reply",
    "replied_at",
    "replied_by",
    "resolved",
    "feedback",
    "feedback_at",
    "closed_at",
    "updated_at",
]
STEP_FIELDS = ["case", "kind", "organization", "note", "deadline", "actor_label", "at"]


def _next_id(model) -> int:
    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _history(rng, targets: list[RatedTarget], months: int, today: dt.date):
    """Ratings of the last `months` months (to yesterday) and the cases they opened, written
    with one bulk insert per table (ids given here, sequences moved past them after)."""
    back = today.year * 12 + today.month - 1 - (months - 1)
    start = dt.date(back // 12, back % 12 + 1, 1)
    days = max(1, (today - start).days)
    tz = timezone.get_current_timezone()
    made: list[_Rating] = []
    for target in targets:
        quality = min(1.0, max(0.0, rng.gauss(0.72, 0.18)))
        window = target.kind != TargetKind.STATION
        per_day = rng.uniform(0.6, 1.6) if window else rng.uniform(0.05, 0.35)
        for _ in range(max(1, int(per_day * days))):
            day = start + dt.timedelta(days=rng.randrange(days))
            at = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)), tz)
            score = _score(rng, quality)
            comment = ""
            if score <= 2 and rng.random() < 0.7:
                comment = rng.choice(COMPLAINTS)
            elif score >= 4 and rng.random() < 0.05:
                comment = rng.choice(GOOD)
            phone = ""
            if comment and score <= 3 and rng.random() < 0.5:
                phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            counted = rng.random() > 0.03  # a few repeats by the same device count once
            made.append(
                _Rating(
                    0,
                    target.pk,
                    target.organization_id,
                    score,
                    comment,
                    phone,
                    counted,
                    day.replace(day=1),
                    at,
                )
            )
    made.sort(key=lambda r: r.created_at)
    first = _next_id(Rating)
    for offset, rating in enumerate(made):
        rating.id = first + offset
    insert_rows(Rating, RATING_FIELDS, (r.row(rng) for r in made))
    complaints = [r for r in made if (r.score <= 2 and r.counted) or r.comment]
    cases, steps = _cases(rng, complaints, today)
    with connection.cursor() as cursor:  # PostgreSQL: the sequences continue after our ids
        for sql in connection.ops.sequence_reset_sql(no_style(), [Rating, Case]):
            cursor.execute(sql)
    return len(made), cases, steps


def _state(rng, age: int) -> str:
    """A case's state that fits its age in days."""
    roll = rng.random()
    if age > 20:
        return CaseState.CLOSED if roll < 0.9 else CaseState.REPLIED
    if age > 7:
        return (CaseState.CLOSED, CaseState.REPLIED, CaseState.HANDLING)[
            0 if roll < 0.5 else 1 if roll < 0.8 else 2
        ]
    return (CaseState.PENDING, CaseState.HANDLING, CaseState.REPLIED)[
        0 if roll < 0.35 else 1 if roll < 0.75 else 2
    ]


def _cases(rng, complaints: list[_Rating], today: dt.date) -> tuple[int, int]:
    """A case for every complaint, in a state that fits its age, with its steps."""
    orgs = {
        o.pk: o
        for o in Organization.objects.filter(pk__in={r.organization_id for r in complaints}).only(
            "id", "name", "parent_id"
        )
    }
    parents = {
        o.pk: o
        for o in Organization.objects.filter(
            pk__in={o.parent_id for o in orgs.values() if o.parent_id}
        ).only("id", "name")
    }
    days = settings.CASE_WORKING_DAYS
    used: set[str] = set()
    case_rows, step_rows = [], []
    next_case = _next_id(Case)
    for rating in complaints:
        case_id = next_case
        next_case += 1
        opened = rating.created_at
        opened_day = timezone.localtime(opened).date()
        org = orgs[rating.organization_id]
        deadline = add_working_days(opened_day, days)
        state = _state(rng, (today - opened_day).days)
        # a case still handled past its deadline has been escalated by the hourly schedule;
        # some of those are overdue again at the superior
        escalated = state == CaseState.HANDLING and deadline < today
        holder = parents.get(org.parent_id, org) if escalated else org
        code = codes.new_code(codes.TRACKING_CODE_LENGTH, rng)
        while code in used:
            code = codes.new_code(codes.TRACKING_CODE_LENGTH, rng)
        used.add(code)
        answered = state in (CaseState.REPLIED, CaseState.CLOSED)
        replied_at = opened + dt.timedelta(days=rng.randint(1, 4), hours=rng.randint(1, 6))
        closed_at = replied_at + dt.timedelta(days=rng.randint(1, 3))
        resolved = True if state == CaseState.CLOSED and rng.random() < 0.85 else None
        escalated_at = opened + dt.timedelta(days=8) if escalated else None
        now_deadline = (
            add_working_days(today - dt.timedelta(days=1), days) if escalated else deadline
        )
        reply = rng.choice(REPLIES) if answered else ""
        replier = "窗口负责人（演示）"
        case_rows.append(
            (
                case_id,
                rating.id,
                rating.target_id,
                holder.pk,
                code,
                state,
                rating.score,
                rating.comment,
                rating.month,
                opened,
                now_deadline,
                1 if escalated else 0,
                escalated_at,
                reply,
                replied_at if answered else None,
                replier if answered else "",
                resolved,
                "问题已解决，谢谢" if resolved and rng.random() < 0.5 else "",
                closed_at if resolved else None,
                closed_at if state == CaseState.CLOSED else None,
                closed_at if state == CaseState.CLOSED else opened,
            )
        )

        def step(kind, note, at, org_id=None, due=None, actor=replier, case_id=case_id):
            step_rows.append((case_id, kind, org_id, note, due, actor, at))

        step(StepKind.OPENED, "群众扫码评价，系统受理", opened, org.pk, deadline, PUBLIC_LABEL)
        if state == CaseState.PENDING:
            continue
        officer = "组织部管理员（演示）"
        step(
            StepKind.ASSIGNED,
            f"转{org.name}办理",
            opened + dt.timedelta(hours=3),
            org.pk,
            deadline,
            officer,
        )
        step(StepKind.TRACKED, "已电话联系群众，了解具体情况", opened + dt.timedelta(days=1))
        if escalated:
            step(
                StepKind.ESCALATED,
                f"逾期未办结，由{org.name}上报{holder.name}督办",
                escalated_at,
                holder.pk,
                now_deadline,
                SYSTEM_LABEL,
            )
        if answered:
            step(StepKind.REPLIED, reply, replied_at, holder.pk)
        if state == CaseState.CLOSED and resolved:
            step(StepKind.FEEDBACK, "群众表示问题已解决", closed_at, holder.pk, None, PUBLIC_LABEL)
        elif state == CaseState.CLOSED:
            step(StepKind.CLOSED, "已答复，予以办结", closed_at, None, None, officer)
    insert_rows(Case, CASE_FIELDS, case_rows)
    insert_rows(CaseStep, STEP_FIELDS, step_rows)
    return len(case_rows), len(step_rows)
