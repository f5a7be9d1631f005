"""The REST API for the action log (seeds 003) and the tracker (seeds 002 section 4): the same
services, selectors and access checks as the pages.

A panel comes from panels.access.get_panel_for_user and an action from get_action_for_user, so one
the caller may not see answers 404 exactly like a missing one. Access is checked before the body is
read. Errors map in casework/api_errors.py: ValidationError → 400 with field messages, NotAllowed →
403, InvalidTransition (a stale `version`, or an action already closed / open) → 409.

    GET  /api/panels/{id}/actions/          the log (filters: status=open|overdue|closed, owner_agency)
    POST /api/panels/{id}/actions/          add an action (administrators)
    GET  /api/actions/{id}/                 one action with its updates
    PATCH /api/actions/{id}/                change an open action (send the `version` you read)
    POST /api/actions/{id}/close/           close: version, completed_on, actual_impact
    POST /api/actions/{id}/reopen/          reopen: version, reason
    GET  /api/actions/{id}/updates/         the timeline
    POST /api/actions/{id}/updates/         add an update (owners and administrators)
    GET  /api/panels/{id}/tracker/          tracker rows with the page's filters, and totals by agency
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from casework.access import NotAllowed
from casework.api_kit import ERRORS, field_errors, parsed
from casework.models import Agency, User
from casework.serializers import StrictCharField, strict_ids
from casework.services import InvalidTransition
from panels import access, services
from panels.models import Action, ActionStatus, ActionUpdate, AgendaItem, Meeting, Outcome, Panel
from panels.selectors import actions as selectors
from panels.views.read_log import log_children
from referrals.models import Pathway, Status

_WRITE = {
    400: field_errors("Missing impact", {"actual_impact": ["Enter the actual impact"]}),
    **ERRORS,
    409: field_errors("Stale", {"detail": ["Someone else changed this action since you opened it"]}),
}


# --- Serializers ------------------------------------------------------------------------------------


class _NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj: User) -> str:
        return obj.full_name or obj.email


class ActionUpdateSerializer(serializers.ModelSerializer):
    author = _PersonSerializer(read_only=True)

    class Meta:
        model = ActionUpdate
        fields = ["id", "text", "author", "at"]


class ActionSerializer(serializers.ModelSerializer):
    owners = _PersonSerializer(many=True, read_only=True)
    owner_agencies = _NamedSerializer(many=True, read_only=True)
    partner_agency = _NamedSerializer(read_only=True, allow_null=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Action
        fields = [
            "id",
            "panel",
            "number",
            "created_on",
            "meeting",
            "agenda_item",
            "action",
            "desired_outcome",
            "owners",
            "owner_agencies",
            "partner_agency",
            "due_on",
            "status",
            "is_overdue",
            "completed_on",
            "actual_impact",
            "version",
        ]

    def get_is_overdue(self, obj: Action) -> bool:
        return selectors.action_is_overdue(obj)


class ActionDetailSerializer(ActionSerializer):
    updates = ActionUpdateSerializer(many=True, read_only=True)

    class Meta(ActionSerializer.Meta):
        fields = [*ActionSerializer.Meta.fields, "updates"]


class ActionWriteSerializer(serializers.Serializer):
    """What an administrator sends to add or change an action; ids outside the panel's partnership
    (or another panel's meetings) are refused as if they did not exist."""

    version = serializers.IntegerField(min_value=1, required=False)
    action = StrictCharField(max_length=5000)
    desired_outcome = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    owners = strict_ids(queryset=User.objects.none(), required=False)
    owner_agencies = strict_ids(queryset=Agency.objects.none(), required=False)
    partner_agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.none(), required=False, allow_null=True, default=None
    )
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    meeting = serializers.PrimaryKeyRelatedField(
        queryset=Meeting.objects.none(), required=False, allow_null=True, default=None
    )
    agenda_item = serializers.PrimaryKeyRelatedField(
        queryset=AgendaItem.objects.none(), required=False, allow_null=True, default=None
    )

    def __init__(self, *args, panel: Panel | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if panel is None:  # the schema generator's instance
            return
        agencies = selectors.panel_agencies(panel=panel)
        self.fields["owners"].child_relation.queryset = selectors.panel_people(panel=panel)
        self.fields["owner_agencies"].child_relation.queryset = agencies
        self.fields["partner_agency"].queryset = agencies
        self.fields["meeting"].queryset = selectors.action_meeting_choices(panel=panel)
        self.fields["agenda_item"].queryset = selectors.action_item_choices(panel=panel)


class ActionChangeSerializer(ActionWriteSerializer):
    """A change to an open action: the `version` you read, and only the fields that change."""

    # Documented as a whole body (casework.api_errors.AutoSchema) so that `version` shows as required;
    # every other field is optional, and the view parses the body as partial, so a field left out is kept.
    whole_on_patch = True

    version = serializers.IntegerField(min_value=1, help_text="The version of the action you read")
    action = StrictCharField(max_length=5000, required=False)


class ActionCloseSerializer(serializers.Serializer):
    # Both are needed to close (seeds 003), in the service's words, so the schema says so too.
    version = serializers.IntegerField(min_value=1)
    completed_on = serializers.DateField(
        error_messages={
            "required": "Enter the date the action was completed",
            "null": "Enter the date the action was completed",
        }
    )
    actual_impact = StrictCharField(
        max_length=5000,
        error_messages={"required": "Enter the actual impact", "blank": "Enter the actual impact"},
    )


class ActionReopenSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    reason = StrictCharField(max_length=4000)


class ActionUpdateWriteSerializer(serializers.Serializer):
    text = StrictCharField(max_length=5000)


class ActionListQuerySerializer(serializers.Serializer):
    # An empty filter (`?status=`, as a plain HTML form sends it) means no filter, as on the page.
    status = serializers.ChoiceField(choices=["open", "overdue", "closed"], required=False, allow_blank=True)
    owner_agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.none(), required=False)

    def __init__(self, *args, panel: Panel | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if panel is None:  # the schema generator's instance
            return
        self.fields["owner_agency"].queryset = selectors.panel_agencies(panel=panel)


@extend_schema_field(
    {
        "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}],
        "description": "A date (YYYY-MM-DD); empty means no filter.",
    }
)
class _DateFilterField(serializers.DateField):
    """A date filter that, like every other filter, may be sent empty (`?meeting_to=`, as a plain HTML
    form sends it) to mean no filter. DRF already reads an empty optional query value as absent; the
    schema says so."""


class TrackerQuerySerializer(serializers.Serializer):
    # An empty filter means no filter, as on the page.
    outcome = serializers.ChoiceField(
        choices=[selectors.NO_DECISION, *Outcome.values], required=False, allow_blank=True
    )
    pathway = serializers.ChoiceField(choices=Pathway.values, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Status.values, required=False, allow_blank=True)
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.none(), required=False)
    meeting_from = _DateFilterField(required=False)
    meeting_to = _DateFilterField(required=False)

    def __init__(self, *args, panel: Panel | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if panel is None:  # the schema generator's instance
            return
        self.fields["agency"].queryset = selectors.panel_agencies(panel=panel)

    def validate(self, attrs):
        start, end = attrs.get("meeting_from"), attrs.get("meeting_to")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"meeting_to": ["The end date must be the same as or after the start date"]}
            )
        return attrs

    @staticmethod
    def filters(data: dict) -> selectors.TrackerFilters:
        """The selector's filters from the parsed query."""
        return selectors.TrackerFilters(
            outcome=data.get("outcome", ""),
            pathway=data.get("pathway", ""),
            status=data.get("status", ""),
            agency=data["agency"].pk if data.get("agency") else None,
            meeting_from=data.get("meeting_from"),
            meeting_to=data.get("meeting_to"),
        )


