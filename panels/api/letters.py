"""API for decision letters: a meeting's letters, prepare, edit, send, recipients.

The same services and access checks as the pages. A meeting's list and preparing a letter are for
the panel's chair and administrators (others who can see the panel: 403; anyone else: 404). A
letter is read by whoever may see its referral and by the panel's administrators
(panels.access.get_letter_for_user; anyone else: 404). Errors are mapped in casework/api_errors.py.
"""

from __future__ import annotations

from django.urls import path, reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api_kit import (
    ERROR,
    ERRORS,
    PRECONDITION_REQUIRED,
    field_errors,
    parsed,
    require_precondition,
)
from casework.audit import record_child_view
from casework.serializers import StrictCharField
from panels import access, services
from panels.models import DecisionLetter
from panels.selectors.minutes import letter_detail, letter_rows
from panels.services.letters import letter_fingerprint
from panels.views.letters import log_letter_rows

_CONFLICT = OpenApiResponse(
    ERROR,
    description="The letter was already prepared or sent, the decision is not signed, or someone else "
    "changed the letter since the fingerprint you sent.",
)


class RecipientSerializer(serializers.Serializer):
    person = serializers.IntegerField(source="person_id")
    name = serializers.CharField(source="person.full_name")
    email = serializers.EmailField()
    capacity = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True, help_text="When its e-mail went")


class LetterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    decision = serializers.IntegerField(source="decision_id")
    referral = serializers.IntegerField(source="decision.referral_id")
    child_initials = serializers.CharField(source="decision.referral.child.initials")
    subject = serializers.CharField()
    body = serializers.CharField()
    fingerprint = serializers.SerializerMethodField(help_text="Send it back with an edit")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    pdf_url = serializers.SerializerMethodField()
    recipients = RecipientSerializer(many=True, source="recipients.all")

    def get_fingerprint(self, letter) -> str:
        return letter_fingerprint(letter)

    def get_pdf_url(self, letter) -> str | None:
        return reverse("panels:letter_pdf", args=[letter.pk]) if letter.pdf_name else None


class LetterRowSerializer(serializers.Serializer):
    decision = serializers.IntegerField(source="decision.pk")
    referral = serializers.IntegerField(source="decision.referral_id")
    child_initials = serializers.CharField(source="decision.referral.child.initials")
    outcome = serializers.CharField(source="decision.outcome")
    due_on = serializers.DateField(source="due.due_on")
    overdue = serializers.BooleanField(source="due.overdue")
    letter = serializers.SerializerMethodField()

    def get_letter(self, row) -> dict | None:
        if row.letter is None:
            return None
        row.letter.decision = row.decision
        return LetterSerializer(row.letter).data


class LetterEditSerializer(serializers.Serializer):
    whole_on_patch = True  # the whole letter is sent (casework.api_errors.AutoSchema)

    subject = StrictCharField(max_length=300)
    body = StrictCharField(max_length=20000, trim_whitespace=False)
    fingerprint = StrictCharField(
        max_length=64, help_text="From the letter you read: a stale one is a 409; left out, 428"
    )


def _letter(request: Request, pk: str) -> DecisionLetter:
    return letter_detail(access.get_letter_for_user(user=request.user, pk=pk))


class MeetingLettersView(APIView):
    @extend_schema(
        summary="A meeting's decision letters",
        description="One row per signed decision on a referral: the due date (N working days after the "
        "meeting, the panel's setting), and the letter with its recipients once prepared.",
        responses={200: LetterRowSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        meeting = access.get_meeting_for_user(
            user=request.user,
            pk=pk,
            need="administer",
            refusal="Only the panel's chair or administrators can see its decision letters",
        )
        rows = log_letter_rows(request, letter_rows(meeting=meeting), channel="api")
        return Response(LetterRowSerializer(rows, many=True).data)


class DecisionLetterView(APIView):
    @extend_schema(
        summary="Prepare the letter for a signed decision",
        description="Filled from the panel's template; edit it before sending.",
        request=None,
        responses={201: LetterSerializer, **ERRORS, 409: _CONFLICT},
    )
    def post(self, request: Request, pk: str) -> Response:
        decision = access.get_decision_for_user(user=request.user, pk=pk)
        letter = services.letter_prepare(actor=request.user, decision=decision)
        return Response(LetterSerializer(letter_detail(letter)).data, status=status.HTTP_201_CREATED)


class LetterView(APIView):
    @extend_schema(summary="A decision letter", responses={200: LetterSerializer, **ERRORS})
    def get(self, request: Request, pk: str) -> Response:
        letter = _letter(request, pk)
        record_child_view(
            user=request.user, child=letter.decision.referral.child, channel="api", path=request.path
        )
        return Response(LetterSerializer(letter).data)

    @extend_schema(
        summary="Edit a letter before it is sent",
        description="Send the whole letter and the `fingerprint` of the letter you read (428 without it, "
        "409 if someone changed the letter since, naming who).",
        request=LetterEditSerializer,
        responses={
            200: LetterSerializer,
            400: field_errors("Empty", {"body": ["This field may not be blank."]}),
            **ERRORS,
            409: _CONFLICT,
            428: PRECONDITION_REQUIRED,
        },
    )
    def patch(self, request: Request, pk: str) -> Response:
        found = access.get_letter_for_user(
            user=request.user,
            pk=pk,
            need="administer",
            refusal="Only the panel's chair or administrators can change a decision letter",
        )
        letter = letter_detail(found)
        require_precondition(request.data, "fingerprint", "the fingerprint of the letter as you read it")
        data = parsed(LetterEditSerializer, request.data)
        services.letter_edit(actor=request.user, letter=letter, **data)
        return Response(LetterSerializer(letter_detail(letter)).data)


class LetterSendView(APIView):
    @extend_schema(
        summary="Send a letter to the referrer and their service manager",
        description="Records the recipients and stamps the letter sent; the PDF and the e-mails (a link to "
        "the PDF, never an attachment) follow the commit, each recipient once.",
        request=None,
        responses={200: LetterSerializer, **ERRORS, 409: _CONFLICT},
    )
    def post(self, request: Request, pk: str) -> Response:
        letter = _letter(request, pk)
        services.letter_send(actor=request.user, letter=letter)
        return Response(LetterSerializer(letter_detail(letter)).data)


class LetterRecipientsView(APIView):
    @extend_schema(
        summary="Who received a letter and when", responses={200: RecipientSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request, pk: str) -> Response:
        return Response(RecipientSerializer(_letter(request, pk).recipients.all(), many=True).data)


urlpatterns = [
    path("meetings/<str:pk>/letters/", MeetingLettersView.as_view(), name="meeting-letters"),
    path("decisions/<str:pk>/letter/", DecisionLetterView.as_view(), name="decision-letter"),
    path("letters/<str:pk>/", LetterView.as_view(), name="letter-detail"),
    path("letters/<str:pk>/send/", LetterSendView.as_view(), name="letter-send"),
    path("letters/<str:pk>/recipients/", LetterRecipientsView.as_view(), name="letter-recipients"),
]
