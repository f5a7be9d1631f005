"""Time to decision (issue 18): the page (GET /reports/time-to-decision/) and its downloads, the rows
behind every figure: one row per referral (time-to-decision.csv, .xlsx) and one per recommendation
to an absent agency (time-to-decision-answers.csv, .xlsx). Thin: parse the filters, check access
(reporting.access: anyone else gets the same 404 as a missing page), read reporting.decision_times,
render or stream.

The page shows figures only, no child, so it logs no read; a download lists children, so it is
logged as every list is (casework.audit) and recorded in the audit trail
(reporting.services.decision_times_record_export).

The referrals' columns, in this order (never renamed or reordered; new ones only appended):

    Referral, Child ID, Child, Panel, Referring agency, Pathway, Month started, Status, Late paper,
    Started, Signed off, Submitted, Decided, Funding agreed, Package starts,
    Started to signed off, Signed off to submitted, Submitted to decided, Decided to funding agreed,
    Funding agreed to package starts, Started to decided, Latest outcome, Decisions, Deferrals,
    Returns for information

and the answers' columns:

    Recommendation, Referral, Child ID, Child, Panel, Absent agency, Meeting, Due, Status, Answered,
    Answer working days, On time

Stage lengths are working days; dates are ISO in CSV and dates in XLSX; text cells are made safe
from formula injection (casework.exports.safe_cell).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from casework.exports import XLSX_CONTENT_TYPE, csv_chunks, xlsx_file
from panels.models import Outcome, RecommendationStatus
from referrals.models import Pathway
from referrals.models import Status as ReferralStatus
from reporting import decision_times, services, views
from reporting.access import require_report_reader
from reporting.forms import TimeToDecisionFilterForm
from reporting.models import DecisionTimeline, RecommendationAnswer

TEMPLATE = "reporting/time_to_decision.html"

TIMELINE_COLUMNS = (
    "Referral",
    "Child ID",
    "Child",
    "Panel",
    "Referring agency",
    "Pathway",
    "Month started",
    "Status",
    "Late paper",
    "Started",
    "Signed off",
    "Submitted",
    "Decided",
    "Funding agreed",
    "Package starts",
    *decision_times.STAGES.values(),
    "Latest outcome",
    "Decisions",
    "Deferrals",
    "Returns for information",
)
ANSWER_COLUMNS = (
    "Recommendation",
    "Referral",
    "Child ID",
    "Child",
    "Panel",
    "Absent agency",
    "Meeting",
    "Due",
    "Status",
    "Answered",
    "Answer working days",
    "On time",
)
PATHWAYS = dict(Pathway.choices)
STATUSES = dict(ReferralStatus.choices)
OUTCOMES = dict(Outcome.choices)
ANSWER_STATUSES = dict(RecommendationStatus.choices)


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def timeline_lines(rows: Iterable[DecisionTimeline]) -> Iterator[dict[str, object]]:
    for row in rows:
        yield {
            "Referral": row.referral_id,
            "Child ID": row.child_id,
            "Child": row.child.full_name,
            "Panel": row.panel.name,
            "Referring agency": row.agency.name,
            "Pathway": PATHWAYS.get(row.pathway, row.pathway),
            "Month started": f"{row.month:%Y-%m}",
            "Status": STATUSES.get(row.status, row.status),
            "Late paper": row.is_late_paper,
            "Started": _local(row.started_at),
            "Signed off": _local(row.signed_off_at),
            "Submitted": _local(row.submitted_at),
            "Decided": _local(row.decided_at),
            "Funding agreed": _local(row.funding_agreed_at),
            "Package starts": row.package_starts_on,
            **{label: getattr(row, stage) for stage, label in decision_times.STAGES.items()},
            "Latest outcome": OUTCOMES.get(row.outcome, row.outcome),
            "Decisions": row.decisions,
            "Deferrals": row.deferrals,
            "Returns for information": row.returns,
        }


def answer_lines(rows: Iterable[RecommendationAnswer]) -> Iterator[dict[str, object]]:
    for row in rows:
        timeline = row.timeline
        yield {
            "Recommendation": row.recommendation_id,
            "Referral": timeline.referral_id,
            "Child ID": timeline.child_id,
            "Child": timeline.child.full_name,
            "Panel": timeline.panel.name,
            "Absent agency": row.agency.name,
            "Meeting": row.meeting_on,
            "Due": row.due_on,
            "Status": ANSWER_STATUSES.get(row.status, row.status),
            "Answered": row.answered_on,
            "Answer working days": row.answer_working_days,
            "On time": row.on_time,
        }


def filter_form(request) -> TimeToDecisionFilterForm:
    return TimeToDecisionFilterForm(
        request.GET or None, panels=decision_times.panel_choices(user=request.user)
    )


def _parsed(request):
    """The filters, or the page with the form's errors (400)."""
    form = filter_form(request)
    if form.is_bound and not form.is_valid():
        context = {"form": form, "nav_section": "reports"}
        return form, None, render(request, TEMPLATE, context, status=400)
    return form, (form.filters() if form.is_bound else decision_times.TimeFilters()), None


