"""GET /api/reports/waiting/: Where cases wait for systems (issue 18): the same rows as the page
(reporting.selectors.waiting, the same access), paginated as every list of the API (`?page=`, the
REST framework's PAGE_SIZE a page, `count`, `next`, `previous`), with `overdue` and the totals per
holding agency over every row matching the filters. A filter that is not one of the caller's
agencies or panels, or not a kind, is a 400 naming the field; anyone who may not see the report gets
the same 404 as a missing page. Each page read is logged (the children it showed, channel "api").
"""

from __future__ import annotations

from typing import cast

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from casework.access import agencies_visible_to
from casework.api_kit import NOT_FOUND, NOT_SIGNED_IN, caller, field_errors, parsed
from casework.audit import filters_text, record_child_list_view
from casework.models import Agency
from panels.access import panels_visible_to
from panels.models import Panel
from reporting import attendance_api, decision_times_api, selectors
from reporting.access import require_report_reader

__all__ = ["urlpatterns"]


class WaitingQuerySerializer(serializers.Serializer):
    # An empty filter means no filter, as on the page.
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.none(),
        required=False,
        allow_null=True,
        help_text="The agency holding the next step",
    )
    kind = serializers.ChoiceField(choices=list(selectors.KINDS), required=False, allow_blank=True)
    panel = serializers.PrimaryKeyRelatedField(queryset=Panel.objects.none(), required=False, allow_null=True)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None:  # the schema generator's instance
            return
        cast(serializers.PrimaryKeyRelatedField, self.fields["agency"]).queryset = agencies_visible_to(
            user=user
        )
        cast(serializers.PrimaryKeyRelatedField, self.fields["panel"]).queryset = panels_visible_to(user=user)

    @staticmethod
    def filters(data: dict) -> selectors.WaitFilters:
        return selectors.WaitFilters(
            agency=data["agency"].pk if data.get("agency") else None,
            kind=data.get("kind") or None,
            panel=data["panel"].pk if data.get("panel") else None,
        )


@extend_schema_serializer(component_name="WaitingRef")
class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="WaitingChild")
class ChildRefSerializer(RefSerializer):
    url = serializers.CharField(help_text="The child's page")


@extend_schema_serializer(component_name="WaitingItem")
class WaitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(selectors.KINDS.items()))
    item = serializers.CharField(help_text='A stable id across kinds, such as "referral-12"')
    stage = serializers.CharField()
    child = ChildRefSerializer()
    url = serializers.CharField(help_text="The page where the item is followed")
    agency = RefSerializer(allow_null=True, help_text="The agency holding the next step")
    person = serializers.CharField(allow_blank=True, help_text="Who holds it, when one is named")
    since = serializers.DateField(help_text="Since when the item has waited on its holder")
    waited_working_days = serializers.IntegerField()
    clock = serializers.CharField(help_text="The rule that applies, with the panel's or pathway's number")
    due_on = serializers.DateField(allow_null=True, help_text="When the clock runs out, if it has a date")
    overdue = serializers.BooleanField()
    panel = RefSerializer(allow_null=True)


@extend_schema_serializer(component_name="WaitingAgencyTotal")
class TotalSerializer(serializers.Serializer):
    agency = RefSerializer(allow_null=True)
    items = serializers.IntegerField()
    overdue = serializers.IntegerField()
    longest_working_days = serializers.IntegerField()


def _payload(item: selectors.Wait) -> dict:
    return {
        "kind": item.kind,
        "item": item.ref,
        "stage": item.stage,
        "child": {"id": item.child_id, "name": item.child_name, "url": item.child_url},
        "url": item.url,
        "agency": {"id": item.agency_id, "name": item.agency_name} if item.agency_id else None,
        "person": item.person,
        "since": item.since,
        "waited_working_days": item.waited_working_days,
        "clock": item.clock,
        "due_on": item.due_on,
        "overdue": item.overdue,
        "panel": {"id": item.panel_id, "name": item.panel_name} if item.panel_id else None,
    }


def _total(total: selectors.AgencyTotal) -> dict:
    return {
        "agency": {"id": total.agency_id, "name": total.agency_name} if total.agency_id else None,
        "items": total.items,
        "overdue": total.overdue,
        "longest_working_days": total.longest_working_days,
    }


class WaitingView(GenericAPIView):
    serializer_class = WaitSerializer

    @extend_schema(
        summary="Where cases wait: every open item of the children your agency is involved with",
        description="Open referrals, recommendations to absent agencies, funding approvals, pathway "
        "cases (Continuing Care, IFR) and escalations, each with the agency and person holding the next "
        "step, since when, and the clock that applies (the panel's or pathway's setting); the longest "
        "waits first. `totals` counts every row matching the filters by holding agency. For team and "
        "service managers, panel chairs and administrators, finance approvers and partnership "
        "administrators; 404 for anyone else.",
        parameters=[WaitingQuerySerializer, OpenApiParameter("page", int, description="The page, from 1")],
        responses={
            200: inline_serializer(
                "WaitingPage",
                fields={
                    "count": serializers.IntegerField(),
                    "overdue": serializers.IntegerField(help_text="Overdue items among all those counted"),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": WaitSerializer(many=True),
                    "totals": TotalSerializer(many=True),
                },
            ),
            400: field_errors(
                "Not one of your agencies", {"agency": ['Invalid pk "9" - object does not exist.']}
            ),
            401: NOT_SIGNED_IN,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request) -> Response:
        user = caller(request)
        require_report_reader(user, api=True)
        query = parsed(WaitingQuerySerializer, request.query_params, user=user)
        data = selectors.waiting(user=user, filters=WaitingQuerySerializer.filters(query))
        page: list[selectors.Wait] | None = self.paginate_queryset(data.items)  # type: ignore[arg-type]
        assert page is not None  # the project paginates every list
        ids = [item.child_id for item in page]
        if ids:  # the read log: the children this page showed
            record_child_list_view(
                user=user, child_ids=ids, channel="api", path=request.path, query=filters_text(request.GET)
            )
        response = self.get_paginated_response(WaitSerializer([_payload(i) for i in page], many=True).data)
        response.data["overdue"] = data.overdue
        response.data["totals"] = TotalSerializer([_total(t) for t in data.totals], many=True).data
        return response


urlpatterns = [
    path("reports/waiting/", WaitingView.as_view(), name="api-reports-waiting"),
    *decision_times_api.urlpatterns,  # GET /api/reports/time-to-decision/
    *attendance_api.urlpatterns,  # GET /api/reports/attendance/
]
