"""The REST API for a meeting's decisions: recording a draft, changing it, signing it, correcting
a signed one. The same services and access checks as the chair's page.

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
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api_kit import PRECONDITION_REQUIRED, parsed, require_precondition
from casework.money import money_input, share_equivalents
from casework.serializers import StrictCharField
from panels import access, selectors, services
from panels.models import AgencyRecommendation, AgendaItem, Decision, Outcome
from panels.views.read_log import log_children
from referrals.models import CostPeriod, ShareBasis

# --- Serializers -----------------------------------------------------------------------------------


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

    def __init__(self, *args: Any, locked: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if locked:  # a signed decision answers its own 409, whatever was sent
            self.fields["fingerprint"].required = False


class CorrectionSerializer(DecisionPatchSerializer):
    correction_reason = StrictCharField(allow_blank=True, max_length=2000)
    fingerprint = None  # a correction starts a new version: nothing to compare


# --- Fetching through access -------------------------------------------------------------------------


def _decision_out(decision: Decision) -> dict[str, Any]:
    return DecisionSerializer(selectors.decision_answer(decision=decision)).data


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
        if not decision.is_locked:
            require_precondition(request.data, "fingerprint", "the draft's fingerprint as you read it")
        data = parsed(DecisionPatchSerializer, request.data, locked=decision.is_locked)
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


urlpatterns = [
    path("agenda-items/<str:pk>/decision/", ItemDecisionView.as_view(), name="api-item-decision"),
    path("decisions/<str:pk>/", DecisionView.as_view(), name="api-decision"),
    path("decisions/<str:pk>/sign/", DecisionSignView.as_view(), name="api-decision-sign"),
    path("decisions/<str:pk>/correct/", DecisionCorrectView.as_view(), name="api-decision-correct"),
]
