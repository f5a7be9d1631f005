"""The REST API for a meeting's agenda and its circulation: the same services and access checks as
the pages (panels/views/agenda.py).

The meeting comes from panels.access (another partnership's meeting is 404 for every endpoint,
before the body is read); reading the agenda needs the panel's administration or a papers grant,
changing it needs access.can_administer (403 otherwise). Every write carries the meeting's
`version` as read from the list: a stale one answers 409 (someone else changed the agenda).
ValidationError → 400 with field messages, mapped in casework/api_errors.py.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.access import NotAllowed
from casework.api_kit import parsed
from casework.serializers import StrictCharField
from panels import access, services
from panels.models import AgendaItem, Meeting, Membership
from panels.selectors import agenda_items, panel_seat, papers_window
from panels.views.agenda import log_agenda_read
from referrals.access import get_referral_for_user

# --- Serializers ---------------------------------------------------------------------------------


class AgendaItemSerializer(serializers.ModelSerializer):
    lead_member = serializers.SerializerMethodField()
    referral = serializers.IntegerField(source="referral_id", allow_null=True, read_only=True)

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "position",
            "kind",
            "title",
            "description",
            "referral",
            "is_supplement",
            "lead_member",
        ]
        read_only_fields = fields

    def get_lead_member(self, item: AgendaItem) -> dict | None:
        seat = item.lead_member
        if seat is None:
            return None
        return {"membership": seat.pk, "name": seat.person.full_name, "agency": seat.agency.name}


class AgendaSerializer(serializers.Serializer):
    meeting = serializers.IntegerField()
    version = serializers.IntegerField()
    circulated_at = serializers.DateTimeField(allow_null=True)
    items = AgendaItemSerializer(many=True)


class _Versioned(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class AddReferralSerializer(_Versioned):
    referral = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    lead_member = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True)


class AddOtherSerializer(_Versioned):
    title = StrictCharField(max_length=300)
    description = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


class MoveSerializer(_Versioned):
    direction = serializers.ChoiceField(choices=["up", "down"])


# Named apart from referrals' WithdrawSerializer (withdrawing a referral), a different shape.
@extend_schema_serializer(component_name="AgendaItemWithdraw")
class WithdrawSerializer(_Versioned):
    reason = StrictCharField(max_length=500)


class LeadSerializer(_Versioned):
    lead_member = serializers.IntegerField(min_value=1, max_value=2**63 - 1, allow_null=True)


# --- Views ---------------------------------------------------------------------------------------


NOT_ADMIN = "Only the panel's chair or administrators can change the agenda"


class _AgendaView(APIView):
    def lead(self, meeting: Meeting, pk: int | None) -> Membership | None:
        if pk is None:
            return None
        seat = panel_seat(panel=meeting.panel, pk=pk)
        if seat is None:
            raise serializers.ValidationError({"lead_member": ["Choose a current member of this panel"]})
        return seat

    def agenda(self, meeting: Meeting, *, code: int = status.HTTP_200_OK, only=None) -> Response:
        meeting.refresh_from_db(fields=["version", "circulated_at"])
        items = agenda_items(meeting=meeting, only=only)
        items = log_agenda_read(self.request, items, channel="api")  # the read log (issue 12)
        data = {
            "meeting": meeting.pk,
            "version": meeting.version,
            "circulated_at": meeting.circulated_at,
            "items": items,
        }
        return Response(AgendaSerializer(data).data, status=code)


class AgendaList(_AgendaView):
    @extend_schema(responses=AgendaSerializer, summary="A meeting's agenda in order (with its version)")
    def get(self, request: Request, pk: str) -> Response:
        """Queries: the meeting with its panel, the caller's active grants, can_administer
        (membership), the meeting's version, the items with referral, child and lead member."""
        meeting = access.get_meeting_for_user(user=request.user, pk=pk)
        window = papers_window(user=request.user, meeting=meeting)
        if window.whole_meeting:
            return self.agenda(meeting)
        if access.can_administer(user=request.user, panel=meeting.panel):
            return self.agenda(meeting)
        if window.items:  # a lead member after the meeting: the items they keep
            return self.agenda(meeting, only=window.items)
        raise NotAllowed("The papers for this meeting are not available to you")


