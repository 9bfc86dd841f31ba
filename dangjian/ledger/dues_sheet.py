"""The 党费 sheet of the SPEC §5 workbook (C2): 身份证号, 月份, 应交金额, 实交金额 (yuan).

Upsert by (身份证号, 月份); amounts are stored in fen. The member must be on the roll (in the
database or in the 党员 sheet of the same file) and inside the importer's scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils import timezone

from dangjian.core import pii
from dangjian.core.bulk import insert_rows, update_rows
from dangjian.core.money import fen_to_yuan, yuan_to_fen
from dangjian.imports.registry import (
    ColumnGuide,
    ImportContext,
    SheetImporter,
    SheetResult,
    SourceRow,
)
from dangjian.ledger import validation as v
from dangjian.ledger.choices import DuesCategory
from dangjian.ledger.facts import refresh_member_years
from dangjian.ledger.models import DuesPayment
from dangjian.members.models import Member
from dangjian.members.validation import clean_id_number

SHEET = "党费"
COLUMNS = ("身份证号", "月份", "应交金额", "实交金额")
BATCH = 5000
NOT_ON_ROLL = "该身份证号不在党员名册中，请先登记党员"


def dues_checks(ctx: ImportContext, closed: frozenset[int]) -> tuple:
    """The per-row rules of a 党费 row, as (column, clean) pairs."""
    return (
        ("身份证号", lambda x: clean_id_number(x).number),
        ("月份", lambda x: v.clean_dues_month(x, ctx.today, closed)),
        ("应交金额", lambda x: yuan_to_fen(x, "应交金额")),
        ("实交金额", lambda x: yuan_to_fen(x, "实交金额")),
    )


def duplicate_message(first_row: int) -> str:
    return f"同一党员同一月份与第{first_row}行重复"


@dataclass
class DuesPlan:
    rows: list[tuple] = field(default_factory=list)  # (number, id_hash, year, month, due, paid)
    aliases: dict[str, str] = field(default_factory=dict)  # hash to look for → current hash


def _members_by_hash(aliases: dict[str, str]) -> dict[str, tuple[int, str]]:
    """(member id, organization path) by current ID hash; `aliases` maps every hash to look
    for to the current one (`pii.hash_aliases`, for rows not yet rotated to a new key)."""
    found: dict[str, tuple[int, str]] = {}
    hashes = sorted(aliases)
    for start in range(0, len(hashes), BATCH):
        batch = hashes[start : start + BATCH]
        for h, pk, path in Member.objects.filter(id_hash__any_of=batch).values_list(
            "id_hash", "id", "organization__path"
        ):
            found[aliases[h]] = (pk, path)
    return found


class DuesSheet(SheetImporter):
    """党费: 身份证号, 月份 (YYYY-MM), 应交金额, 实交金额."""

    sheet = SHEET
    columns = COLUMNS
    order = 40

    def column_guide(self) -> dict[str, ColumnGuide]:
        return {
            "身份证号": ColumnGuide("必填；已在党员名册中的党员", "text"),
            "月份": ColumnGuide("必填；年-月，如 2026-01；每名党员每月一行", "text"),
            "应交金额": ColumnGuide("必填；单位：元，最多两位小数", "number"),
            "实交金额": ColumnGuide("必填；单位：元，最多两位小数；未交填 0", "number"),
        }

    def validate(self, rows: list[SourceRow], ctx: ImportContext) -> None:
        closed = v.closed_years()
        plan = DuesPlan()
        parsed = []
        checks = dues_checks(ctx, closed)
        for row in rows:
            values, failed = ctx.clean_row(SHEET, row, checks)
            if not failed:
                parsed.append((row.number, values))
        plan.aliases = pii.hash_aliases({values["身份证号"] for _n, values in parsed})
        on_roll = _members_by_hash(plan.aliases)
        member_plan = ctx.state.get("党员")
        in_file = {r.id_hash for r in member_plan.rows} if member_plan else set()
        scope = ctx.scope_root
        seen: dict[tuple, int] = {}
        for number, values in parsed:
            id_hash = pii.lookup_hash(values["身份证号"])
            found = on_roll.get(id_hash)
            if found is None and id_hash not in in_file:
                ctx.error(SHEET, number, "身份证号", NOT_ON_ROLL)
                continue
            if found and id_hash not in in_file and scope and not found[1].startswith(scope.path):
                ctx.error(SHEET, number, "身份证号", NOT_ON_ROLL)
                continue
            month = values["月份"]
            key = (id_hash, month.year, month.month)
            if key in seen:
                ctx.error(SHEET, number, "月份", duplicate_message(seen[key]))
                continue
            seen[key] = number
            plan.rows.append((number, *key, values["应交金额"], values["实交金额"]))
        ctx.state[SHEET] = plan

    def apply(self, ctx: ImportContext) -> SheetResult:
        plan: DuesPlan = ctx.state[SHEET]
        ids = {h: pk for h, (pk, _path) in _members_by_hash(plan.aliases).items()}
        years = sorted({r[2] for r in plan.rows})
        member_ids = set(ids.values())
        existing: dict[tuple, tuple[int, int, int]] = {}
        if plan.rows:
            stored = DuesPayment.objects.filter(year__in=years).order_by()
            if len(member_ids) < 5000:
                stored = stored.filter(member_id__in=list(member_ids))
            for pk, member_id, year, month, due, paid in stored.values_list(
                "id", "member_id", "year", "month", "due_fen", "paid_fen"
            ).iterator(20000):
                if member_id in member_ids:
                    existing[(member_id, year, month)] = (pk, due, paid)
        now = timezone.now()
        result = SheetResult()
        new_rows, updates = [], []
        for _number, id_hash, year, month, due, paid in plan.rows:
            member_id = ids[id_hash]
            found = existing.get((member_id, year, month))
            if found is None:
                new_rows.append((member_id, year, month, due, paid, DuesCategory.EMPLOYED, now))
            elif (found[1], found[2]) == (due, paid):
                result.unchanged += 1
            else:
                updates.append((found[0], due, paid, now))
        result.created = insert_rows(
            DuesPayment,
            ["member", "year", "month", "due_fen", "paid_fen", "category", "updated_at"],
            new_rows,
        )
        result.updated = update_rows(DuesPayment, ["due_fen", "paid_fen", "updated_at"], updates)
        if new_rows or updates:
            refresh_member_years(years, member_ids)
        return result

    def export_rows(self, user, reveal_pii: bool) -> Iterator[tuple]:
        rows = (
            DuesPayment.objects.visible_to(user)
            .order_by("member_id", "year", "month")
            .values_list(
                "member__id_enc", "member__id_masked", "year", "month", "due_fen", "paid_fen"
            )
        )
        for id_enc, masked, year, month, due, paid in rows.iterator(20000):
            shown = pii.decrypt(id_enc) if reveal_pii else masked
            yield (shown, f"{year:04d}-{month:02d}", fen_to_yuan(due), fen_to_yuan(paid))
