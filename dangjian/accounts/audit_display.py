"""How an audit entry's before and after read on a page: the fields in the order of the
object's sheet (SPEC §5: 身份证号, 姓名, 性别 … for 党员), each with its old and new value.

Entries store their fields as canonical JSON (keys sorted, so the chain's hashes are stable);
the order a person reads them in is made here."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from dangjian.accounts.choices import Action
from dangjian.core.html_rows import html_rows
from dangjian.imports.registry import SheetResult, get_sheet, registered_sheets

EMPTY = "（空）"


ABSENT = object()  # a side of the entry that does not record the field


@dataclass(frozen=True)
class FieldChange:
    """One field of an entry: its value before and after (ABSENT where that side of the entry
    does not record it; a recorded value may itself be None)."""

    field: str
    before: object
    after: object

    @property
    def has_before(self) -> bool:
        return self.before is not ABSENT

    @property
    def has_after(self) -> bool:
        return self.after is not ABSENT


def field_changes(entry) -> list[FieldChange]:
    """The fields `entry` records, in its object's sheet order; fields no sheet lists keep
    their stored order after those."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    order = {field: i for i, field in enumerate(_field_order(entry))}
    fields = sorted(dict.fromkeys([*before, *after]), key=lambda f: order.get(f, len(order)))
    return [FieldChange(f, before.get(f, ABSENT), after.get(f, ABSENT)) for f in fields]


# The order fields of objects that have no sheet are read in (a run's figures: the total
# first, then its parts), registered by the capability that records them.
_FIELD_ORDERS: dict[str, tuple[str, ...]] = {}


def register_field_order(object_type: str, fields: tuple[str, ...]) -> None:
    """Show the fields of `object_type`'s entries in this order (before any others)."""
    _FIELD_ORDERS[object_type] = tuple(fields)


def _field_order(entry) -> tuple[str, ...]:
    """An import's sheets in load order; an object's fields in its sheet's column order, or in
    the order its capability registered."""
    if entry.action == Action.IMPORT:
        return tuple(importer.sheet for importer in registered_sheets())
    sheet = get_sheet(entry.object_type)
    return sheet.columns if sheet else _FIELD_ORDERS.get(entry.object_type, ())


COUNTS = frozenset(("created", "updated", "unchanged"))


def shown(value) -> str:
    """A recorded value in words: an import's counts as “新增 3，更新 1，未变 40”, lists joined
    by “、”, other mappings as “键：值”, yes and no as “是”, “否”."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        if set(value) == COUNTS:
            return SheetResult(**value).counts_text()
        return "，".join(f"{key}：{shown(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "、".join(map(shown, value))
    return str(value)


def change_lines(entry) -> list[str]:
    """An entry's fields as a person reads them: "字段：值" for what was created (empty
    fields left out), "字段：旧 → 新" where the entry holds both values."""
    lines = []
    for change in field_changes(entry):
        after = change.after if change.has_after else None
        if entry.action == Action.CREATE:
            if after not in (None, ""):
                lines.append(f"{change.field}：{shown(after)}")
        elif change.has_before:
            lines.append(f"{change.field}：{shown(change.before)} → {shown(after)}")
        else:
            lines.append(f"{change.field}：{shown(after)}")
    return lines


def value_cells(entry) -> tuple[SafeString, SafeString]:
    """The audit page's 变更前 and 变更后 cells of `entry`: a line “字段：值” for each field that
    side records, escaped. Made here rather than by the template's loops: the page shows 50
    entries of up to a dozen fields each, which the template language rendered three times
    slower than the rest of the page."""
    fields = field_changes(entry)
    return (
        _lines((f.field, f.before) for f in fields if f.has_before),
        _lines((f.field, f.after) for f in fields if f.has_after),
    )


def _lines(values) -> SafeString:
    """“字段：值<br>” for each (field, value), escaped."""
    return mark_safe("".join(f"{escape(field)}：{escape(shown(v))}<br>" for field, v in values))


_ROW = (
    '<tr><td class="text-nowrap">{at}</td><td class="audit-actor">{actor}</td>'
    '<td class="text-nowrap">{action}</td><td class="audit-object">{object}</td>\n'
    '<td class="small audit-values" data-label="变更前">{before}</td>\n'
    '<td class="small audit-values" data-label="变更后">{after}</td></tr>\n'
)
_NO_ENTRIES = '<tr><td colspan="6" class="text-muted">暂无记录</td></tr>'


def table_rows(entries) -> SafeString:
    """The body of the audit page's table: each entry's time (local), actor, action, object
    and its 变更前 and 变更后 cells (`value_cells`), escaped (`core.html_rows`). The table's
    head is in `accounts/audit.html`: a column added there is added to `_ROW` too."""
    rows = []
    for entry in entries:
        before, after = value_cells(entry)
        rows.append(
            {
                "at": f"{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}",
                "actor": entry.actor_label,
                "action": entry.action_label,
                "object": f"{entry.object_type} {entry.object_repr}",
                "before": before,
                "after": after,
            }
        )
    return html_rows(_ROW, rows, _NO_ENTRIES)
