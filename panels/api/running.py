"""The REST API for running a meeting: quorum, attendance, declarations, decisions, and absent
agencies' recommendations. The same services and access checks as the chair's page.

Every meeting, item, decision and recommendation comes through panels/access.py (another
partnership's answers 404 exactly like a missing one). Domain errors become HTTP answers in
casework/api_errors.py: ValidationError → 400 with field messages, NotAllowed → 403,
InvalidTransition → 409 (a signed decision is locked; a stale or repeated change).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api_kit import PRECONDITION_REQUIRED, parsed, require_precondition
from casework.audit import record_child_view
from casework.money import money_input, share_equivalents
from casework.serializers import StrictBooleanField, StrictCharField
from panels import access, selectors, services
from panels.models import (
    AgencyRecommendation,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Decision,
    Declaration,
    DeclarationAction,
    Meeting,
    Membership,
    Outcome,
)
from panels.views.read_log import log_children
from referrals.models import CostPeriod, ShareBasis

# --- Serializers -----------------------------------------------------------------------------------


class _Ref(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AgencyQuorumSerializer(serializers.Serializer):
    agency = _Ref()
    present = serializers.IntegerField()
    required = serializers.IntegerField()
    met = serializers.BooleanField()


class QuorumSerializer(serializers.Serializer):
    is_quorate = serializers.BooleanField()
    inquorate = serializers.CharField(
        help_text="Why the whole meeting is inquorate by the panel's settings (it can then only recommend "
        "or defer); empty when it is not"
    )
    required_per_agency = serializers.IntegerField()
    present_total = serializers.IntegerField()
    agencies = AgencyQuorumSerializer(many=True)


class AttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["id", "membership", "status", "deputy_for", "recorded_by", "recorded_at"]
        read_only_fields = fields


class AttendanceWriteSerializer(serializers.Serializer):
    membership = serializers.IntegerField(help_text="The member's seat (membership id)")
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    deputy_for = serializers.IntegerField(
        required=False, allow_null=True, help_text="The member they attend for"
    )


class DeclarationSerializer(serializers.ModelSerializer):
    corrected_by = serializers.SerializerMethodField(
        help_text="The entry that corrects this one, if any: then this one no longer stands"
    )

    class Meta:
        model = Declaration
        fields = [
            "id",
            "agenda_item",
            "membership",
            "interest",
            "action",
            "recorded_by",
            "recorded_at",
            "corrects",
            "withdrawn",
            "reason",
            "corrected_by",
        ]
        read_only_fields = fields

    def get_corrected_by(self, declaration: Declaration) -> int | None:
        if hasattr(declaration, "corrected_by_pk"):  # annotated by the list
            return declaration.corrected_by_pk
        return selectors.declaration_corrected_by(declaration=declaration)


class DeclarationCorrectionSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000, help_text="Why the declaration is corrected")
    withdraw = StrictBooleanField(
        required=False, default=False, help_text="The declaration was recorded in error: withdraw it"
    )
    interest = StrictCharField(max_length=2000, required=False, help_text="Left out: kept")
    action = serializers.ChoiceField(
        choices=DeclarationAction.choices, required=False, help_text="Left out: kept"
    )


class DeclarationWriteSerializer(serializers.Serializer):
    membership = serializers.IntegerField()
    interest = StrictCharField(max_length=2000, allow_blank=True)
    action = serializers.ChoiceField(choices=DeclarationAction.choices)


class DecisionShareSerializer(serializers.Serializer):
    agency = serializers.IntegerField(source="agency_id")
    basis = serializers.CharField()
    value = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    weekly = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="Null for a one-off cost"
    )
    annual = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="The amount times the periods a year (the decision's weeks a year for a weekly "
        "cost); null for a one-off cost",
    )


def decision_share_rows(decision: Decision) -> list[dict[str, Any]]:
    """The decision's shares (prefetched) with the weekly and annual figures of casework.money's
    share_equivalents, counting the decision's weeks a year (docs/adr/0012-money.md)."""
    shares = list(decision.shares.all())
    if decision.cost_period in CostPeriod.values:
        figures = share_equivalents([s.amount for s in shares], decision.cost_period, decision.weeks_per_year)
    else:
        figures = [(None, None)] * len(shares)
    return [
        {
            "agency_id": s.agency_id,
            "basis": s.basis,
            "value": s.value,
            "amount": s.amount,
            "weekly": weekly,
            "annual": yearly,
        }
        for s, (weekly, yearly) in zip(shares, figures, strict=True)
    ]


class RecommendationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = AgencyRecommendation
        fields = [
            "id",
            "agency",
            "due_on",
            "why",
            "status",
            "response_reason",
            "responded_by",
            "responded_at",
            "last_chased_at",
        ]
        read_only_fields = fields


class DecisionPartSerializer(serializers.Serializer):
    agency = serializers.IntegerField(source="agency.pk")
    part = serializers.SerializerMethodField(help_text="decision, or recommendation to the agency")
    why = serializers.CharField()
    answer = serializers.CharField(help_text="A made recommendation's answer: awaiting, accepted, declined")

    def get_part(self, part) -> str:
        return "recommendation" if part.is_recommendation else "decision"


class DecisionSerializer(serializers.ModelSerializer):
    shares = serializers.SerializerMethodField(help_text="Where the costs fall, one line per agency")

    @extend_schema_field(DecisionShareSerializer(many=True))
    def get_shares(self, decision: Decision) -> list:
        return DecisionShareSerializer(decision_share_rows(decision), many=True).data

    recommendations = RecommendationSummarySerializer(many=True, read_only=True)
    parts = serializers.SerializerMethodField(
        help_text="Per impacted agency: a decision, or a recommendation to it, and why (seeds 002: no "
        "decision impacts an agency that is not present and quorate); for a draft, what signing it now makes"
    )

    @extend_schema_field(DecisionPartSerializer(many=True))
    def get_parts(self, decision: Decision) -> list:
        meeting = decision.agenda_item.meeting
        parts = selectors.decision_parts(
            decision, not_deciding=lambda ids: selectors.agencies_not_deciding(meeting, ids)
        )
        return DecisionPartSerializer(parts, many=True).data

    fingerprint = serializers.SerializerMethodField(help_text="Send back with a PATCH to refuse stale edits")

    def get_fingerprint(self, decision: Decision) -> str:
        return services.draft_fingerprint(decision)

    class Meta:
        model = Decision
        fields = [
            "id",
            "agenda_item",
            "referral",
            "version",
            "supersedes",
            "correction_reason",
            "status",
            "outcome",
            "option",
            "rationale",
            "conditions",
            "lead_agency",
            "key_worker",
            "cost",
            "cost_period",
            "weeks_per_year",
            "starts_on",
            "ends_on",
            "review_date",
            "was_quorate",
            "recorded_by",
            "recorded_at",
            "signed_by",
            "signed_at",
            "shares",
            "recommendations",
            "parts",
            "fingerprint",
        ]
        read_only_fields = fields


# Named apart from referrals' ShareWriteSerializer (an option's proposed split), a different shape.
@extend_schema_serializer(component_name="DecisionShareWrite")
class ShareWriteSerializer(serializers.Serializer):
    agency = serializers.IntegerField()
    basis = serializers.ChoiceField(choices=ShareBasis.choices)
    value = money_input()


_RATIONALE = "Enter the rationale for the decision"  # the service's words (panels.services.decisions)


class DecisionWriteSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    option = serializers.IntegerField(required=False, allow_null=True)
    rationale = StrictCharField(
        max_length=10000,
        help_text="Always needed: the reasons for the decision",
        error_messages={"required": _RATIONALE, "blank": _RATIONALE},
    )
    conditions = StrictCharField(required=False, allow_blank=True, max_length=5000)
    lead_agency = serializers.IntegerField(required=False, allow_null=True)
    key_worker = serializers.IntegerField(required=False, allow_null=True)
    cost = money_input(required=False, allow_null=True)
    cost_period = serializers.ChoiceField(choices=CostPeriod.choices, required=False, allow_blank=True)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)
    review_date = serializers.DateField(required=False, allow_null=True)
    shares = ShareWriteSerializer(
        many=True,
        required=False,
        help_text="Left out: the agreed option's proposed split (or, on a change, the current one)",
    )