_MONEY = {"max_digits": 14, "decimal_places": 2, "allow_null": True}


class BudgetLineSerializer(serializers.Serializer):
    agency_id = serializers.IntegerField()
    agency_name = serializers.CharField()
    period = serializers.CharField()
    weeks_per_year = serializers.IntegerField(
        help_text="The decision's weeks a year (38 term-time, 52): weekly and annual count them"
    )
    per_period = serializers.DecimalField(**_MONEY)
    weekly = serializers.DecimalField(**_MONEY)
    annual = serializers.DecimalField(**_MONEY)
    standing = serializers.ChoiceField(
        choices=selectors.Standing.choices,
        help_text="agreed; awaiting: a recommendation to an agency that was absent, still to be answered; "
        "declined: the agency declined it, so it has not agreed to pay it",
    )


class TrackerRowSerializer(serializers.Serializer):
    referral = serializers.IntegerField(source="referral.pk")
    child_initials = serializers.CharField()
    pathway = serializers.CharField(source="referral.pathway")
    urgency = serializers.CharField(source="referral.urgency")
    status = serializers.CharField(source="referral.status")
    meeting_date = serializers.DateField()
    decision = serializers.SerializerMethodField()
    budget = BudgetLineSerializer(source="lines", many=True)

    @extend_schema(
        responses=inline_serializer(
            "TrackerDecision",
            fields={
                "id": serializers.IntegerField(),
                "outcome": serializers.CharField(),
                "status": serializers.CharField(),
                "review_date": serializers.DateField(allow_null=True),
                "lead_agency": serializers.CharField(allow_null=True),
            },
        )
    )
    def get_decision(self, row: selectors.TrackerRow) -> dict | None:
        d = row.decision
        if d is None:
            return None
        return {
            "id": d.pk,
            "outcome": d.outcome,
            "status": d.status,
            "review_date": d.review_date.isoformat() if d.review_date else None,
            "lead_agency": d.lead_agency.name if d.lead_agency else None,
        }


