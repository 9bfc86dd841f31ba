"""The rows of a long table as HTML made in one pass, for the pages officers open most (the
member list, the audit log: 50 rows each).

The template language looks up and escapes every cell on its own, which made these tables half
of their pages' time; here a row is one format string filled by `str.format_map`. Every value
is escaped with the standard library's `html.escape` unless it is already safe HTML
(`SafeString`, made by `format_html` or `mark_safe`): escaping stays the default, as in a
template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from django.utils.safestring import SafeData, SafeString, mark_safe


def html_rows(row_format: str, rows: Iterable[Mapping[str, object]], empty: str) -> SafeString:
    """Each row of `rows` put into `row_format` (`{name}` for the row's value `name`), the
    values escaped; `empty` (HTML) when there are no rows."""
    html = [row_format.format_map(_Escaped(row)) for row in rows]
    return mark_safe("".join(html) if html else empty)


class _Escaped:
    """A row's values as `format_map` reads them: escaped text, safe HTML as it is."""

    __slots__ = ("row",)

    def __init__(self, row: Mapping[str, object]):
        self.row = row

    def __getitem__(self, name: str) -> str:
        value = self.row[name]
        if type(value) is str:  # nearly every cell: plain text
            return escape(value)
        return value if isinstance(value, SafeData) else escape(str(value))