class DecisionPatchSerializer(DecisionWriteSerializer):
    # Every field but the fingerprint is optional (left out: kept); documented as a whole body so
    # the schema shows the fingerprint as required (casework.api_errors.AutoSchema).
    whole_on_patch = True

    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    rationale = StrictCharField(
        required=False, max_length=10000, help_text="Left out: kept", error_messages={"blank": _RATIONALE}
    )
    fingerprint = StrictCharField(
        max_length=64,
        help_text="The draft's fingerprint as you read it: if someone saved it since, 409; "
        "left out, 428 and nothing is saved",
    )


class CorrectionSerializer(DecisionPatchSerializer):
    correction_reason = StrictCharField(allow_blank=True, max_length=2000)
    fingerprint = None  # a correction starts a new version: nothing to compare


class RecommendationSerializer(RecommendationSummarySerializer):
    decision = DecisionSerializer(read_only=True)

    class Meta(RecommendationSummarySerializer.Meta):
        fields = [*RecommendationSummarySerializer.Meta.fields, "decision"]
        read_only_fields = fields


class RespondSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = StrictCharField(required=False, allow_blank=True, max_length=5000)


# --- Fetching through access -------------------------------------------------------------------------


def _decision_out(decision: Decision) -> dict[str, Any]:
    return DecisionSerializer(selectors.decision_answer(decision=decision)).data


def _seat(meeting: Meeting, pk: int | None, field: str) -> Membership | None:
    if pk is None:
        return None
    found = selectors.panel_seat(panel=meeting.panel, pk=pk)
    if found is None:
        raise ValidationError({field: [f"No member with id {pk} on this panel"]})
    return found


def _decision_values(item: AgendaItem, data: dict[str, Any]) -> tuple[dict[str, Any], list | None]:
    """Turn ids into records of the panel's partnership (unknown ones are 400s, never 500s)."""
    partnership = item.meeting.panel.partnership
    values: dict[str, Any] = {k: v for k, v in data.items() if k in services.DECISION_FIELDS}
    if "option" in data:
        option = None
        if data["option"] is not None:
            option = (
                selectors.referral_option(referral=item.referral, pk=data["option"])
                if item.referral_id
                else None
            )
            if option is None:
                raise ValidationError({"option": ["Choose one of this referral's options"]})
        values["option"] = option
    agencies = selectors.partnership_agencies(partnership=partnership)
    if "lead_agency" in data:
        if data["lead_agency"] is not None and data["lead_agency"] not in agencies:
            raise ValidationError({"lead_agency": ["Choose an agency of the panel's partnership"]})
        values["lead_agency"] = agencies.get(data["lead_agency"])
    if "key_worker" in data:
        worker = None
        if data["key_worker"] is not None:
            worker = selectors.partnership_key_worker(partnership=partnership, pk=data["key_worker"])
            if worker is None:
                raise ValidationError(
                    {"key_worker": ["Choose a key worker from an agency of the panel's partnership"]}
                )
        values["key_worker"] = worker
    shares = None
    if "shares" in data:
        shares = []
        for row in data["shares"]:
            if row["agency"] not in agencies:
                raise ValidationError(
                    {"shares": [f"No agency with id {row['agency']} in the panel's partnership"]}
                )
            shares.append((agencies[row["agency"]], row["basis"], row["value"]))
    return values, shares


# --- Views ---------------------------------------------------------------------------------------------


