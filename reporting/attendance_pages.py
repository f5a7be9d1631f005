"""Attendance (issue 18): the page (GET /reports/attendance/) and its downloads (attendance.csv,
attendance.xlsx): one row per agency per meeting, the rows the page's figures and totals add up from.
Thin: parse the filters, check access (reporting.access: anyone else gets the same 404 as a missing
page), read reporting.attendance, render or stream.

Neither the page nor the downloads name a child (only meetings, agencies and counts), so no read is
logged; each download is recorded in the audit trail (reporting.attendance_services).

The download's columns, in this order (never renamed or reordered; new ones only appended):

    Meeting, Date, Panel, Agency, Seats, Present, Deputies, Apologies, Absent,
    Counted for quorum, Quorum needs, Agency quorate, Meeting quorate, Why not quorate,
    Decisions recommended to the agency

The last column follows the page's small-number rule ("fewer than 5"); dates are ISO in CSV and
dates in XLSX; text cells are made safe from formula injection (casework.exports.safe_cell).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from django import forms
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from casework.exports import XLSX_CONTENT_TYPE, csv_chunks, xlsx_file
from casework.forms import GovUKForm
from panels.models import Panel
from reporting import attendance, attendance_services, views
from reporting.access import require_report_reader
from reporting.forms import MonthField

TEMPLATE = "reporting/attendance.html"

COLUMNS = (
    "Meeting",
    "Date",
    "Panel",
    "Agency",
    "Seats",
    "Present",
    "Deputies",
    "Apologies",
    "Absent",
    "Counted for quorum",
    "Quorum needs",
    "Agency quorate",
    "Meeting quorate",
    "Why not quorate",
    "Decisions recommended to the agency",
)


class AttendanceFilterForm(GovUKForm):
    """The panel and the months of the meetings (the last twelve when neither is given)."""

    panel = forms.ModelChoiceField(
        label="Panel", queryset=Panel.objects.none(), required=False, empty_label="Any of your panels"
    )
    month_from = MonthField(label="Meetings from month")
    month_to = MonthField(label="Meetings up to month")

    def __init__(self, *args, panels: QuerySet[Panel], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["panel"]).queryset = panels

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("month_from"), data.get("month_to")
        if start and end and end < start:
            self.add_error(
                "month_to", "Meetings up to month must be the same as or after meetings from month"
            )
        elif not self.errors:
            first, last = self.filters().months()
            if attendance.months_between(first, last) > attendance.MAX_MONTHS:
                self.add_error(
                    "month_to", f"Choose {attendance.MAX_MONTHS} months or fewer (from {first:%Y-%m})"
                )
        return data

    def filters(self) -> attendance.AttendanceFilters:
        data = self.cleaned_data
        return attendance.AttendanceFilters(
            panel=data["panel"].pk if data.get("panel") else None,
            month_from=data.get("month_from"),
            month_to=data.get("month_to"),
        )


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


def lines(report: attendance.AttendanceReport) -> Iterator[dict[str, object]]:
    for row in report.meetings:
        meeting = row.meeting
        for line in row.lines:
            yield {
                "Meeting": meeting.pk,
                "Date": meeting.date,
                "Panel": meeting.panel.name,
                "Agency": line.agency.name,
                "Seats": line.expected,
                "Present": line.present,
                "Deputies": line.deputies,
                "Apologies": line.apologies,
                "Absent": line.absent,
                "Counted for quorum": line.counted,
                "Quorum needs": line.needed,
                "Agency quorate": _yes_no(line.met),
                "Meeting quorate": _yes_no(row.is_quorate) if row.recorded else "Not recorded",
                "Why not quorate": row.why_not,
                "Decisions recommended to the agency": str(line.recommendations_shown),
            }


def _parsed(request):
    """The form and the filters, or the page with the form's errors (400)."""
    form = AttendanceFilterForm(request.GET or None, panels=attendance.attendance_panels(user=request.user))
    if form.is_bound and not form.is_valid():
        return form, None, render(request, TEMPLATE, {"form": form, "nav_section": "reports"}, status=400)
    return form, (form.filters() if form.is_bound else attendance.AttendanceFilters()), None


def attendance_page(request):
    """GET /reports/attendance/: the meetings and the totals per agency for the filters. Bad
    filters: the form's errors, 400."""
    require_report_reader(request.user)
    if refused := views.refuse_method(request):
        return refused
    form, filters, failed = _parsed(request)
    if failed is not None:
        return failed
    assert filters is not None
    report = attendance.attendance_report(user=request.user, filters=filters)
    context = {
        "form": form,
        "nav_section": "reports",
        "data": report,
        "export_query": request.GET.urlencode(),
    }
    return render(request, TEMPLATE, context)


def _export(request, *, file_format: str):
    """The rows behind the figures: the audit event first, then the file."""
    require_report_reader(request.user)
    if refused := views.refuse_method(request):
        return refused
    _form, filters, failed = _parsed(request)
    if failed is not None:
        return failed
    assert filters is not None
    report = attendance.attendance_report(user=request.user, filters=filters)
    attendance_services.attendance_record_export(
        actor=request.user,
        file_format=file_format,
        filters=filters.as_dict(),
        refs=[f"meeting-{row.meeting.pk}" for row in report.meetings],
    )
    filename = f"attendance-{timezone.localdate():%Y-%m-%d}.{file_format}"
    response: StreamingHttpResponse
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_chunks(COLUMNS, lines(report)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(
            xlsx_file(COLUMNS, lines(report), sheet="Attendance"),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_CONTENT_TYPE,
        )
    response["Cache-Control"] = "no-store"
    return response


def attendance_csv(request):
    return _export(request, file_format="csv")


def attendance_xlsx(request):
    return _export(request, file_format="xlsx")


urlpatterns = [
    path("attendance/", attendance_page, name="attendance"),
    path("attendance.csv", attendance_csv, name="attendance_csv"),
    path("attendance.xlsx", attendance_xlsx, name="attendance_xlsx"),
]
