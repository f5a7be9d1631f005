"""The read log of the panels' lists, exports and PDFs (issue 12: every read of a child's personal
data is logged, lists and searches included), for the pages and the API alike."""

from __future__ import annotations

from collections.abc import Iterable

from casework.audit import filters_text, record_child_list_view


def log_children(request, child_ids: Iterable[int | None], *, channel: str = "page") -> None:
    """One row naming the children the answer showed, from rows already loaded (no query per row),
    with the list's filters. A list that showed no child logs nothing: its filters name nobody."""
    ids = [pk for pk in child_ids if pk]
    if ids:
        record_child_list_view(
            user=request.user,
            child_ids=ids,
            channel=channel,
            path=request.path,
            query=filters_text(request.GET),
        )
