"""GET /my-work/all/<group>/: one heading of My work in full, a page at a time (issue 16). The My
work page lists the first few items of each group (casework.my_work.GROUP_SHOWN) and links here
with "See all"; this page reads the group's feeds to the end of the page asked for, in the same
fixed number of queries, whatever the number of items."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from casework.access import NOT_FOUND_MESSAGE
from casework.my_work import GROUP_PAGE_SIZE, group_headings, my_work_group

__all__ = ["group_page"]


# Past any group's last page: a page number beyond it is read as this one (then as the last page),
# so a huge number never reaches SQL's LIMIT.
MAX_PAGE = 10_000


def _page_number(raw: str | None) -> int:
    try:
        return min(MAX_PAGE, max(1, int(raw or 1)))
    except ValueError:
        return 1


def group_page(request, group: str):
    """The person's items under one heading, most urgent first, GROUP_PAGE_SIZE a page (GOV.UK
    pagination, plain links). A heading My work does not know is a 404; a page past the last shows
    the last."""
    heading = group_headings().get(group)
    if heading is None:
        raise Http404(NOT_FOUND_MESSAGE)
    number = _page_number(request.GET.get("page"))
    work = my_work_group(user=request.user, heading=heading, page=number)
    last = max(1, -(-work.count // GROUP_PAGE_SIZE))
    if number > last:
        number = last
        work = my_work_group(user=request.user, heading=heading, page=number)
    # The page's links and "Showing x to y"; its items are the group's, read above.
    page = Paginator(range(work.count), GROUP_PAGE_SIZE).get_page(number)
    return render(
        request,
        "casework/my_work_group.html",
        {"group": work, "page": page, "nav_section": "home"},
    )