def time_to_decision_page(request):
    """GET /reports/time-to-decision/: the figures for the filters. Bad filters: the form's errors, 400."""
    require_report_reader(request.user)
    if refused := views.refuse_method(request):
        return refused
    form, filters, failed = _parsed(request)
    if failed is not None:
        return failed
    assert filters is not None
    data = decision_times.decision_times(user=request.user, filters=filters)
    query = request.GET.urlencode()
    context = {"form": form, "nav_section": "reports", "data": data, "export_query": query}
    return render(request, TEMPLATE, context)


def _export(request, *, rows: str, file_format: str):
    """Every row behind the figures for the filters: the audit event and the read log first, then
    the file (the CSV streamed as it is made; the XLSX written to a temporary file, then sent)."""
    require_report_reader(request.user)
    if refused := views.refuse_method(request):
        return refused
    _form, filters, failed = _parsed(request)
    if failed is not None:
        return failed
    assert filters is not None
    if rows == "referrals":
        timelines = list(
            decision_times.timeline_rows(user=request.user, filters=filters)
            .select_related("child", "panel", "agency")
            .order_by("month", "referral_id")
        )
        columns, lines, sheet = TIMELINE_COLUMNS, timeline_lines(timelines), "Time to decision"
        refs = [f"referral-{row.referral_id}" for row in timelines]
        child_ids = [row.child_id for row in timelines]
        name = "time-to-decision"
    else:
        answers = list(
            decision_times.answer_rows(user=request.user, filters=filters)
            .select_related("timeline__child", "timeline__panel", "agency")
            .order_by("meeting_on", "recommendation_id")
        )
        columns, lines, sheet = ANSWER_COLUMNS, answer_lines(answers), "Answers to recommendations"
        refs = [f"recommendation-{row.recommendation_id}" for row in answers]
        child_ids = [row.timeline.child_id for row in answers]
        name = "time-to-decision-answers"
    services.decision_times_record_export(
        actor=request.user, file_format=file_format, rows=rows, filters=filters.as_dict(), refs=refs
    )
    views.log_child_ids(request, child_ids, channel="export")
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    response: StreamingHttpResponse
    if file_format == "csv":
        response = StreamingHttpResponse(csv_chunks(columns, lines), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(
            xlsx_file(columns, lines, sheet=sheet),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_CONTENT_TYPE,
        )
    response["Cache-Control"] = "no-store"
    return response


def time_to_decision_csv(request):
    return _export(request, rows="referrals", file_format="csv")


def time_to_decision_xlsx(request):
    return _export(request, rows="referrals", file_format="xlsx")


def time_to_decision_answers_csv(request):
    return _export(request, rows="answers", file_format="csv")


def time_to_decision_answers_xlsx(request):
    return _export(request, rows="answers", file_format="xlsx")


urlpatterns = [
    path("time-to-decision/", time_to_decision_page, name="time_to_decision"),
    path("time-to-decision.csv", time_to_decision_csv, name="time_to_decision_csv"),
    path("time-to-decision.xlsx", time_to_decision_xlsx, name="time_to_decision_xlsx"),
    path("time-to-decision-answers.csv", time_to_decision_answers_csv, name="time_to_decision_answers_csv"),
    path(
        "time-to-decision-answers.xlsx", time_to_decision_answers_xlsx, name="time_to_decision_answers_xlsx"
    ),
]
