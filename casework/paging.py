"""A paginator that reads the page asked for and the number of rows in one query (issue 17: a list
page within 8 queries): the page's rows carry `count(*) OVER ()`, the rows counted before LIMIT.

Only when that page is empty (no rows, or a page past the last one) does it count on its own and
fall back to Django's Paginator, which then reads the page it settles on.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

__all__ = ["MAX_GUESSED_PAGE", "WindowCountPaginator"]

_TOTAL = "paging_total"
# Beyond this page number the page is not guessed: counted first, as Django does (no OFFSET past
# a bigint from a hostile ?page=).
MAX_GUESSED_PAGE = 100_000


class WindowCountPaginator(Paginator):
    """Paginator over an ordered QuerySet; `get_page` answers the count and the page in one query.

    A queryset with DISTINCT or GROUP BY (a window counts rows before either) and paginators with
    orphans get Django's two queries."""

    def get_page(self, number: Any) -> Page:
        queryset = self.object_list
        if (
            not isinstance(queryset, QuerySet)
            or self.orphans
            or queryset.query.distinct
            or queryset.query.group_by
        ):
            return super().get_page(number)
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        wanted = max(wanted, 1)
        if wanted > MAX_GUESSED_PAGE:  # past any real page (a bigint OFFSET can overflow): count first
            return super().get_page(number)
        bottom = (wanted - 1) * self.per_page
        rows = list(queryset.annotate(**{_TOTAL: Window(Count("*"))})[bottom : bottom + self.per_page])
        if not rows:
            return super().get_page(number)
        self.__dict__["count"] = getattr(rows[0], _TOTAL)  # Paginator.count is a cached_property
        return Page(rows, wanted, self)