class AgencyTotalSerializer(serializers.Serializer):
    agency_name = serializers.CharField()
    weekly = serializers.DecimalField(max_digits=16, decimal_places=2)
    annual = serializers.DecimalField(max_digits=16, decimal_places=2)
    one_off = serializers.DecimalField(max_digits=16, decimal_places=2)
    awaiting_weekly = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Recommended to the agency, awaiting its answer"
    )
    awaiting_annual = serializers.DecimalField(max_digits=16, decimal_places=2)
    awaiting_one_off = serializers.DecimalField(max_digits=16, decimal_places=2)


def agency_total_rows(totals: selectors.TrackerTotals) -> list[dict[str, object]]:
    """The API's one line per agency from the tracker's two lists (what each agency agreed, what
    awaits its answer), with the published field names: the awaiting figures as `awaiting_*`, £0.00
    for an agency with nothing awaiting its answer. `agreed` lists every agency counted."""
    awaiting = {total.agency_id: total for total in totals.awaiting}
    nothing = selectors.AgencyTotal(agency_id=0, agency_name="")
    rows = []
    for total in totals.agreed:
        waits = awaiting.get(total.agency_id, nothing)
        rows.append(
            {
                "agency_name": total.agency_name,
                "weekly": total.weekly,
                "annual": total.annual,
                "one_off": total.one_off,
                "awaiting_weekly": waits.weekly,
                "awaiting_annual": waits.annual,
                "awaiting_one_off": waits.one_off,
            }
        )
    return rows


# --- Views ---------------------------------------------------------------------------------------


def _detail(request: Request, action: Action, *, status_code: int = status.HTTP_200_OK) -> Response:
    found = selectors.action_detail(user=request.user, pk=action.pk)
    return Response(ActionDetailSerializer(found).data, status=status_code)