class QuorumView(APIView):
    @extend_schema(summary="A meeting's quorum, live from its attendance", responses={200: QuorumSerializer})
    def get(self, request, pk):
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="follow")
        result = selectors.quorum(meeting)
        return Response(
            QuorumSerializer(
                {
                    "is_quorate": result.is_quorate,
                    "inquorate": selectors.whole_meeting_inquorate(meeting),
                    "required_per_agency": result.required_per_agency,
                    "present_total": result.present_total,
                    "agencies": [
                        {
                            "agency": {"id": r.agency.pk, "name": r.agency.name},
                            "present": r.present,
                            "required": r.required,
                            "met": r.met,
                        }
                        for r in result.agencies
                    ],
                }
            ).data
        )


class AttendanceView(APIView):
    @extend_schema(summary="A meeting's attendance", responses={200: AttendanceSerializer(many=True)})
    def get(self, request, pk):
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="follow")
        return Response(AttendanceSerializer(selectors.meeting_attendance(meeting=meeting), many=True).data)

    @extend_schema(
        summary="Record a member's attendance",
        request=AttendanceWriteSerializer,
        responses={200: AttendanceSerializer},
    )
    def post(self, request, pk):
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="run")
        data = parsed(AttendanceWriteSerializer, request.data)
        row = services.attendance_record(
            actor=request.user,
            meeting=meeting,
            membership=_seat(meeting, data["membership"], "membership"),
            status=data["status"],
            deputy_for=_seat(meeting, data.get("deputy_for"), "deputy_for"),
        )
        return Response(AttendanceSerializer(row).data)


class MeetingDeclarationsView(APIView):
    @extend_schema(
        summary="Declarations of interest at a meeting",
        description="Every entry, corrections included (nothing is lost): an entry stands while no other "
        "corrects it (`corrected_by` is null) and it does not withdraw one (`withdrawn` is false).",
        responses={200: DeclarationSerializer(many=True)},
    )
    def get(self, request, pk):
        meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="follow")
        found = selectors.meeting_declarations(meeting=meeting)
        log_children(request, [declaration.child_pk for declaration in found], channel="api")
        return Response(DeclarationSerializer(found, many=True).data)


class ItemDeclarationsView(APIView):
    @extend_schema(
        summary="Record a declaration of interest on an item",
        request=DeclarationWriteSerializer,
        responses={201: DeclarationSerializer},
    )
    def post(self, request, pk):
        item = access.get_agenda_item_for_user(user=request.user, pk=pk, need="run")
        data = parsed(DeclarationWriteSerializer, request.data)
        declaration = services.declaration_record(
            actor=request.user,
            agenda_item=item,
            membership=_seat(item.meeting, data["membership"], "membership"),
            interest=data["interest"],
            action=data["action"],
        )
        return Response(DeclarationSerializer(declaration).data, status=status.HTTP_201_CREATED)


class DeclarationView(APIView):
    @extend_schema(
        summary="Remove a declaration recorded in error",
        description="Only before the item's decision is signed; after that, declarations are append-only "
        "(409 saying who signed and when): correct it instead.",
        responses={204: None},
    )
    def delete(self, request, pk):
        declaration = access.get_declaration_for_user(user=request.user, pk=pk, need="run")
        services.declaration_remove(actor=request.user, declaration=declaration)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeclarationCorrectView(APIView):
    @extend_schema(
        summary="Correct a declaration (a new entry; the one it corrects is kept)",
        description="The new entry names the one it corrects, with the corrected interest and action "
        "(left out: kept) or `withdraw`, and the reason. An entry is corrected once: correcting one "
        "already corrected (or two corrections at once) is a 409 naming who corrected it.",
        request=DeclarationCorrectionSerializer,
        responses={201: DeclarationSerializer},
    )
    def post(self, request, pk):
        declaration = access.get_declaration_for_user(user=request.user, pk=pk, need="run")
        data = parsed(DeclarationCorrectionSerializer, request.data)
        correction = services.declaration_correct(
            actor=request.user,
            declaration=declaration,
            reason=data["reason"],
            interest=data.get("interest"),
            action=data.get("action"),
            withdraw=data["withdraw"],
        )
        return Response(DeclarationSerializer(correction).data, status=status.HTTP_201_CREATED)