class AgendaAddReferral(_AgendaView):
    @extend_schema(request=AddReferralSerializer, responses={201: AgendaSerializer})
    def post(self, request: Request, pk: str) -> Response:
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
        data = parsed(AddReferralSerializer, request.data)
        referral = get_referral_for_user(user=request.user, pk=data["referral"])
        services.agenda_item_add_referral(
            actor=request.user,
            meeting=meeting,
            referral=referral,
            version=data["version"],
            lead_member=self.lead(meeting, data.get("lead_member")),
        )
        return self.agenda(meeting, code=status.HTTP_201_CREATED)


class AgendaAddOther(_AgendaView):
    @extend_schema(request=AddOtherSerializer, responses={201: AgendaSerializer})
    def post(self, request: Request, pk: str) -> Response:
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
        data = parsed(AddOtherSerializer, request.data)
        services.agenda_item_add_other(
            actor=request.user,
            meeting=meeting,
            version=data["version"],
            title=data["title"],
            description=data["description"],
        )
        return self.agenda(meeting, code=status.HTTP_201_CREATED)


class AgendaItemMove(_AgendaView):
    @extend_schema(request=MoveSerializer, responses=AgendaSerializer)
    def post(self, request: Request, pk: str, item_pk: str) -> Response:
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
        item = access.get_agenda_item_for_meeting(meeting=meeting, pk=item_pk)
        data = parsed(MoveSerializer, request.data)
        services.agenda_item_move(
            actor=request.user, item=item, version=data["version"], direction=data["direction"]
        )
        return self.agenda(meeting)


class AgendaItemWithdraw(_AgendaView):
    @extend_schema(request=WithdrawSerializer, responses=AgendaSerializer)
    def post(self, request: Request, pk: str, item_pk: str) -> Response:
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
        item = access.get_agenda_item_for_meeting(meeting=meeting, pk=item_pk)
        data = parsed(WithdrawSerializer, request.data)
        services.agenda_item_withdraw(
            actor=request.user, item=item, version=data["version"], reason=data["reason"]
        )
        return self.agenda(meeting)


class AgendaItemLead(_AgendaView):
    @extend_schema(request=LeadSerializer, responses=AgendaSerializer)
    def post(self, request: Request, pk: str, item_pk: str) -> Response:
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
        item = access.get_agenda_item_for_meeting(meeting=meeting, pk=item_pk)
        data = parsed(LeadSerializer, request.data)
        services.agenda_item_set_lead(
            actor=request.user,
            item=item,
            version=data["version"],
            lead_member=self.lead(meeting, data["lead_member"]),
        )
        return self.agenda(meeting)


class MeetingCirculate(_AgendaView):
    @extend_schema(
        request=_Versioned,
        responses=AgendaSerializer,
        summary="Fix the agenda and circulate the papers",
        description="An agenda with no item cannot be circulated: 400 (`agenda`).",
    )
    def post(self, request: Request, pk: str) -> Response:
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
        data = parsed(_Versioned, request.data)
        services.meeting_circulate(actor=request.user, meeting=meeting, version=data["version"])
        return self.agenda(meeting)


urlpatterns = [
    path("meetings/<str:pk>/agenda/", AgendaList.as_view(), name="api-agenda"),
    path("meetings/<str:pk>/agenda/referrals/", AgendaAddReferral.as_view(), name="api-agenda-add-referral"),
    path("meetings/<str:pk>/agenda/other-business/", AgendaAddOther.as_view(), name="api-agenda-add-other"),
    path(
        "meetings/<str:pk>/agenda/items/<str:item_pk>/move/",
        AgendaItemMove.as_view(),
        name="api-agenda-item-move",
    ),
    path(
        "meetings/<str:pk>/agenda/items/<str:item_pk>/withdraw/",
        AgendaItemWithdraw.as_view(),
        name="api-agenda-item-withdraw",
    ),
    path(
        "meetings/<str:pk>/agenda/items/<str:item_pk>/lead/",
        AgendaItemLead.as_view(),
        name="api-agenda-item-lead",
    ),
    path("meetings/<str:pk>/circulate/", MeetingCirculate.as_view(), name="api-meeting-circulate"),
]
