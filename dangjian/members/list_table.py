"""The body of the member list's table (党员名册), as HTML made in one pass over a page.

The list is the page officers open most, 50 rows of 9 cells. Printed through the template
language, each cell went through variable look-up and escaping of its own, half the request's
time; here every value is escaped with the standard library's `html.escape` and the row is one
format string. The table's head stays in `members/list.html`: a column added there is added
to `_ROW` too.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

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
_TEXT_CELLS = (
    "url",
    "name",
    "gender",
    "birth_date",
    "join_date",
    "organization_url",
    "organization",
    "posts",
    "id_masked",
    "phone_masked",
)
_PROBATIONARY = '<span class="badge text-bg-warning">预备</span>'
_FULL = "正式"
EMPTY = '<tr><td colspan="9" class="text-muted">没有符合条件的党员</td></tr>'


def table_rows(rows: list[dict]) -> SafeString:
    """The `<tr>`s of `rows` (`selectors.page_rows`), every text escaped; the empty-list
    row when there are none."""
    if not rows:
        return mark_safe(EMPTY)
    html = []
    for row in rows:
        cells = {name: escape(row[name]) for name in _TEXT_CELLS}
        cells["member_type"] = _PROBATIONARY if row["probationary"] else _FULL
        html.append(_ROW.format_map(cells))
    return mark_safe("".join(html))