# What the schema cannot say about a decision (seeds 002), each a 400 with the field's message.
_DECISION_RULES = (
    "Decisions are made on an item that is a referral. `rationale` is always needed. An agreed outcome "
    "needs the option agreed (agreed as recommended: the recommended one), `lead_agency`, the cost and "
    "how often it is paid (the option's, if left out), a `review_date` after the meeting, and `shares` "
    "(the option's, if left out) naming agencies of the panel's partnership once each and accounting for "
    "the cost exactly: percentages adding up to 100, or amounts adding up to the cost. Agreed with "
    "conditions needs `conditions`. Any `review_date` is after the meeting; `ends_on` is on or after "
    "`starts_on`; `lead_agency` and `key_worker` are of the panel's partnership."
)


class ItemDecisionView(APIView):
    @extend_schema(
        summary="Record the decision on an item (a draft)",
        description=_DECISION_RULES,
        request=DecisionWriteSerializer,
        responses={201: DecisionSerializer},
    )
    def post(self, request, pk):
        item = access.get_agenda_item_for_user(user=request.user, pk=pk, need="run")
        data = parsed(DecisionWriteSerializer, request.data)
        values, shares = _decision_values(item, data)
        decision = services.decision_record(
            actor=request.user, agenda_item=item, fields=values, shares=shares
        )
        return Response(_decision_out(decision), status=status.HTTP_201_CREATED)


class DecisionView(APIView):
    @extend_schema(summary="One decision version", responses={200: DecisionSerializer})
    def get(self, request, pk):
        decision = access.get_decision_for_user(user=request.user, pk=pk)
        if decision.referral_id:
            log_children(request, [decision.referral.child_id], channel="api")
        return Response(_decision_out(decision))

    @extend_schema(
        summary="Change a draft decision",
        description="Send the draft's `fingerprint` as you read it (428 without it, 409 if someone saved "
        "the draft since, naming who). Fields left out keep their value. A signed decision is locked: "
        "409. " + _DECISION_RULES,
        request=DecisionPatchSerializer,
        responses={200: DecisionSerializer, 428: PRECONDITION_REQUIRED},
    )
    def patch(self, request, pk):
        decision = access.get_decision_for_user(user=request.user, pk=pk, need="run")
        body = DecisionPatchSerializer(data=request.data)
        if decision.is_locked:  # a signed decision answers its own 409, whatever was sent
            body.fields["fingerprint"].required = False
        else:
            require_precondition(request.data, "fingerprint", "the draft's fingerprint as you read it")
        body.is_valid(raise_exception=True)
        data = body.validated_data
        item = decision.agenda_item
        values, shares = _decision_values(item, data)
        merged = {name: getattr(decision, name) for name in services.DECISION_FIELDS} | values
        if shares is None and merged["option"] == decision.option:
            shares = selectors.decision_shares(decision=decision) or None
        updated = services.decision_record(
            actor=request.user,
            agenda_item=item,
            fields=merged,
            shares=shares,
            decision=decision,
            seen_fingerprint=data.get("fingerprint"),
        )
        return Response(_decision_out(updated))


class DecisionSignView(APIView):
    @extend_schema(
        summary="Sign a draft decision (the chair or vice-chair)",
        request=None,
        responses={200: DecisionSerializer},
    )
    def post(self, request, pk):
        decision = access.get_decision_for_user(user=request.user, pk=pk)
        signed = services.decision_sign(actor=request.user, decision=decision)
        return Response(_decision_out(signed))


class DecisionCorrectView(APIView):
    @extend_schema(
        summary="Correct a signed decision",
        description="A new draft version with the reason; fields left out keep the signed version's value. "
        + _DECISION_RULES,
        request=CorrectionSerializer,
        responses={201: DecisionSerializer},
    )
    def post(self, request, pk):
        decision = access.get_decision_for_user(user=request.user, pk=pk, need="run")
        data = parsed(CorrectionSerializer, request.data)
        values, shares = _decision_values(decision.agenda_item, data)
        new = services.decision_correct(
            actor=request.user,
            decision=decision,
            reason=data["correction_reason"],
            fields=values,
            shares=shares,
        )
        return Response(_decision_out(new), status=status.HTTP_201_CREATED)


