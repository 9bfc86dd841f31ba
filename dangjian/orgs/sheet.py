"""The 组织 sheet of the SPEC §5 workbook (C1): validate, apply set-based, export.

Paths of the materialized-path tree are computed in memory for the whole import (new
organizations and moved subtrees alike), then written with a few bulk statements, so the cost
does not grow with a query per row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.utils import timezone

from dangjian.accounts import audit
from dangjian.core.bulk import insert_rows, update_rows
from dangjian.core.cells import as_choice, as_count, as_text
from dangjian.imports.registry import (
    ColumnGuide,
    ImportContext,
    SheetImporter,
    SheetResult,
    SourceRow,
)
from dangjian.members.post_tallies import refresh_post_tallies
from dangjian.orgs.choices import BRANCH_TYPES, OrgEventKind
from dangjian.orgs.models import Category, Organization, OrgEvent
from dangjian.orgs.rollups import refresh_tree_rollups
from dangjian.orgs.validation import ORG_TYPES, clean_code, clean_name, clean_org_type

SHEET = "组织"
COLUMNS = (
    "组织编码",
    "组织名称",
    "上级组织编码",
    "组织类型",
    "组织类别",
    "工作人员数",
    "专职党务人员数",
)
STEP = Organization.steplen
ALPHABET = Organization.alphabet


def encode_step(number: int) -> str:
    """A tree step as treebeard writes it: base 36, zero-padded to STEP characters."""
    digits = ""
    while number:
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits.rjust(STEP, "0")


def decode_step(step: str) -> int:
    """The number of a tree step."""
    return int(step, len(ALPHABET))


@dataclass
class OrgRow:
    """A validated row of the 组织 sheet."""

    number: int
    code: str
    name: str
    parent_code: str
    org_type: str
    category_id: int
    staff_count: int
    party_staff_count: int


@dataclass
class ExistingOrg:
    """An organization already in the database, as the import needs it."""

    id: int
    code: str
    name: str
    org_type: str
    category_id: int
    staff_count: int
    party_staff_count: int
    path: str
    numchild: int
    is_active: bool
    parent_code: str = ""


@dataclass
class OrgInfo:
    """What other sheets need to know about an organization code after this import."""

    org_type: str
    is_active: bool
    in_scope: bool


class OrgDirectory(dict):
    """OrgInfo by code, as the organizations will be after this import; `refused`: the row of
    the 组织 sheet of each code whose own row was refused, so that the rows placed in it are
    told where the problem is."""

    def __init__(self, *args, refused: dict[str, int] | None = None):
        super().__init__(*args)
        self.refused = refused or {}


def missing_org(directory: dict, label: str, code: str) -> str:
    """Why `code` (in the column `label`) names no organization: its row of the 组织 sheet was
    refused, or there is none."""
    row = getattr(directory, "refused", {}).get(code)
    if row is not None:
        return f"{label} {code} 对应“组织”表第{row}行，该行有错，请先改正该行"
    return f"{label} {code} 不存在"


@dataclass
class OrgPlan:
    """The validated 组织 sheet: rows by code and the tree as it will be; `refused`: the first
    row of each code whose row was refused."""

    rows: dict[str, OrgRow] = field(default_factory=dict)
    existing: dict[str, ExistingOrg] = field(default_factory=dict)
    final_parent: dict[str, str] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)


def load_existing() -> dict[str, ExistingOrg]:
    """Every organization by code, in one query, with its parent's code from the path."""
    fields = (
        "id",
        "code",
        "name",
        "org_type",
        "category_id",
        "staff_count",
        "party_staff_count",
        "path",
        "numchild",
        "is_active",
    )
    orgs = {
        row[1]: ExistingOrg(*row) for row in Organization.objects.order_by().values_list(*fields)
    }
    by_path = {org.path: org.code for org in orgs.values()}
    for org in orgs.values():
        org.parent_code = by_path.get(org.path[:-STEP], "") if len(org.path) > STEP else ""
    return orgs


def org_refs(codes: list[str]) -> dict[str, tuple[int, str]]:
    """(id, path) of organizations by code, in batches so the IN list stays within limits."""
    refs: dict[str, tuple[int, str]] = {}
    if len(codes) * 5 >= Organization.objects.count():
        wanted = set(codes)
        rows = Organization.objects.order_by().values_list("code", "id", "path").iterator(20000)
        return {code: (org_id, path) for code, org_id, path in rows if code in wanted}
    for start in range(0, len(codes), 5000):
        batch = codes[start : start + 5000]
        for code, org_id, path in (
            Organization.objects.filter(code__any_of=batch)
            .order_by()
            .values_list("code", "id", "path")
        ):
            refs[code] = (org_id, path)
    return refs