class PanelActionsView(GenericAPIView):
    serializer_class = ActionSerializer
    queryset = Action.objects.none()

    @extend_schema(
        summary="A panel's action log",
        parameters=[ActionListQuerySerializer],
        responses={200: ActionSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, panel_pk: str) -> Response:
        panel = access.get_panel_for_user(user=request.user, pk=panel_pk)
        query = parsed(ActionListQuerySerializer, request.query_params, panel=panel)
        agency = query.get("owner_agency")
        filters = selectors.ActionFilters(
            status=query.get("status", ""), owner_agency=agency.pk if agency else None
        )
        actions = selectors.action_log(user=request.user, panel=panel, filters=filters)
        page = self.paginate_queryset(actions)
        log_children(request, [action.child_pk for action in page], channel="api")  # the read log
        return self.get_paginated_response(ActionSerializer(page, many=True).data)

    @extend_schema(
        summary="Add an action to the log",
        request=ActionWriteSerializer,
        responses={201: ActionDetailSerializer, **_WRITE},
    )
    def post(self, request: Request, panel_pk: str) -> Response:
        panel = access.get_panel_for_user(user=request.user, pk=panel_pk, need="administer")
        data = parsed(ActionWriteSerializer, request.data, panel=panel)
        data.pop("version", None)
        action = services.action_create(actor=request.user, panel=panel, **data)
        return _detail(request, action, status_code=status.HTTP_201_CREATED)


class ActionView(GenericAPIView):
    serializer_class = ActionDetailSerializer
    queryset = Action.objects.none()

    @extend_schema(summary="One action with its updates", responses={200: ActionDetailSerializer, **ERRORS})
    def get(self, request: Request, pk: str) -> Response:
        return Response(ActionDetailSerializer(selectors.action_detail(user=request.user, pk=pk)).data)

    @extend_schema(
        summary="Change an open action",
        description="Send `version` as you read it; a change made since answers 409. Fields left out "
        "are kept.",
        request=ActionChangeSerializer,
        responses={200: ActionDetailSerializer, **_WRITE},
    )
    def patch(self, request: Request, pk: str) -> Response:
        action = access.get_action_for_user(user=request.user, pk=pk, need="administer")
        data = parsed(ActionChangeSerializer, request.data, panel=action.panel, partial=True)
        if "version" not in data:
            raise serializers.ValidationError(
                {"version": ["Send the version of the action you are changing"]}
            )
        version = data.pop("version")
        owners, agencies = data.pop("owners", None), data.pop("owner_agencies", None)
        services.action_change(
            actor=request.user,
            action=action,
            version=version,
            fields=data,
            owners=owners,
            owner_agencies=agencies,
        )
        return _detail(request, action)


class ActionCloseView(GenericAPIView):
    serializer_class = ActionCloseSerializer
    queryset = Action.objects.none()

    @extend_schema(
        summary="Close an action",
        description="`completed_on` is today or in the past, and not before the action was created.",
        request=ActionCloseSerializer,
        responses={200: ActionDetailSerializer, **_WRITE},
    )
    def post(self, request: Request, pk: str) -> Response:
        action = access.get_action_for_user(user=request.user, pk=pk, need="administer")
        data = parsed(ActionCloseSerializer, request.data)
        services.action_close(actor=request.user, action=action, **data)
        return _detail(request, action)


class ActionReopenView(GenericAPIView):
    serializer_class = ActionReopenSerializer
    queryset = Action.objects.none()

    @extend_schema(
        summary="Reopen a closed action",
        request=ActionReopenSerializer,
        responses={200: ActionDetailSerializer, **_WRITE},
    )
    def post(self, request: Request, pk: str) -> Response:
        action = access.get_action_for_user(user=request.user, pk=pk, need="administer")
        data = parsed(ActionReopenSerializer, request.data)
        services.action_reopen(actor=request.user, action=action, **data)
        return _detail(request, action)


class ActionUpdatesView(GenericAPIView):
    serializer_class = ActionUpdateSerializer
    queryset = ActionUpdate.objects.none()

    @extend_schema(
        summary="An action's updates, oldest first",
        responses={200: ActionUpdateSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        action = access.get_action_for_user(user=request.user, pk=pk)
        updates = selectors.action_updates(action=action)
        page = self.paginate_queryset(updates)
        return self.get_paginated_response(ActionUpdateSerializer(page, many=True).data)

    @extend_schema(
        summary="Add an update",
        request=ActionUpdateWriteSerializer,
        responses={201: ActionUpdateSerializer, **_WRITE},
    )
    def post(self, request: Request, pk: str) -> Response:
        action = access.get_action_for_user(user=request.user, pk=pk)
        if not access.can_update_action(user=request.user, action=action):
            raise NotAllowed("Only the action's owners and the panel's administrators can add updates")
        if action.status != ActionStatus.OPEN:
            raise InvalidTransition("This action is closed: reopen it to add an update")
        text = parsed(ActionUpdateWriteSerializer, request.data)["text"]
        update = services.action_add_update(actor=request.user, action=action, text=text)
        return Response(ActionUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


class PanelTrackerView(GenericAPIView):
    serializer_class = TrackerRowSerializer
    queryset = Action.objects.none()

    @extend_schema(
        summary="The tracker of referrals, decisions and budgets",
        description="Referrals this panel has considered that you can see, latest meeting first, each with "
        "its current decision and each agency's agreed share per period, weekly and annual (money as "
        "strings of pounds and pence), and where that share stands: agreed, awaiting the agency's answer "
        "(a recommendation to an agency that was absent) or declined by it. `totals` covers every row "
        "matching the filters, counting signed decisions that agree funding: what each agency has agreed "
        "to pay, and apart (`awaiting_*`) the parts still awaiting its answer; declined parts are in neither.",
        parameters=[TrackerQuerySerializer],
        responses={
            200: inline_serializer(
                "TrackerPage",
                fields={
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": TrackerRowSerializer(many=True),
                    "totals": AgencyTotalSerializer(many=True),
                },
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request, panel_pk: str) -> Response:
        panel = access.get_panel_for_user(user=request.user, pk=panel_pk)
        query = parsed(TrackerQuerySerializer, request.query_params, panel=panel)
        filters = TrackerQuerySerializer.filters(query)
        referrals = selectors.tracker_referrals(user=request.user, panel=panel, filters=filters)
        page = self.paginate_queryset(referrals)
        log_children(request, [referral.child_id for referral in page], channel="api")  # the read log
        response = self.get_paginated_response(
            TrackerRowSerializer(selectors.tracker_rows(page), many=True).data
        )
        totals = agency_total_rows(selectors.tracker_totals(referrals))
        response.data["totals"] = AgencyTotalSerializer(totals, many=True).data
        return response


urlpatterns = [
    path("panels/<str:panel_pk>/actions/", PanelActionsView.as_view(), name="api-panel-actions"),
    path("panels/<str:panel_pk>/tracker/", PanelTrackerView.as_view(), name="api-panel-tracker"),
    path("actions/<str:pk>/", ActionView.as_view(), name="api-action"),
    path("actions/<str:pk>/close/", ActionCloseView.as_view(), name="api-action-close"),
    path("actions/<str:pk>/reopen/", ActionReopenView.as_view(), name="api-action-reopen"),
    path("actions/<str:pk>/updates/", ActionUpdatesView.as_view(), name="api-action-updates"),
]