class _Pages(PageNumberPagination):
    page_size = 25


class RecommendationListView(APIView):
    # Read only by the schema, so it shows the page envelope the view returns (get() pages itself).
    pagination_class = _Pages

    @extend_schema(
        summary="Recommendations to my agency (and the panels I administer)",
        responses={200: RecommendationSummarySerializer(many=True)},
    )
    def get(self, request):
        pages = _Pages()
        found = pages.paginate_queryset(selectors.my_recommendations(user=request.user), request, view=self)
        log_children(
            request, [r.decision.referral.child_id for r in found if r.decision.referral_id], channel="api"
        )
        return pages.get_paginated_response(RecommendationSummarySerializer(found, many=True).data)


class RecommendationView(APIView):
    @extend_schema(summary="One recommendation with its decision", responses={200: RecommendationSerializer})
    def get(self, request, pk):
        found = access.get_recommendation_for_user(user=request.user, pk=pk)
        if found.decision.referral_id:
            record_child_view(
                user=request.user, child=found.decision.referral.child, channel="api", path=request.path
            )
        return Response(RecommendationSerializer(found).data)


class RecommendationRespondView(APIView):
    @extend_schema(
        summary="Accept or decline a recommendation (the absent agency)",
        request=RespondSerializer,
        responses={200: RecommendationSerializer},
    )
    def post(self, request, pk):
        found = access.get_recommendation_for_user(user=request.user, pk=pk)
        data = parsed(RespondSerializer, request.data)
        answered = services.recommendation_respond(
            actor=request.user,
            recommendation=found,
            accept=data["accept"],
            reason=data.get("reason", ""),
        )
        return Response(RecommendationSerializer(answered).data)


class RecommendationChaseView(APIView):
    @extend_schema(
        summary="Remind the absent agency (the panel's administrators)",
        request=None,
        responses={200: RecommendationSerializer},
    )
    def post(self, request, pk):
        found = access.get_recommendation_for_user(user=request.user, pk=pk)
        chased = services.recommendation_chase(actor=request.user, recommendation=found)
        return Response(RecommendationSerializer(chased).data)


urlpatterns = [
    path("meetings/<str:pk>/quorum/", QuorumView.as_view(), name="api-meeting-quorum"),
    path("meetings/<str:pk>/attendance/", AttendanceView.as_view(), name="api-meeting-attendance"),
    path(
        "meetings/<str:pk>/declarations/", MeetingDeclarationsView.as_view(), name="api-meeting-declarations"
    ),
    path("agenda-items/<str:pk>/declarations/", ItemDeclarationsView.as_view(), name="api-item-declarations"),
    path("declarations/<str:pk>/", DeclarationView.as_view(), name="api-declaration"),
    path("declarations/<str:pk>/correct/", DeclarationCorrectView.as_view(), name="api-declaration-correct"),
    path("agenda-items/<str:pk>/decision/", ItemDecisionView.as_view(), name="api-item-decision"),
    path("decisions/<str:pk>/", DecisionView.as_view(), name="api-decision"),
    path("decisions/<str:pk>/sign/", DecisionSignView.as_view(), name="api-decision-sign"),
    path("decisions/<str:pk>/correct/", DecisionCorrectView.as_view(), name="api-decision-correct"),
    path("recommendations/", RecommendationListView.as_view(), name="api-recommendations"),
    path("recommendations/<str:pk>/", RecommendationView.as_view(), name="api-recommendation"),
    path(
        "recommendations/<str:pk>/respond/",
        RecommendationRespondView.as_view(),
        name="api-recommendation-respond",
    ),
    path(
        "recommendations/<str:pk>/chase/", RecommendationChaseView.as_view(), name="api-recommendation-chase"
    ),
]
