"""The 考核得分 sheet of the SPEC §5 workbook (C5): 组织编码, 年度, 党建得分, 经济社会得分,
述职评议等次, 约谈次数 — for organizations scored outside the system, with the year's talks and
述职评议. Upsert by (组织编码, 年度)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils import timezone

from dangjian.assessment import validation as v
from dangjian.assessment.choices import Grade
from dangjian.assessment.models import AssessmentRecord
from dangjian.core.bulk import insert_rows, update_rows
from dangjian.core.cells import as_text
from dangjian.imports.registry import (
    ColumnGuide,
    ImportContext,
    SheetImporter,
    SheetResult,
    SourceRow,
)
from dangjian.orgs.sheet import missing_org, org_directory, org_refs

SHEET = "考核得分"
COLUMNS = ("组织编码", "年度", "党建得分", "经济社会得分", "述职评议等次", "约谈次数")
FIELDS = ("party_score", "economic_score", "review_grade", "talks")


@dataclass
class ScorePlan:
    # (number, code, year, party, economic, review, talks)
    rows: list[tuple] = field(default_factory=list)


class ScoreSheet(SheetImporter):
    """考核得分: one row per organization and year."""

    sheet = SHEET
    columns = COLUMNS
    order = 50

    def column_guide(self) -> dict[str, ColumnGuide]:
        return {
            "组织编码": ColumnGuide("必填；被考核党组织的编码", "text"),
            "年度": ColumnGuide("必填；四位年份，如 2025", "number"),
            "党建得分": ColumnGuide("必填；0–100", "number"),
            "经济社会得分": ColumnGuide("可空；0–100", "number"),
            "述职评议等次": ColumnGuide("必填", choices=tuple(Grade.values)),
            "约谈次数": ColumnGuide("必填；不小于 0 的整数", "number"),
        }

    def validate(self, rows: list[SourceRow], ctx: ImportContext) -> None:
        directory = org_directory(ctx)
        plan = ScorePlan()
        seen: dict[tuple[str, int], int] = {}
        for row in rows:
            checks = (
                ("组织编码", lambda x: as_text(x, "组织编码", max_length=32)),
                ("年度", lambda x: v.clean_year(x, ctx.today)),
                ("党建得分", lambda x: v.clean_score(x, "党建得分")),
                ("经济社会得分", lambda x: v.clean_score(x, "经济社会得分", required=False)),
                ("述职评议等次", v.clean_review_grade),
                ("约谈次数", v.clean_talks),
            )
            values, failed = ctx.clean_row(SHEET, row, checks)
            code = values.get("组织编码")
            if code is not None:
                info = directory.get(code)
                if info is None or not info.in_scope:
                    ctx.error(
                        SHEET, row.number, "组织编码", missing_org(directory, "组织编码", code)
                    )
                    failed = True
            if failed:
                continue
            key = (code, values["年度"])
            if key in seen:
                ctx.error(
                    SHEET,
                    row.number,
                    "年度",
                    f"组织 {code} 的 {key[1]} 年度考核得分与第{seen[key]}行重复",
                )
                continue
            seen[key] = row.number
            plan.rows.append(
                (
                    row.number,
                    code,
                    values["年度"],
                    values["党建得分"],
                    values["经济社会得分"],
                    values["述职评议等次"],
                    values["约谈次数"],
                )
            )
        ctx.state[SHEET] = plan

    def apply(self, ctx: ImportContext) -> SheetResult:
        plan: ScorePlan = ctx.state[SHEET]
        refs = org_refs(sorted({r[1] for r in plan.rows}))
        years = sorted({r[2] for r in plan.rows})
        existing = {
            (org_id, year): (pk, (party, econ, review, talks))
            for pk, org_id, year, party, econ, review, talks in AssessmentRecord.objects.filter(
                year__in=years
            )
            .order_by()
            .values_list("id", "organization_id", "year", *FIELDS)
            .iterator(20000)
        }
        now = timezone.now()
        result = SheetResult()
        new_rows, updates = [], []
        for _number, code, year, party, econ, review, talks in plan.rows:
            org_id = refs[code][0]
            found = existing.get((org_id, year))
            if found is None:
                new_rows.append((org_id, year, party, econ, review, talks, now))
            elif found[1] == (party, econ, review, talks):
                result.unchanged += 1
            else:
                updates.append((found[0], party, econ, review, talks, now))
        result.created = insert_rows(
            AssessmentRecord, ["organization", "year", *FIELDS, "updated_at"], new_rows
        )
        result.updated = update_rows(AssessmentRecord, [*FIELDS, "updated_at"], updates)
        return result

    def export_rows(self, user, reveal_pii: bool) -> Iterator[tuple]:
        rows = (
            AssessmentRecord.objects.visible_to(user)
            .order_by("year", "organization__path")
            .values_list("organization__code", "year", *FIELDS)
        )
        for code, year, party, econ, review, talks in rows.iterator(20000):
            yield (code, year, str(party), "" if econ is None else str(econ), review, talks)
