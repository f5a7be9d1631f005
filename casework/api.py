"""The REST API for the core domain. Thin, like the pages: parse input, check access, call a
service, render.

Every record comes from access.py (a child the caller cannot see answers 404 exactly like a missing
one), every write goes through services.py, and domain errors become HTTP answers in one place
(api_errors.py). Reading a child's record is logged, as it is on the page.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import access, selectors, services
from casework.api_kit import (
    ANY_ID,
    ERROR,
    FIELD_ERRORS,
    NOT_ALLOWED,
    NOT_FOUND,
    NOT_SIGNED_IN,
    caller,
    field_errors,
    parsed,
)
from casework.audit import record_child_list_view, record_child_view
from casework.models import Child
from casework.serializers import (
    NHS_NUMBER_FORMAT,
    AgencySerializer,
    ChildSerializer,
    ChildSummarySerializer,
    ChildWriteSerializer,
    StrictCharField,
    TeamSerializer,
    UserSerializer,
)

# --- Organisations and people --------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List partner agencies", responses={200: AgencySerializer, 401: NOT_SIGNED_IN}
    ),
    retrieve=extend_schema(
        summary="One agency", responses={200: AgencySerializer, 401: NOT_SIGNED_IN, 404: NOT_FOUND}
    ),
)
class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    """The directory of partner organisations: councils, ICBs, NHS trusts."""

    lookup_value_regex = ANY_ID
    serializer_class = AgencySerializer

    def get_queryset(self):
        return access.agencies_visible_to(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List teams", responses={200: TeamSerializer, 401: NOT_SIGNED_IN}),
    retrieve=extend_schema(
        summary="One team", responses={200: TeamSerializer, 401: NOT_SIGNED_IN, 404: NOT_FOUND}
    ),
)
class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = ANY_ID
    serializer_class = TeamSerializer

    def get_queryset(self):
        return access.teams_visible_to(user=self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="List people in your agency", responses={200: UserSerializer, 401: NOT_SIGNED_IN}
    ),
    retrieve=extend_schema(
        summary="One person in your agency",
        responses={200: UserSerializer, 401: NOT_SIGNED_IN, 404: NOT_FOUND},
    ),
)
class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """People of the caller's own agency (other agencies' staff are reached through panels)."""

    lookup_value_regex = ANY_ID
    serializer_class = UserSerializer

    def get_queryset(self):
        return selectors.people_of_my_agency(user=self.request.user)


class MeView(APIView):
    @extend_schema(summary="Who you are signed in as", responses={200: UserSerializer, 401: NOT_SIGNED_IN})
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(caller(request)).data)


# --- Children ------------------------------------------------------------------------------------


class ChildQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


_SEARCH = OpenApiParameter(
    "q",
    str,
    description="The same search box as the pages: an NHS number (spaces allowed), a date of birth "
    "(31/12/2015 or 2015-12-31), a council case number, or the start of names.",
)
_WRITE_RESPONSES = {
    400: FIELD_ERRORS,
    401: NOT_SIGNED_IN,
    403: NOT_ALLOWED,
    404: NOT_FOUND,
}


_CHILD_RULES = (
    " The service also checks what a schema cannot say: the date of birth is today or in the past and "
    "within the last 25 years; `ehc_plan_date` is today or in the past and only given with "
    "`has_ehc_plan`; the NHS number is a real one (its check digit matches, it was issued in England or "
    "Wales, it is not a placeholder like 0000000000); the allocated social worker and team are of the "
    "registering agency. Each answers 400 with the field's message."
)


@extend_schema_view(
    list=extend_schema(
        summary="Find children your agency works with",
        parameters=[_SEARCH],
        responses={200: ChildSummarySerializer, 400: FIELD_ERRORS, 401: NOT_SIGNED_IN},
    ),
    retrieve=extend_schema(
        summary="A child's record",
        description="Every read is recorded in the child's access log.",
        responses={200: ChildSerializer, 401: NOT_SIGNED_IN, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Register a child",
        description="Your agency becomes the lead agency. An NHS number of a child you can already see "
        "answers 400. An NHS number of a record you cannot see registers nothing: it answers 400 with "
        "the same words as `POST /api/access-requests/`, and the agency holding it is asked to share "
        "it (counted against your daily limit of asks)." + _CHILD_RULES,
        request=ChildWriteSerializer,
        responses={201: ChildSerializer, 400: FIELD_ERRORS, 401: NOT_SIGNED_IN, 403: NOT_ALLOWED},
    ),
    update=extend_schema(
        summary="Change a child's details (the required fields must be sent)",
        description=_CHILD_RULES.strip(),
        request=ChildWriteSerializer,
        responses={200: ChildSerializer, **_WRITE_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change some of a child's details",
        description="Fields left out are kept." + _CHILD_RULES,
        request=ChildWriteSerializer,
        responses={200: ChildSerializer, **_WRITE_RESPONSES},
    ),
)
class ChildViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Children visible to the caller's agency. No DELETE: a child's record is never removed here."""

    queryset = Child.objects.none()  # for the schema generator; get_queryset() is what runs
    lookup_value_regex = ANY_ID

    def get_serializer_class(self):
        if self.action == "list":
            return ChildSummarySerializer
        if self.action in {"create", "update", "partial_update"}:
            return ChildWriteSerializer
        return ChildSerializer

    def get_queryset(self):
        if self.action == "list":
            query = parsed(ChildQuerySerializer, self.request.query_params)
            children, _search = selectors.child_search(user=caller(self.request), query=query.get("q", ""))
            return children
        return access.children_visible_to(user=self.request.user)

    def get_object(self) -> Child:
        need = "change" if self.action in {"update", "partial_update"} else "view"
        return access.get_child_for_user(user=caller(self.request), pk=self.kwargs.get("pk"), need=need)

    def _record(self, child: Child, *, status_code: int = status.HTTP_200_OK) -> Response:
        detail = selectors.child_detail(user=caller(self.request), pk=child.pk)
        return Response(
            ChildSerializer(detail, context=self.get_serializer_context()).data, status=status_code
        )

    def list(self, request: Request, *args, **kwargs) -> Response:
        # Every list is paginated (DEFAULT_PAGINATION_CLASS), so there is always a page.
        page = self.paginate_queryset(self.get_queryset()) or []
        record_child_list_view(
            user=caller(request),
            child_ids=[child.pk for child in page],
            channel="api",
            path=request.path,
            query=request.query_params.get("q", ""),
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        user = caller(request)
        child = selectors.child_detail(user=user, pk=kwargs.get("pk"))
        record_child_view(user=user, child=child, channel="api", path=request.path)
        return Response(ChildSerializer(child, context=self.get_serializer_context()).data)

    def create(self, request: Request, *args, **kwargs) -> Response:
        # Say "not allowed" before judging the input: the answer should not depend on the body.
        if not access.can_edit_children(user=request.user):
            raise access.NotAllowed("Your role does not allow you to register a child")
        fields = parsed(ChildWriteSerializer, request.data, context=self.get_serializer_context())
        try:
            child = services.child_register(actor=caller(request), fields=fields)
        except services.NHSNumberHeldElsewhere as exc:
            return _held_elsewhere(exc)
        return self._record(child, status_code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        # Access first (404 for a child the caller cannot see, 403 for a read-only role), then input.
        child = self.get_object()
        fields = parsed(
            ChildWriteSerializer,
            request.data,
            partial=kwargs.get("partial", False),
            context=self.get_serializer_context(),
        )
        try:
            child = services.child_update(actor=caller(request), child=child, fields=fields)
        except services.NHSNumberHeldElsewhere as exc:
            return _held_elsewhere(exc)
        return self._record(child)


def _held_elsewhere(exc: services.NHSNumberHeldElsewhere) -> Response:
    # Answered here rather than raised: an API error rolls the request back, and the ask made on
    # the person's behalf (and its audit row) must be kept.
    return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)


# --- Asking for a child's record by NHS number ---------------------------------------------------


class AccessAskSerializer(serializers.Serializer):
    nhs_number = StrictCharField(
        max_length=14, validators=[NHS_NUMBER_FORMAT], help_text="10 digits, spaces allowed"
    )
    reason = StrictCharField(max_length=2000, help_text="Why your agency needs to be involved")


class AccessAskAnswerSerializer(serializers.Serializer):
    detail = serializers.CharField()
    child = serializers.IntegerField(
        allow_null=True, help_text="Only when your agency can already see the child: its id"
    )


class AccessRequestAskView(APIView):
    """Ask for a child's record by NHS number without learning whether it exists (issue 12)."""

    @extend_schema(
        summary="Ask for access to a child's record by NHS number",
        description="The answer is the same whether or not a record with this NHS number exists: 202 "
        "with the same words, byte for byte. If it exists, the agency holding it is asked to decide. "
        "Only a child your agency can already see is named (200, with its id). Each person may ask "
        "ACCESS_REQUESTS_PER_DAY times in 24 hours (429 after that). Every ask is recorded. The NHS "
        "number must be a real one (its check digit matches, it was issued in England or Wales, it is not "
        "a placeholder like 0000000000): otherwise 400.",
        request=AccessAskSerializer,
        responses={
            200: AccessAskAnswerSerializer,
            202: AccessAskAnswerSerializer,
            400: field_errors("Missing reason", {"reason": ["This field is required."]}),
            401: NOT_SIGNED_IN,
            403: NOT_ALLOWED,
            429: OpenApiResponse(ERROR, description="Too many asks in the last 24 hours."),
        },
    )
    def post(self, request: Request) -> Response:
        user = caller(request)
        if not access.can_edit_children(user=user):
            raise access.NotAllowed("Your role does not allow requesting access to a child's record")
        ask = services.access_request_ask(actor=user, **parsed(AccessAskSerializer, request.data))
        if ask.outcome == services.AccessAskOutcome.LIMIT_REACHED:
            return Response({"detail": ask.message}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if ask.outcome == services.AccessAskOutcome.ALREADY_VISIBLE and ask.child is not None:
            return Response({"detail": ask.message, "child": ask.child.pk}, status=status.HTTP_200_OK)
        return Response({"detail": ask.message, "child": None}, status=status.HTTP_202_ACCEPTED)
