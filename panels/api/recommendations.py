"""The REST API for the recommendations a signed decision makes to agencies that were absent or
not quorate: listing them, answering one (the agency), chasing one (the panel's administrators).

Every meeting, item, decision and recommendation comes through panels/access.py (another
partnership's answers 404 exactly like a missing one). Domain errors become HTTP answers in
casework/api_errors.py: ValidationError → 400 with field messages, NotAllowed → 403,
InvalidTransition → 409 (a signed decision is locked; a stale or repeated change).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api_kit import parsed
from casework.audit import record_child_view
from casework.serializers import StrictCharField
from panels import access, selectors, services
from panels.api.decisions import DecisionSerializer, RecommendationSummarySerializer
from panels.views.read_log import log_children

# --- Serializers -----------------------------------------------------------------------------------


class RecommendationSerializer(RecommendationSummarySerializer):
    decision = DecisionSerializer(read_only=True)

    class Meta(RecommendationSummarySerializer.Meta):
        fields = [*RecommendationSummarySerializer.Meta.fields, "decision"]
        read_only_fields = fields


class RespondSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = StrictCharField(required=False, allow_blank=True, max_length=5000)


# --- Views ---------------------------------------------------------------------------------------------


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
