"""Pagination whose total can come from a rollup instead of COUNT(*) over millions of rows."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class KnownCountPaginator(Paginator):
    """A Paginator that trusts a total computed elsewhere (None: count as usual)."""

    def __init__(self, object_list, per_page, *args, count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return self._known_count
        return super().count
