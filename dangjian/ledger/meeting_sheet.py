"""The 组织生活 sheet of the SPEC §5 workbook (C2): validate, apply set-based, export.

Upsert by (组织编码, 活动类型, 日期, 主题). Imported meetings carry 应到/实到 from the file; a
meeting recorded on a page with a roll call keeps the roll call's figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils import timezone

from dangjian.core.bulk import insert_rows, update_rows
from dangjian.core.cells import as_text
from dangjian.core.errors import BusinessError
from dangjian.imports.registry import (
    ColumnGuide,
    ImportContext,
    SheetImporter,
    SheetResult,
    SourceRow,
)
from dangjian.ledger import validation as v
from dangjian.ledger.choices import ActivityType
from dangjian.ledger.facts import refresh_activity_months
from dangjian.ledger.models import Meeting
from dangjian.orgs.sheet import missing_org, org_directory, org_refs

SHEET = "组织生活"
COLUMNS = ("组织编码", "活动类型", "日期", "主题", "应到人数", "实到人数")


@dataclass
class MeetingPlan:
    rows: list[tuple] = field(default_factory=list)  # (number, code, type, date, topic, exp, pre)
    existing: dict[tuple, tuple[int, int, int, bool]] = field(default_factory=dict)


def _existing_meetings(codes: list[str], first, last) -> dict[tuple, tuple[int, int, int, bool]]:
    """Meetings already stored for these organizations and dates, by upsert key."""
    refs = org_refs(codes)
    ids = {org_id: code for code, (org_id, _path) in refs.items()}
    found = {}
    if not ids:
        return found
    rows = (
        Meeting.objects.filter(held_on__gte=first, held_on__lte=last)
        .order_by()
        .values_list(
            "organization_id",
            "activity_type",
            "held_on",
            "topic",
            "id",
            "expected",
            "present",
            "has_attendance",
        )
    )
    if len(ids) < 5000:
        rows = rows.filter(organization_id__in=list(ids))
    for org_id, kind, day, topic, pk, exp, pre, roll in rows.iterator(20000):
        if org_id in ids:
            found[(ids[org_id], kind, day, topic)] = (pk, exp, pre, roll)
    return found


def duplicate_message(first_row: int) -> str:
    return f"与第{first_row}行是同一次活动（组织、类型、日期、主题都相同）"


def roll_call_message(expected: int, present: int) -> str:
    return (
        f"该活动已在系统中逐人签到（应到{expected}、实到{present}），人数以签到为准，不能由导入修改"
    )


def check_meeting_row(row: SourceRow, ctx: ImportContext, directory, closed) -> tuple | None:
    """The rules of one 组织生活 row, with its organization: (code, type, date, topic,
    expected, present), or None with every problem recorded in ctx."""
    checks = (
        ("组织编码", lambda x: as_text(x, "组织编码", max_length=32)),
        ("活动类型", v.clean_activity_type),
        ("日期", lambda x: v.clean_held_on(x, ctx.today, closed)),
        ("主题", v.clean_topic),
    )
    values, failed = ctx.clean_row(SHEET, row, checks)
    try:
        exp, pre = v.clean_attendance_counts(row.values.get("应到人数"), row.values.get("实到人数"))
    except BusinessError as exc:
        column = v.COLUMN_OF_MEETING_FIELD.get(exc.field, "应到人数")
        ctx.error(SHEET, row.number, column, exc.message)
        failed = True
    code = values.get("组织编码")
    if code is not None:
        problem = organization_problem(code, values.get("活动类型"), directory)
        if problem:
            ctx.error(SHEET, row.number, *problem)
            failed = True
    if failed:
        return None
    return (code, values["活动类型"], values["日期"], values["主题"], exp, pre)


def organization_problem(code: str, activity_type: str | None, directory) -> tuple | None:
    """(column, reason) when the organization cannot hold this meeting."""
    info = directory.get(code)
    if info is None or not info.in_scope:
        return "组织编码", missing_org(directory, "组织编码", code)
    if not info.is_active:
        return "组织编码", f"组织 {code} 已撤销，不能登记组织生活"
    if activity_type is not None:
        try:
            v.check_activity_fits(activity_type, info.org_type, code)
        except BusinessError as exc:
            return "活动类型", exc.message
    return None


class MeetingSheet(SheetImporter):
    """组织生活: 组织编码, 活动类型, 日期, 主题, 应到人数, 实到人数."""

    sheet = SHEET
    columns = COLUMNS
    order = 30

    def column_guide(self) -> dict[str, ColumnGuide]:
        return {
            "组织编码": ColumnGuide("必填；召开活动的党组织的编码", "text"),
            "活动类型": ColumnGuide("必填", choices=tuple(ActivityType.values)),
            "日期": ColumnGuide("必填；活动日期", "date"),
            "主题": ColumnGuide("必填"),
            "应到人数": ColumnGuide("必填；不小于 0 的整数", "number"),
            "实到人数": ColumnGuide("必填；不大于应到人数", "number"),
        }

    def validate(self, rows: list[SourceRow], ctx: ImportContext) -> None:
        directory = org_directory(ctx)
        closed = v.closed_years()
        plan = MeetingPlan()
        seen: dict[tuple, int] = {}
        for row in rows:
            checked = check_meeting_row(row, ctx, directory, closed)
            if checked is None:
                continue
            *key, exp, pre = checked
            key = tuple(key)
            if key in seen:
                ctx.error(SHEET, row.number, "主题", duplicate_message(seen[key]))
                continue
            seen[key] = row.number
            plan.rows.append((row.number, *key, exp, pre))
        if plan.rows:
            days = [r[3] for r in plan.rows]
            plan.existing = _existing_meetings(
                sorted({r[1] for r in plan.rows}), min(days), max(days)
            )
        for number, *key, exp, pre in plan.rows:
            found = plan.existing.get(tuple(key))
            if found and found[3] and (found[1], found[2]) != (exp, pre):
                ctx.error(SHEET, number, "应到人数", roll_call_message(found[1], found[2]))
        ctx.state[SHEET] = plan

    def apply(self, ctx: ImportContext) -> SheetResult:
        plan: MeetingPlan = ctx.state[SHEET]
        refs = org_refs(sorted({r[1] for r in plan.rows}))
        now = timezone.now()
        label = ctx.actor.get_username() if ctx.actor is not None else "导入"
        result = SheetResult()
        new_rows, updates = [], []
        for _number, code, kind, day, topic, exp, pre in plan.rows:
            found = plan.existing.get((code, kind, day, topic))
            if found is None:
                new_rows.append(
                    (refs[code][0], kind, day, topic, False, exp, pre, "", False, label, now, now)
                )
            elif (found[1], found[2]) == (exp, pre):
                result.unchanged += 1
            else:
                updates.append((found[0], exp, pre, now))
        result.created = insert_rows(
            Meeting,
            [
                "organization",
                "activity_type",
                "held_on",
                "topic",
                "first_topic",
                "expected",
                "present",
                "minutes",
                "has_attendance",
                "recorded_by",
                "created_at",
                "updated_at",
            ],
            new_rows,
        )
        result.updated = update_rows(Meeting, ["expected", "present", "updated_at"], updates)
        if new_rows or updates:
            refresh_activity_months(
                {r[3].year for r in plan.rows}, {refs[r[1]][0] for r in plan.rows}
            )
        return result

    def export_rows(self, user, reveal_pii: bool) -> Iterator[tuple]:
        rows = (
            Meeting.objects.visible_to(user)
            .order_by("organization__path", "held_on", "id")
            .values_list(
                "organization__code", "activity_type", "held_on", "topic", "expected", "present"
            )
        )
        for code, kind, day, topic, exp, pre in rows.iterator(20000):
            yield (code, kind, day.isoformat(), topic, exp, pre)