def _in_scope(path: str, ctx: ImportContext) -> bool:
    return ctx.scope_root is None or path.startswith(ctx.scope_root.path)


def org_directory(ctx: ImportContext) -> dict[str, OrgInfo]:
    """Organization codes as they will be after this import (file rows over the database)."""
    if "org_directory" in ctx.state:
        return ctx.state["org_directory"]
    plan: OrgPlan | None = ctx.state.get(SHEET)
    existing = plan.existing if plan else load_existing()
    directory = OrgDirectory(
        (
            (code, OrgInfo(org.org_type, org.is_active, _in_scope(org.path, ctx)))
            for code, org in existing.items()
        ),
        refused=plan.refused if plan else None,
    )
    if plan:
        for code, row in plan.rows.items():
            directory[code] = OrgInfo(row.org_type, True, True)
    ctx.state["org_directory"] = directory
    return directory


def _rotated(loop: list[str], first: str) -> list[str]:
    """The codes of a loop starting from `first`."""
    start = loop.index(first)
    return loop[start:] + loop[:start]


class OrganizationSheet(SheetImporter):
    """组织: 组织编码, 组织名称, 上级组织编码, 组织类型, 组织类别, 工作人员数, 专职党务人员数."""

    sheet = SHEET
    columns = COLUMNS
    order = 10

    def column_guide(self) -> dict[str, ColumnGuide]:
        categories = tuple(Category.objects.values_list("name", flat=True))
        return {
            "组织编码": ColumnGuide("必填；字母、数字、“-”“_”“.”，最多 32 位", "text"),
            "组织名称": ColumnGuide("必填，最多 100 字"),
            "上级组织编码": ColumnGuide(
                "根组织留空；其余填上级组织的编码（上级可在本表中，也可已在系统中）", "text"
            ),
            "组织类型": ColumnGuide("必填；只有党支部、临时党支部可以编入党员", choices=ORG_TYPES),
            "组织类别": ColumnGuide("必填；可在“组织类别”页面增加", choices=categories),
            "工作人员数": ColumnGuide("不小于 0 的整数", "number"),
            "专职党务人员数": ColumnGuide(
                "不小于 0 的整数，不大于工作人员数；按要求应不低于工作人员数的 2%", "number"
            ),
        }

    # --- validation -------------------------------------------------------------------------

    def _parse(
        self, rows: list[SourceRow], ctx: ImportContext, refused: dict[str, int]
    ) -> dict[str, OrgRow]:
        """The rows that pass every rule of one row, by code; the codes of the others go to
        `refused`, with their row."""
        categories = dict(Category.objects.values_list("name", "id"))
        parsed: dict[str, OrgRow] = {}
        for row in rows:
            checks = (
                ("组织编码", clean_code),
                ("组织名称", clean_name),
                (
                    "上级组织编码",
                    lambda v: as_text(v, "上级组织编码", required=False, max_length=32),
                ),
                ("组织类型", clean_org_type),
                ("组织类别", lambda v: as_choice(v, "组织类别", categories.keys())),
                ("工作人员数", lambda v: as_count(v, "工作人员数")),
                ("专职党务人员数", lambda v: as_count(v, "专职党务人员数")),
            )
            values, failed = ctx.clean_row(SHEET, row, checks)
            staff, party = values.get("工作人员数"), values.get("专职党务人员数")
            if staff is not None and party is not None and party > staff:
                ctx.error(
                    SHEET,
                    row.number,
                    "专职党务人员数",
                    f"专职党务人员数（{party}）不能大于工作人员数（{staff}）",
                )
                failed = True
            code = values.get("组织编码")
            if code and code in parsed:
                ctx.error(
                    SHEET,
                    row.number,
                    "组织编码",
                    f"组织编码 {code} 与第{parsed[code].number}行重复",
                )
                continue
            if failed or not code:
                if code:
                    refused.setdefault(code, row.number)
                continue
            parsed[code] = OrgRow(
                row.number,
                code,
                values["组织名称"],
                values["上级组织编码"],
                values["组织类型"],
                categories[values["组织类别"]],
                staff,
                party,
            )
        return parsed

    def validate(self, rows: list[SourceRow], ctx: ImportContext) -> None:
        refused: dict[str, int] = {}
        parsed = self._parse(rows, ctx, refused)
        existing = load_existing()
        plan = OrgPlan(rows=parsed, existing=existing, refused=refused)
        plan.final_parent = {code: org.parent_code for code, org in existing.items()}
        plan.final_parent.update({code: row.parent_code for code, row in parsed.items()})
        final_type = {code: org.org_type for code, org in existing.items()}
        final_type.update({code: row.org_type for code, row in parsed.items()})
        ctx.state[SHEET] = plan
        self._check_parents(plan, final_type, ctx)
        self._check_cycles(plan, ctx)
        self._check_type_changes(plan, ctx)

    def _check_parents(self, plan: OrgPlan, final_type: dict[str, str], ctx: ImportContext) -> None:
        existing = plan.existing
        root = next((o for o in existing.values() if not o.parent_code), None)
        scope = ctx.scope_root
        new_roots = []
        for code, row in plan.rows.items():
            ex = existing.get(code)
            if ex and not _in_scope(ex.path, ctx):
                ctx.error(SHEET, row.number, "组织编码", f"组织编码 {code} 已被使用")
                continue
            if ex and not ex.is_active:
                ctx.error(SHEET, row.number, "组织编码", f"组织 {code} 已撤销，不能再通过导入修改")
                continue
            if scope is not None and code == scope.code:
                if row.parent_code != ex.parent_code:
                    ctx.error(
                        SHEET,
                        row.number,
                        "上级组织编码",
                        "不能调整本级组织（管辖范围的根）的隶属关系",
                    )
                continue
            parent = row.parent_code
            if not parent:
                if scope is not None or (root and root.code != code) or (ex and ex.parent_code):
                    ctx.error(
                        SHEET,
                        row.number,
                        "上级组织编码",
                        "上级组织编码不能为空（根组织已存在，一个辖区只有一个根组织）",
                    )
                else:
                    new_roots.append(row)
                continue
            if parent == code:
                ctx.error(SHEET, row.number, "上级组织编码", "上级组织不能是组织自己")
                continue
            pex = existing.get(parent)
            if parent not in plan.rows and (pex is None or not _in_scope(pex.path, ctx)):
                ctx.error(SHEET, row.number, "上级组织编码", f"上级组织编码 {parent} 不存在")
                continue
            if pex is not None and not pex.is_active:
                ctx.error(SHEET, row.number, "上级组织编码", f"上级组织 {parent} 已撤销")
                continue
            if final_type.get(parent) in BRANCH_TYPES:
                ctx.error(
                    SHEET,
                    row.number,
                    "上级组织编码",
                    f"上级组织 {parent} 是{final_type[parent]}，党支部下不能设立下级组织",
                )
        for extra in new_roots[1:]:
            ctx.error(
                SHEET,
                extra.number,
                "上级组织编码",
                f"只能有一个根组织（第{new_roots[0].number}行已是根组织）",
            )

    def _check_cycles(self, plan: OrgPlan, ctx: ImportContext) -> None:
        """Each row whose organization would be its own ancestor, with the loop; the rows
        under a loop are not named (they are right once the loop is broken)."""
        reaches_root: set[str] = set()
        on_or_under_loop: set[str] = set()
        for code, row in plan.rows.items():
            if row.parent_code == code:
                continue  # reported as its own parent already
            trail, current = [], code
            while current and current not in reaches_root:
                if current in on_or_under_loop:
                    on_or_under_loop.update(trail)
                    break
                if current in trail:
                    loop = trail[trail.index(current) :]
                    for member in loop:
                        if member in plan.rows:
                            ctx.error(
                                SHEET,
                                plan.rows[member].number,
                                "上级组织编码",
                                "上级关系形成循环："
                                + " → ".join([*_rotated(loop, member), member]),
                            )
                    on_or_under_loop.update(trail)
                    break
                trail.append(current)
                current = plan.final_parent.get(current, "")
            else:
                reaches_root.update(trail)

    def _check_type_changes(self, plan: OrgPlan, ctx: ImportContext) -> None:
        from dangjian.members.models import Member

        existing = plan.existing
        to_non_branch = {
            existing[c].id: row
            for c, row in plan.rows.items()
            if c in existing
            and existing[c].org_type in BRANCH_TYPES
            and row.org_type not in BRANCH_TYPES
        }
        if to_non_branch:
            counts = (
                Member.objects.filter(organization_id__in=list(to_non_branch), is_active=True)
                .values("organization_id")
                .annotate(n=Count("id"))
                .values_list("organization_id", "n")
            )
            for org_id, n in counts:
                row = to_non_branch[org_id]
                ctx.error(
                    SHEET, row.number, "组织类型", f"该组织仍有 {n} 名党员，不能改为{row.org_type}"
                )
        # Children named in the file report the problem on their own row ("上级组织是党支部").
        has_children = {
            p for c, p in plan.final_parent.items() if p and p != c and c not in plan.rows
        }
        for code, row in plan.rows.items():
            if row.org_type in BRANCH_TYPES and code in has_children:
                ctx.error(
                    SHEET, row.number, "组织类型", f"该组织有下级组织，不能设为{row.org_type}"
                )

    # --- application ------------------------------------------------------------------------

    def apply(self, ctx: ImportContext) -> SheetResult:
        plan: OrgPlan = ctx.state[SHEET]
        existing = plan.existing
        result = SheetResult()
        moved = {
            c
            for c, row in plan.rows.items()
            if c in existing and existing[c].parent_code != row.parent_code
        }
        final_paths = self._final_paths(plan, moved)
        child_counts = Counter(p for p in plan.final_parent.values() if p)
        now = timezone.now()
        today = ctx.today
        categories = dict(Category.objects.values_list("id", "name"))
        changes: list[audit.Change] = []
        events: list[tuple] = []
        updates = []
        for code, org in existing.items():
            row = plan.rows.get(code)
            path = final_paths.get(code, org.path)
            numchild = child_counts.get(code, 0)
            fields_changed = row is not None and (
                (row.name, row.org_type, row.category_id, row.staff_count, row.party_staff_count)
                != (org.name, org.org_type, org.category_id, org.staff_count, org.party_staff_count)
            )
            if not fields_changed and path == org.path and numchild == org.numchild:
                if row is not None:
                    result.unchanged += 1
                continue
            src = row or org
            updates.append(
                (
                    org.id,
                    src.name,
                    src.org_type,
                    src.category_id,
                    src.staff_count,
                    src.party_staff_count,
                    path,
                    len(path) // STEP,
                    numchild,
                    now,
                    code in moved,
                )
            )
            if row is None:
                continue
            if fields_changed or code in moved:
                result.updated += 1
            else:
                result.unchanged += 1
            before, after = self._audit_fields(org, categories), self._audit_fields(row, categories)
            if code in moved:
                before["上级组织编码"], after["上级组织编码"] = org.parent_code, row.parent_code
                events.append(
                    (org.id, OrgEventKind.MOVED, f"由 {org.parent_code} 调整到 {row.parent_code}")
                )
            if row.name != org.name:
                events.append((org.id, OrgEventKind.RENAMED, f"由“{org.name}”更名为“{row.name}”"))
            old, new = audit.diff(before, after)
            if new:
                action = audit.Action.MOVE if code in moved else audit.Action.UPDATE
                changes.append(audit.Change(action, "组织", org.id, row.name, path, old, new))
        self._write_updates(updates)
        new_codes = [c for c in plan.rows if c not in existing]
        insert_rows(
            Organization,
            [
                "path",
                "depth",
                "numchild",
                "code",
                "name",
                "org_type",
                "category",
                "staff_count",
                "party_staff_count",
                "parent",
                "established_on",
                "is_active",
                "updated_at",
            ],
            (
                (
                    final_paths[c],
                    len(final_paths[c]) // STEP,
                    child_counts.get(c, 0),
                    c,
                    plan.rows[c].name,
                    plan.rows[c].org_type,
                    plan.rows[c].category_id,
                    plan.rows[c].staff_count,
                    plan.rows[c].party_staff_count,
                    None,
                    None,  # the sheet has no founding date; the history records the import
                    True,
                    now,
                )
                for c in new_codes
            ),
        )
        result.created = len(new_codes)
        if new_codes or moved:
            self._link_parents()
        if new_codes:
            new_ids = {code: ref[0] for code, ref in org_refs(new_codes).items()}
            for c in new_codes:
                row = plan.rows[c]
                events.append((new_ids[c], OrgEventKind.ESTABLISHED, f"{row.name}（通过导入登记）"))
                after = self._audit_fields(row, categories)
                after["上级组织编码"] = row.parent_code
                changes.append(
                    audit.Change(
                        audit.Action.CREATE,
                        "组织",
                        new_ids[c],
                        row.name,
                        final_paths[c],
                        after=after,
                    )
                )
        label = audit.actor_label(ctx.actor)
        insert_rows(
            OrgEvent,
            ["organization", "kind", "happened_on", "summary", "actor_label", "created_at"],
            ((org_id, kind, today, summary[:300], label, now) for org_id, kind, summary in events),
        )
        if updates or new_codes:
            refresh_tree_rollups()
        if moved:  # the moved subtrees' posts now count for other ancestors
            refresh_post_tallies()
        audit.record(ctx.actor, changes)
        return result

    @staticmethod
    def _audit_fields(src, categories: dict[int, str]) -> dict:
        return {
            "组织名称": src.name,
            "组织类型": src.org_type,
            "组织类别": categories.get(src.category_id, ""),
            "工作人员数": src.staff_count,
            "专职党务人员数": src.party_staff_count,
        }

    @staticmethod
    def _write_updates(updates: list[tuple]) -> None:
        """Rows are (id, 9 field values…, moved). A moved row's parent is cleared here and
        set again from its new path by _link_parents."""
        fields = [
            "name",
            "org_type",
            "category",
            "staff_count",
            "party_staff_count",
            "path",
            "depth",
            "numchild",
            "updated_at",
        ]
        update_rows(Organization, fields, [u[:-1] for u in updates if not u[-1]])
        update_rows(Organization, [*fields, "parent"], [(*u[:-1], None) for u in updates if u[-1]])

    @staticmethod
    def _link_parents() -> None:
        """Set parent_id of new and moved organizations from their paths, in one statement."""
        parent_of = Organization.objects.filter(
            path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - STEP)
        ).values("id")[:1]
        Organization.objects.filter(depth__gt=1, parent__isnull=True).order_by().update(
            parent=Subquery(parent_of)
        )

    @staticmethod
    def _final_paths(plan: OrgPlan, moved: set[str]) -> dict[str, str]:
        """Paths after the import for new organizations, moved ones and their descendants."""
        existing = plan.existing
        max_child: dict[str, int] = {}
        for org in existing.values():
            if len(org.path) > STEP:
                parent_path = org.path[:-STEP]
                max_child[parent_path] = max(
                    max_child.get(parent_path, 0), decode_step(org.path[-STEP:])
                )
        next_step: dict[str, int] = {}
        memo: dict[str, str] = {}

        def path_of(code: str) -> str:
            if code in memo:
                return memo[code]
            chain = []
            current = code
            while current not in memo:
                chain.append(current)
                parent = plan.final_parent.get(current, "")
                if not parent:
                    break
                current = parent
            for node in reversed(chain):
                parent = plan.final_parent.get(node, "")
                ex = existing.get(node)
                if not parent:
                    memo[node] = ex.path if ex else encode_step(1)
                    continue
                parent_path = memo[parent]
                if ex is not None and node not in moved:
                    memo[node] = parent_path + ex.path[-STEP:]
                    continue
                if parent not in next_step:
                    pex = existing.get(parent)
                    next_step[parent] = max_child.get(pex.path, 0) if pex else 0
                next_step[parent] += 1
                memo[node] = parent_path + encode_step(next_step[parent])
            return memo[code]

        targets = [c for c in plan.rows if c not in existing or c in moved]
        if moved:
            old_prefixes = {existing[c].path for c in moved}
            for code, org in existing.items():
                if any(
                    org.path[: k * STEP] in old_prefixes for k in range(1, len(org.path) // STEP)
                ):
                    targets.append(code)
        # Parents before children, so fresh steps are handed out in file order.
        for code in sorted(targets, key=lambda c: plan.rows[c].number if c in plan.rows else 0):
            path_of(code)
        return {c: memo[c] for c in targets}

    # --- export -----------------------------------------------------------------------------

    def export_rows(self, user, reveal_pii: bool) -> Iterator[tuple]:
        return (
            Organization.objects.visible_to(user)
            .active()
            .order_by("path")
            .values_list(
                "code",
                "name",
                "parent__code",
                "org_type",
                "category__name",
                "staff_count",
                "party_staff_count",
            )
            .iterator(chunk_size=5000)
        )
