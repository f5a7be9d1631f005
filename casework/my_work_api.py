"""GET /api/my-work/: the same list as the My work page (casework/my_work.py), for the caller.

Scoped the same way as the page: every item comes from its app's access rules, and a child is named
only as the item's record shows it (`child.url` only when the caller may open the child's record).
The list is not paginated: it is what one person has to do, gathered in a fixed number of queries.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api_kit import NOT_SIGNED_IN, caller
from casework.my_work import WorkItem, my_work_items

__all__ = ["urlpatterns"]


@extend_schema_serializer(component_name="WorkItemChild")
class WorkItemChildSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The child's full name, as the item's record shows it")
    url = serializers.CharField(
        allow_blank=True,
        help_text="The child's page, when the caller may open the child's record; else empty",
    )


@extend_schema_serializer(component_name="WorkItem")
class WorkItemSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="What kind of work, a stable name such as referral.sign_off")
    group = serializers.CharField(help_text="The heading the My work page lists it under")
    title = serializers.CharField()
    url = serializers.CharField(help_text="The page where the work is done")
    child = WorkItemChildSerializer(allow_null=True)
    due_on = serializers.DateField(
        allow_null=True, help_text="Counted in working days where the rule says so"
    )
    overdue = serializers.BooleanField()
    waiting_for = serializers.CharField(
        allow_blank=True, help_text="Who the item waits for, when it is someone else's to do; else empty"
    )
    detail = serializers.CharField(allow_blank=True)


def _payload(item: WorkItem) -> dict:
    child = None
    if item.child is not None:
        child = {"id": item.child.pk, "name": item.child.full_name, "url": item.child_url}
    return {
        "kind": item.kind,
        "group": item.group,
        "title": item.title,
        "url": item.url,
        "child": child,
        "due_on": item.due_on,
        "overdue": item.overdue,
        "waiting_for": item.waiting_for,
        "detail": item.detail,
    }


@extend_schema_serializer(component_name="MyWork")
class MyWorkSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    overdue = serializers.IntegerField()
    results = WorkItemSerializer(many=True)


class MyWorkView(APIView):
    @extend_schema(
        summary="Everything waiting for you, most urgent first (the My work page)",
        responses={200: MyWorkSerializer, 401: NOT_SIGNED_IN},
    )
    def get(self, request: Request) -> Response:
        items = my_work_items(user=caller(request))
        return Response(
            MyWorkSerializer(
                {
                    "count": len(items),
                    "overdue": sum(1 for item in items if item.overdue),
                    "results": [_payload(item) for item in items],
                }
            ).data
        )


urlpatterns = [path("my-work/", MyWorkView.as_view(), name="api-my-work")]
