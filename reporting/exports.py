"""The downloads of Where cases wait (GET /reports/waiting.csv and .xlsx): the same rows as the page (every row, not one page), in this
order of columns (never renamed or reordered; new ones only appended):

    Kind, Item, Stage, Child ID, Child, Agency holding the next step, Person, Since,
    Working days waiting, Clock, Due, Overdue, Panel

Item is the item's stable id ("referral-12", "share-7", "case-3", "recommendation-5",
"escalation-2"). Dates are ISO in CSV and dates in XLSX; text cells are made safe from formula
injection (casework.exports.safe_cell).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from casework.exports import XLSX_CONTENT_TYPE, csv_chunks, xlsx_file
from reporting import selectors, services, views
from reporting.access import require_report_reader
from reporting.selectors import Wait

COLUMNS = (
    "Kind",
    "Item",
    "Stage",
    "Child ID",
    "Child",
    "Agency holding the next step",
    "Person",
    "Since",
    "Working days waiting",
    "Clock",
    "Due",
    "Overdue",
    "Panel",
)


def lines(items: Iterable[Wait]) -> Iterator[dict[str, object]]:
    for item in items:
        yield {
            "Kind": item.kind_label,
            "Item": item.ref,
            "Stage": item.stage,
            "Child ID": item.child_id,
            "Child": item.child_name,
            "Agency holding the next step": item.agency_name,
            "Person": item.person,
            "Since": item.since,
            "Working days waiting": item.waited_working_days,
            "Clock": item.clock,
            "Due": item.due_on,
            "Overdue": item.overdue,
            "Panel": item.panel_name,
        }


def _export(request, file_format: str):
    """Every row matching the filters: the audit event and the read log first, then the file (the
    CSV streamed as it is made; the XLSX written to a temporary file, then sent)."""
    require_report_reader(request.user)
    if refused := views.refuse_method(request):
        return refused
    form = views.filter_form(request)
    if form.is_bound and not form.is_valid():
        return render(request, "reporting/waiting.html", {"form": form, "nav_section": "reports"}, status=400)
    filters = form.filters() if form.is_bound else selectors.WaitFilters()
    data = selectors.waiting(user=request.user, filters=filters)
    services.waiting_record_export(
        actor=request.user,
        file_format=file_format,
        filters=filters.as_dict(),
        refs=[item.ref for item in data.items],
    )
    views.log_children(request, data.items, channel="export")
    name = f"where-cases-wait-{timezone.localdate():%Y-%m-%d}.{file_format}"
    response: StreamingHttpResponse
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_chunks(COLUMNS, lines(data.items)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        response = FileResponse(
            xlsx_file(COLUMNS, lines(data.items), sheet="Where cases wait"),
            as_attachment=True,
            filename=name,
            content_type=XLSX_CONTENT_TYPE,
        )
    response["Cache-Control"] = "no-store"
    return response


def waiting_csv(request):
    return _export(request, "csv")


def waiting_xlsx(request):
    return _export(request, "xlsx")


urlpatterns = [
    path("waiting.csv", waiting_csv, name="waiting_csv"),
    path("waiting.xlsx", waiting_xlsx, name="waiting_xlsx"),
]
