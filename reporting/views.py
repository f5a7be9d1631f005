"""Where cases wait (issue 18): the page; its CSV and XLSX downloads are reporting.exports. Thin:
parse the filters, check access (reporting.access: anyone else gets the same 404 as a missing page), read the selector,
log the children shown (casework.audit, as every list is logged), render.

Access is checked before the method, so anyone without the page gets the same 404 whatever they send;
the page and downloads take GET only.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import path

from casework.audit import filters_text, record_child_list_view
from reporting import selectors
from reporting.access import require_report_reader
from reporting.forms import WaitingFilterForm

# Rows of the list a page shows (the totals count every row).
PAGE_SIZE = 50


def log_children(request, items, *, channel: str) -> None:
    log_child_ids(request, [item.child_id for item in items], channel=channel)


def log_child_ids(request, ids: list[int], *, channel: str) -> None:
    if ids:
        record_child_list_view(
            user=request.user,
            child_ids=ids,
            channel=channel,
            path=request.path,
            query=filters_text(request.GET),
        )


def filter_form(request) -> WaitingFilterForm:
    agencies, panels = selectors.filter_choices(user=request.user)
    return WaitingFilterForm(request.GET or None, agencies=agencies, panels=panels)


def refuse_method(request) -> HttpResponseNotAllowed | None:
    if request.method in ("GET", "HEAD"):
        return None
    return HttpResponseNotAllowed(["GET", "HEAD"])


def waiting_page(request):
    """GET /reports/waiting/: the list, longest waits first, PAGE_SIZE a page, with the totals per
    agency of every row matching the filters. Bad filters: the form's errors, 400."""
    require_report_reader(request.user)
    if refused := refuse_method(request):
        return refused
    form = filter_form(request)
    context: dict = {"form": form, "nav_section": "reports"}
    if form.is_bound and not form.is_valid():
        return render(request, "reporting/waiting.html", context, status=400)
    filters = form.filters() if form.is_bound else selectors.WaitFilters()
    data = selectors.waiting(user=request.user, filters=filters)
    page = Paginator(data.items, PAGE_SIZE).get_page(request.GET.get("page"))
    log_children(request, page.object_list, channel="page")
    query = request.GET.copy()
    query.pop("page", None)
    context.update({"data": data, "page": page, "export_query": query.urlencode()})
    return render(request, "reporting/waiting.html", context)


urlpatterns = [
    path("waiting/", waiting_page, name="waiting"),
]
