"""GET /api/reports/time-to-decision/: Time to decision for systems (issue 18): the same figures as the
page (reporting.decision_times, the same access and the same small-number rule), and, paginated as
every list of the API (`?page=`, `count`, `next`, `previous`), the referrals behind them (`results`:
one summary row per referral of the children the caller's agency is involved with). A filter that is
not one of the caller's panels, not a pathway or breakdown, or not a month like 2026-03 is a 400
naming the field; anyone who may not see the report gets the same 404 as a missing page. Each page
read is logged (the children its rows name, channel "api").
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from casework.api_kit import NOT_FOUND, NOT_SIGNED_IN, caller, field_errors, parsed
from casework.audit import filters_text, record_child_list_view
from panels.access import panels_visible_to
from panels.models import Panel
from referrals.models import Pathway
from reporting import decision_times
from reporting.access import require_report_reader
from reporting.decision_times import Figure
from reporting.models import DecisionTimeline

__all__ = ["urlpatterns"]


MONTH = r"^((19|20)[0-9]{2}-(0[1-9]|1[0-2]))?$"  # empty: no filter, as on the page


def _month(text: str | None) -> dt.date | None:
    return dt.datetime.strptime(text, "%Y-%m").date() if text else None  # noqa: DTZ007 - a month


class TimeToDecisionQuerySerializer(serializers.Serializer):
    panel = serializers.PrimaryKeyRelatedField(queryset=Panel.objects.none(), required=False, allow_null=True)
    pathway = serializers.ChoiceField(choices=Pathway.choices, required=False, allow_blank=True)
    month_from = serializers.RegexField(
        MONTH, required=False, allow_blank=True, help_text="The first month started, like 2026-03"
    )
    month_to = serializers.RegexField(
        MONTH,
        required=False,
        allow_blank=True,
        help_text="The last month started, like 2026-08 (before month_from, nothing matches)",
    )
    by = serializers.ChoiceField(
        choices=list(decision_times.DIMENSIONS.items()),
        required=False,
        allow_blank=True,
        help_text="What the breakdown is by (panel when not given)",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None:  # the schema generator's instance
            return
        cast(serializers.PrimaryKeyRelatedField, self.fields["panel"]).queryset = panels_visible_to(user=user)

    @staticmethod
    def filters(data: dict) -> decision_times.TimeFilters:
        return decision_times.TimeFilters(
            panel=data["panel"].pk if data.get("panel") else None,
            pathway=data.get("pathway") or None,
            month_from=_month(data.get("month_from")),
            month_to=_month(data.get("month_to")),
            by=data.get("by") or "panel",
        )


@extend_schema_serializer(component_name="ReportRef")
class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="ReportFigure")
class FigureSerializer(serializers.Serializer):
    value = serializers.FloatField(
        allow_null=True, help_text="Null when suppressed, or when there is nothing to measure"
    )
    suppressed = serializers.BooleanField(help_text="A count from 1 to 4, or a figure over fewer than 5")


@extend_schema_serializer(component_name="TimeToDecisionStage")
class StageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=list(decision_times.STAGES.items()))
    name = serializers.CharField()
    referrals = FigureSerializer(help_text="Referrals that reached the stage's end")
    median = FigureSerializer(help_text="Working days")
    p90 = FigureSerializer(help_text="Working days: the 90th percentile")


@extend_schema_serializer(component_name="TimeToDecisionGroup")
class GroupSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The panel's or agency's id, the pathway, or the month's first day")
    name = serializers.CharField()
    referrals = FigureSerializer()
    stages = StageSerializer(many=True)


@extend_schema_serializer(component_name="TimeToDecisionOutcome")
class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    name = serializers.CharField()
    referrals = FigureSerializer(help_text="Referrals whose latest decision had this outcome")


@extend_schema_serializer(component_name="TimeToDecisionAnswers")
class AnswersSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='The answering agency\'s id, or "all"')
    name = serializers.CharField()
    made = FigureSerializer()
    answered = FigureSerializer()
    on_time = FigureSerializer()
    overdue = FigureSerializer(help_text="Not answered, and past the date")
    median = FigureSerializer(help_text="Working days from the meeting to the answer")
    p90 = FigureSerializer()


@extend_schema_serializer(component_name="TimeToDecisionFigures")
class FiguresSerializer(serializers.Serializer):
    referrals = FigureSerializer()
    late_papers = FigureSerializer()
    deferrals = FigureSerializer()
    returns = FigureSerializer(help_text="Returns for more information")
    stages = StageSerializer(many=True)
    by = serializers.ChoiceField(choices=list(decision_times.DIMENSIONS.items()))
    groups = GroupSerializer(many=True)
    outcomes = OutcomeSerializer(many=True)
    answers = AnswersSerializer()
    answers_by_agency = AnswersSerializer(many=True)
    refreshed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the latest rows were worked out"
    )


@extend_schema_serializer(component_name="TimeToDecisionReferral")
class TimelineSerializer(serializers.Serializer):
    referral = serializers.IntegerField()
    url = serializers.CharField(help_text="The referral's page")
    child = RefSerializer()
    panel = RefSerializer()
    agency = RefSerializer(help_text="The referring agency")
    pathway = serializers.ChoiceField(choices=Pathway.choices)
    month = serializers.CharField(help_text="The month the referral was started, like 2026-03")
    status = serializers.CharField()
    late_paper = serializers.BooleanField()
    started_at = serializers.DateTimeField()
    signed_off_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    funding_agreed_at = serializers.DateTimeField(allow_null=True)
    package_starts_on = serializers.DateField(allow_null=True)
    working_days = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Each stage's working days, null if not reached",
    )
    outcome = serializers.CharField(allow_blank=True, help_text="The latest decision's outcome")
    decisions = serializers.IntegerField()
    deferrals = serializers.IntegerField()
    returns = serializers.IntegerField()


def _figure(figure: Figure) -> dict:
    return {"value": figure.value, "suppressed": figure.suppressed}


def _stage(stage: decision_times.StageFigures) -> dict:
    return {
        "stage": stage.stage,
        "name": stage.label,
        "referrals": _figure(stage.referrals),
        "median": _figure(stage.median),
        "p90": _figure(stage.p90),
    }


def _answers(row: decision_times.AnswerFigures) -> dict:
    return {
        "key": row.key,
        "name": row.label,
        **{
            name: _figure(getattr(row, name))
            for name in ("made", "answered", "on_time", "overdue", "median", "p90")
        },
    }


def figures_payload(data: decision_times.DecisionTimes) -> dict:
    return {
        "referrals": _figure(data.referrals),
        "late_papers": _figure(data.late_papers),
        "deferrals": _figure(data.deferrals),
        "returns": _figure(data.returns),
        "stages": [_stage(s) for s in data.stages],
        "by": data.by,
        "groups": [
            {
                "key": g.key,
                "name": g.label,
                "referrals": _figure(g.referrals),
                "stages": [_stage(s) for s in g.stages],
            }
            for g in data.groups
        ],
        "outcomes": [
            {"outcome": value, "name": label, "referrals": _figure(figure)}
            for value, label, figure in data.outcomes
        ],
        "answers": _answers(data.answers),
        "answers_by_agency": [_answers(a) for a in data.answers_by_agency],
        "refreshed_at": data.refreshed_at,
    }


def _timeline(row: DecisionTimeline) -> dict:
    return {
        "referral": row.referral_id,
        "url": reverse("referrals:detail", args=[row.referral_id]),
        "child": {"id": row.child_id, "name": row.child.full_name},
        "panel": {"id": row.panel_id, "name": row.panel.name},
        "agency": {"id": row.agency_id, "name": row.agency.name},
        "pathway": row.pathway,
        "month": f"{row.month:%Y-%m}",
        "status": row.status,
        "late_paper": row.is_late_paper,
        "started_at": row.started_at,
        "signed_off_at": row.signed_off_at,
        "submitted_at": row.submitted_at,
        "decided_at": row.decided_at,
        "funding_agreed_at": row.funding_agreed_at,
        "package_starts_on": row.package_starts_on,
        "working_days": {stage: getattr(row, stage) for stage in decision_times.STAGES},
        "outcome": row.outcome,
        "decisions": row.decisions,
        "deferrals": row.deferrals,
        "returns": row.returns,
    }


class TimeToDecisionView(GenericAPIView):
    serializer_class = TimelineSerializer

    @extend_schema(
        summary="Time to decision: how long referrals take, as medians and 90th percentiles",
        description="From started to signed off, submitted, decided, funding agreed and the package "
        "starting, in working days, overall and by panel, referring agency, pathway or month started; "
        "late papers, deferrals, returns for more information, outcomes, and recommendations to absent "
        "agencies with their answer times (`figures`). Counts from 1 to 4 and figures over fewer than "
        "5 are suppressed. `results` are the referrals behind the figures, paginated. Read from "
        "summaries worked out ahead of time. For team and service managers, panel chairs and "
        "administrators, finance approvers and partnership administrators; 404 for anyone else.",
        parameters=[
            TimeToDecisionQuerySerializer,
            OpenApiParameter("page", int, description="The page of `results`, from 1"),
        ],
        responses={
            200: inline_serializer(
                "TimeToDecisionPage",
                fields={
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": TimelineSerializer(many=True),
                    "figures": FiguresSerializer(),
                },
            ),
            400: field_errors(
                "Not a month", {"month_from": ["This value does not match the required pattern."]}
            ),
            401: NOT_SIGNED_IN,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request) -> Response:
        user = caller(request)
        require_report_reader(user, api=True)
        query = parsed(TimeToDecisionQuerySerializer, request.query_params, user=user)
        filters = TimeToDecisionQuerySerializer.filters(query)
        data = decision_times.decision_times(user=user, filters=filters)
        rows = (
            decision_times.timeline_rows(user=user, filters=filters)
            .select_related("child", "panel", "agency")
            .order_by("month", "referral_id")
        )
        page = self.paginate_queryset(rows)
        assert page is not None  # the project paginates every list
        ids = [row.child_id for row in page]
        if ids:  # the read log: the children this page named
            record_child_list_view(
                user=user, child_ids=ids, channel="api", path=request.path, query=filters_text(request.GET)
            )
        response = self.get_paginated_response(
            TimelineSerializer([_timeline(r) for r in page], many=True).data
        )
        response.data["figures"] = FiguresSerializer(figures_payload(data)).data
        return response


urlpatterns = [
    path("reports/time-to-decision/", TimeToDecisionView.as_view(), name="api-reports-time-to-decision"),
]
