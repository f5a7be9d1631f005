"""GET /api/my-work/: the same list as the My work page (casework/my_work.py), for the caller.

Scoped the same way as the page: every item comes from its app's access rules, and a child is named
only as the item's record shows it (`child.url` only when the caller may open the child's record).
Paginated like every list of the API (`?page=`, the REST framework's PAGE_SIZE a page, `next` and
`previous`): each page reads every group to the end of that page, as the page's "See all" does, so
a busy person's 400 items are not built for 25 (bench/README.md, My work); a fixed number of queries
whatever the page and the number of items.

GET /api/my-work/team/ and POST /api/my-work/team/<person>/give/: the team view of My work
(casework/my_work_team.py) for team and service managers, the same people, items and reassigners
as the page, with the page's messages; 404 for anyone else, as the page.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from casework import selectors
from casework.access import NOT_FOUND_MESSAGE
from casework.api_kit import ERROR, NOT_FOUND, NOT_SIGNED_IN, caller, field_errors, parsed
from casework.models import User
from casework.my_work import GROUP_PAGE_SIZE, WorkItem, my_work_list
from casework.my_work_team import PersonWork, team_work_for
from casework.services import InvalidTransition
from casework.team import can_manage_people, get_managed_person, registered_reassigners

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
    count = serializers.IntegerField(help_text="Every item waiting for you (the navigation's count)")
    overdue = serializers.IntegerField(
        help_text="The overdue items among the most urgent of each group read for this page: all of "
        "them when overdue_exact, else at least this many"
    )
    overdue_exact = serializers.BooleanField()
    next = serializers.CharField(allow_null=True, help_text="The next page, or null on the last")
    previous = serializers.CharField(allow_null=True, help_text="The previous page, or null on the first")
    results = WorkItemSerializer(many=True, help_text="This page's items, most urgent first")


# A page past any list's last: a larger number is not read (it would only lengthen each feed's LIMIT).
MAX_PAGE = 10_000


def _page_number(raw: str | None) -> int:
    """The page asked for, from 1; anything else is the same 404 as a page past the last (the REST
    framework's pagination answers so)."""
    try:
        number = int(raw or 1)
    except ValueError:
        raise Http404(NOT_FOUND_MESSAGE) from None
    if not 1 <= number <= MAX_PAGE:
        raise Http404(NOT_FOUND_MESSAGE)
    return number


class MyWorkView(APIView):
    @extend_schema(
        summary="Everything waiting for you, most urgent first (the My work page), a page at a time",
        parameters=[OpenApiParameter("page", int, description="The page, from 1")],
        responses={200: MyWorkSerializer, 401: NOT_SIGNED_IN, 404: NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        size = api_settings.PAGE_SIZE or GROUP_PAGE_SIZE  # the settings give it; the page's size else
        number = _page_number(request.query_params.get("page"))
        work, items = my_work_list(user=caller(request), page=number, per_page=size)
        last = max(1, -(-work.count // size))
        if number > last:
            raise Http404(NOT_FOUND_MESSAGE)
        url = request.build_absolute_uri()
        previous = None
        if number > 1:
            previous = (
                replace_query_param(url, "page", number - 1)
                if number > 2
                else remove_query_param(url, "page")
            )
        return Response(
            MyWorkSerializer(
                {
                    "count": work.count,
                    "overdue": work.overdue,
                    "overdue_exact": work.overdue_exact,
                    "next": replace_query_param(url, "page", number + 1) if number < last else None,
                    "previous": previous,
                    "results": [_payload(item) for item in items],
                }
            ).data
        )


# --- The team view ------------------------------------------------------------------------------


@extend_schema_serializer(component_name="TeamPerson")
class TeamPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    job_title = serializers.CharField(allow_blank=True)
    active = serializers.BooleanField(help_text="False for a leaver: their work can still be given away")


@extend_schema_serializer(component_name="TeamWorkToGive")
class WorkToGiveSerializer(serializers.Serializer):
    what = serializers.CharField(help_text="The `what` to send to the person's `give` address")
    description = serializers.CharField(help_text="What it is, as the page words it")
    count = serializers.IntegerField()


@extend_schema_serializer(component_name="TeamMemberWork")
class TeamMemberWorkSerializer(serializers.Serializer):
    person = TeamPersonSerializer()
    count = serializers.IntegerField(help_text="Their items on My work (none for a leaver)")
    overdue = serializers.IntegerField()
    results = WorkItemSerializer(many=True, help_text="Their My work, most urgent first")
    to_give = WorkToGiveSerializer(many=True, help_text="What can be given to someone else")
    give = serializers.CharField(help_text="Where to POST to give some of their work to someone else")


@extend_schema_serializer(component_name="TeamWork")
class TeamWorkSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="The people listed")
    results = TeamMemberWorkSerializer(
        many=True,
        help_text="People with work first (overdue work first, then the most work), then the others",
    )


def _require_manager(user: User) -> None:
    if not can_manage_people(user=user):
        raise Http404(NOT_FOUND_MESSAGE)


def _person(person: User) -> dict:
    return {
        "id": person.pk,
        "name": person.full_name,
        "job_title": person.job_title,
        "active": person.is_active,
    }


def _member(row: PersonWork, keys: dict[str, str]) -> dict:
    return {
        "person": _person(row.person),
        "count": len(row.items),
        "overdue": row.overdue,
        "results": [_payload(item) for item in row.items],
        "to_give": [{"what": keys[label], "description": label, "count": n} for label, n in row.to_give],
        "give": reverse("api-my-work-team-give", args=[row.person.pk]),
    }


class TeamWorkView(APIView):
    @extend_schema(
        summary="Your team's work (the team view of My work), for team and service managers",
        description="A team manager sees the people who share a team with them, a service manager "
        "everyone of their agency, leavers included. A child is named only when you may see the "
        "child too. 404 for anyone else, as the page.",
        responses={200: TeamWorkSerializer, 401: NOT_SIGNED_IN, 404: NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        manager = caller(request)
        _require_manager(manager)
        rows = team_work_for(manager=manager)
        keys = {r.label: key for key, r in registered_reassigners().items()}
        ordered = [r for r in rows if r.items or r.to_give] + [r for r in rows if not (r.items or r.to_give)]
        return Response(
            TeamWorkSerializer({"count": len(ordered), "results": [_member(r, keys) for r in ordered]}).data
        )


def _what_choices() -> list[tuple[str, str]]:
    return [(key, r.label) for key, r in registered_reassigners().items()]


@extend_schema_serializer(component_name="GiveWork")
class GiveWorkSerializer(serializers.Serializer):
    """The page's form (casework.my_work_team.ReassignForm), with its messages."""

    what = serializers.ChoiceField(
        choices=[],
        help_text="Which of the person's work to give (their `to_give`)",
        error_messages={
            "required": "Choose what to give",
            "null": "Choose what to give",
            "invalid_choice": "Choose what to give",
        },
    )
    to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        help_text="Who to give it to: an active person you manage, not the person themself",
        error_messages={
            "required": "Choose who to give the work to",
            "null": "Choose who to give the work to",
            "does_not_exist": "Choose who to give the work to from the list",
            "incorrect_type": "Choose who to give the work to from the list",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        what, to = self.fields["what"], self.fields["to"]
        assert isinstance(what, serializers.ChoiceField)
        assert isinstance(to, serializers.PrimaryKeyRelatedField)
        what.choices = _what_choices()
        manager, person = self.context.get("manager"), self.context.get("person")
        if manager is not None and person is not None:
            to.queryset = selectors.people_to_give_work_to(manager=manager, person=person)


@extend_schema_serializer(component_name="GivenWork")
class GivenWorkSerializer(serializers.Serializer):
    what = serializers.CharField()
    count = serializers.IntegerField(help_text="The records given")
    person = TeamPersonSerializer(help_text="Whose work it was")
    to = TeamPersonSerializer(help_text="Whose work it is now")


_NO_LONGER_THEIRS = OpenApiResponse(
    ERROR,
    description="That work is no longer the person's to give (given away or finished since): read "
    "the team's work again.",
)


class TeamGiveView(APIView):
    @extend_schema(
        summary="Give one kind of a person's work to someone else you manage",
        description="`what` is one of the person's `to_give`; `to`, an active person you manage. The "
        "receiver must be able to do that work (their role, and the children they may see): else "
        "400, and nothing moves. Each record is audited and the receiver is told. 409 when the person "
        "no longer has that work; 404 for someone you do not manage, as the page.",
        request=GiveWorkSerializer,
        responses={
            200: GivenWorkSerializer,
            400: field_errors("No one chosen", {"to": ["Choose who to give the work to"]}),
            401: NOT_SIGNED_IN,
            404: NOT_FOUND,
            409: _NO_LONGER_THEIRS,
        },
    )
    def post(self, request: Request, pk: str) -> Response:
        manager = caller(request)
        _require_manager(manager)
        person = get_managed_person(user=manager, pk=pk)
        reassigners = registered_reassigners()
        data = request.data
        what = data.get("what") if isinstance(data, Mapping) else None
        if isinstance(what, str) and what in reassigners:
            _still_theirs(person, what)
        values = parsed(GiveWorkSerializer, data, context={"manager": manager, "person": person})
        what, receiver = values["what"], values["to"]
        try:
            moved = reassigners[what].reassign(actor=manager, person=person, receiver=receiver)
        except ValidationError:
            _still_theirs(person, what)  # taken since: the conflict, not the form, is the answer
            raise
        return Response(
            GivenWorkSerializer(
                {"what": what, "count": len(moved), "person": _person(person), "to": _person(receiver)}
            ).data
        )


def _still_theirs(person: User, what: str) -> None:
    """InvalidTransition (409) unless `person` still has work of kind `what` to give."""
    reassigner = registered_reassigners()[what]
    if not reassigner.counts([person.pk]).get(person.pk):
        raise InvalidTransition(
            f"{person.full_name} no longer has any of this work to give ({reassigner.label.lower()}): "
            "read the team's work again"
        )


urlpatterns = [
    path("my-work/", MyWorkView.as_view(), name="api-my-work"),
    path("my-work/team/", TeamWorkView.as_view(), name="api-my-work-team"),
    path("my-work/team/<str:pk>/give/", TeamGiveView.as_view(), name="api-my-work-team-give"),
]
