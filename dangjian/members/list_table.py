"""The body of the member list's table (党员名册): the rows of `selectors.page_rows` as HTML,
made by `core.html_rows` (the template loop that printed them was half of the page's time).
The table's head stays in `members/list.html`: a column added there is added to `_ROW` too.
"""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe

from dangjian.core.html_rows import html_rows

_ROW = (
    '<tr><td><a href="{url}">{name}</a></td><td>{gender}</td>'
    '<td class="d-none d-md-table-cell">{birth_date}</td>'
    '<td class="d-none d-md-table-cell">{join_date}</td>'
    "<td>{member_type}</td>"
    '<td class="text-truncate cell-org"><a href="{organization_url}">{organization}</a></td>'
    '<td class="d-none d-md-table-cell">{posts}</td>'
    '<td class="d-none d-lg-table-cell mono">{id_masked}</td>'
    '<td class="d-none d-lg-table-cell mono">{phone_masked}</td></tr>\n'
)
_PROBATIONARY = mark_safe('<span class="badge text-bg-warning">预备</span>')
_FULL = "正式"
EMPTY = '<tr><td colspan="9" class="text-muted">没有符合条件的党员</td></tr>'


def table_rows(rows: list[dict]) -> SafeString:
    """The `<tr>`s of `rows` (`selectors.page_rows`), every text escaped; the empty-list
    row when there are none."""
    shown = (
        {**row, "member_type": _PROBATIONARY if row["probationary"] else _FULL} for row in rows
    )
    return html_rows(_ROW, shown, EMPTY)
