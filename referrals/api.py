"""The REST API for referrals: the same operations as the pages, through the same services and
access checks. Thin: parse input, check access, call a service, render.

Every referral comes from referrals/access.py (one the caller cannot see answers 404 exactly like
a missing one, for every endpoint and action). Access is checked before the body is read, so a
role that may not write is told 403 whatever it sent. Domain errors become HTTP answers in
casework/api_errors.py: ValidationError → 400 with field messages (completeness problems keyed by
section), NotAllowed → 403, InvalidTransition → 409. Each write answers with the referral's whole
record, so a client sees the new status, signatures and what is still missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from casework.access import NOT_FOUND_MESSAGE, NotAllowed
from casework.api_kit import (
    ANY_ID,
    ERROR,
    ERRORS,
    NOT_ALLOWED,
    NOT_SIGNED_IN,
    READ_ERRORS,
    field_errors,
    parsed,
)
from casework.audit import filters_text, record_child_list_view, record_child_view
from casework.money import weekly_from_hours
from referrals import access, selectors, services
from referrals import evidence as evidence_kinds
from referrals.evidence import open_stored
from referrals.models import Evidence, Option, OptionShare, Referral, ShareBasis, SignOffStage
from referrals.serializers import (
    SECTION_SERIALIZERS,
    WRITABLE_SECTIONS,
    CloseSerializer,
    EvidenceUploadSerializer,
    OptionWriteSerializer,
    ReferralCreateSerializer,
    ReferralListQuerySerializer,
    ReferralSerializer,
    ReferralSummarySerializer,
    ReturnSerializer,
    SignSerializer,
    SubmitSerializer,
    WithdrawSerializer,
)

# --- Shapes of the answers, for the schema --------------------------------------------------------

FIELD_ERRORS = field_errors("Split does not add up", {"shares": ["The percentages add up to 90%, not 100%"]})
_INCOMPLETE = field_errors(
    "Sections missing",
    {
        "needs": ["Complete section 1. Assessed needs"],
        "options": ["Add at least one option with its cost"],
        "evidence": ["Attach at least one piece of evidence"],
    },
)
_CONFLICT = OpenApiResponse(
    ERROR,
    description="The referral's status does not allow this now (for example it has already been "
    "signed, or someone else moved it on first).",
)
_WRITE = {400: FIELD_ERRORS, **ERRORS, 409: _CONFLICT}
_DELETED = OpenApiResponse(description="Removed")

_OPTION_ID = OpenApiParameter("option_id", int, OpenApiParameter.PATH, description="The option's id")
_EVIDENCE_ID = OpenApiParameter("evidence_id", int, OpenApiParameter.PATH, description="The document's id")


def _with_split_problem(errors: Mapping[str, Any], read: Mapping[str, Any]) -> dict[str, Any]:
    """`errors`, with the split's problem under "shares" too when nothing there says it yet, by the
    service's own rule (services.split_problem) and in its words, as the option's page does
    (referrals.forms.options): every problem in one answer (issue 16). `read` is what could be read
    of the cost, hours, rate and shares. Not when a share cannot be read (its own message says so),
    nor for amounts when the cost is not known (no misleading total)."""
    if "shares" in errors or "shares" not in read:
        return dict(errors)
    cost = read.get("cost")
    hours, rate = read.get("hours_per_week"), read.get("hourly_rate")
    if hours is not None and rate is not None and not errors.keys() & {"hours_per_week", "hourly_rate"}:
        cost = weekly_from_hours(hours, rate)  # as the service prices an option paid by the hour
    shares = [
        OptionShare(agency=agency, basis=basis, value=value)
        for agency, basis, value in OptionWriteSerializer.share_tuples(read)
    ]
    if shares and cost is None and all(share.basis == ShareBasis.AMOUNT for share in shares):
        return dict(errors)
    problem = services.split_problem(Option(cost=cost), shares)
    if not problem:
        return dict(errors)
    return {**errors, "shares": [problem[0].upper() + problem[1:]]}


class _AnyAccept(DefaultContentNegotiation):
    """A download is the file whatever the client says it accepts; errors are still JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(
        summary="List referrals you can see",
        description="Referrals for the children your agency works with, most recently changed first. "
        "A filter value that is not on offer (an unknown status, a panel you cannot see) is a 400.",
        parameters=[ReferralListQuerySerializer],
        responses={
            200: ReferralSummarySerializer,
            400: field_errors("Unknown status", {"status": ['"lost" is not a valid choice.']}),
            401: NOT_SIGNED_IN,
        },
    ),
    retrieve=extend_schema(
        summary="A referral's whole record",
        description="The form's sections, options with each agency's weekly and annual cost, evidence "
        "(with download links), sign-offs, status history and what still stops it being sent for "
        "sign-off. Every read is recorded in the child's access log.",
        responses={200: ReferralSerializer, **ERRORS},
    ),
    create=extend_schema(
        summary="Start a referral",
        description="A draft for a child your agency works with, to a panel of your partnership. "
        "A child or panel you cannot see answers 400 as if it did not exist. A review (`request_type` "
        "review) names in `review_of` an earlier referral of the same child whose funding it reviews.",
        request=ReferralCreateSerializer,
        responses={
            201: ReferralSerializer,
            400: field_errors(
                "Child not found", {"child": ["No child with id 42 was found among those you can see"]}
            ),
            401: NOT_SIGNED_IN,
            403: NOT_ALLOWED,
        },
    ),
)
class ReferralViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Referrals to joint panels. No DELETE: a referral is withdrawn, never removed."""

    queryset = Referral.objects.none()  # for the schema generator; get_queryset() is what runs
    lookup_value_regex = ANY_ID

    def get_serializer_class(self):
        return ReferralSummarySerializer if self.action == "list" else ReferralSerializer

    def get_queryset(self):
        if self.action != "list":
            return access.referrals_visible_to(user=self.request.user)
        wanted = parsed(
            ReferralListQuerySerializer, self.request.query_params, context=self.get_serializer_context()
        )
        panel = wanted.get("panel")
        filters = selectors.ReferralFilters(
            status=wanted.get("status", ""),
            panel=panel.pk if panel is not None else None,
            pathway=wanted.get("pathway", ""),
            urgency=wanted.get("urgency", ""),
        )
        user = self.request.user
        if wanted["mine"]:
            referrals = selectors.my_referrals(user=user, filters=filters)
        else:
            referrals = selectors.referral_list(user=user, filters=filters)
        if wanted["awaiting_my_sign_off"]:
            referrals = selectors.awaiting_my_sign_off_among(user=user, referrals=referrals)
        return referrals

    # --- Helpers ---------------------------------------------------------------------------------

    def _referral(self, *, need: str = "view") -> Referral:
        return access.get_referral_for_user(user=self.request.user, pk=self.kwargs.get("pk"), need=need)

    def _option(self, referral: Referral) -> Option:
        option = selectors.option_on(referral=referral, pk=self.kwargs.get("option_id"))
        if option is None:
            raise Http404(NOT_FOUND_MESSAGE)
        return option

    def _evidence(self) -> Evidence:
        return access.get_evidence_for_user(
            user=self.request.user, referral_pk=self.kwargs.get("pk"), pk=self.kwargs.get("evidence_id")
        )

    def _body(self, serializer_class) -> dict:
        return parsed(serializer_class, self.request.data, context=self.get_serializer_context())

    def _record(self, referral: Referral, *, status_code: int = status.HTTP_200_OK) -> Response:
        detail = selectors.referral_detail(user=self.request.user, pk=referral.pk)
        return Response(
            ReferralSerializer(detail, context=self.get_serializer_context()).data, status=status_code
        )

    def _require_signer(self, referral: Referral) -> None:
        # Told before the body is read, so the answer does not depend on what was sent. Which stage
        # is due (and so exactly who may sign now) is the service's to say.
        user = self.request.user
        if not any(
            access.can_sign(user=user, referral=referral, stage=stage) for stage in SignOffStage.values
        ):
            raise NotAllowed("Your role does not allow you to sign or return this referral")

    # --- The record ------------------------------------------------------------------------------

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        record_child_list_view(
            user=request.user,
            child_ids=[referral.child_id for referral in page],
            channel="api",
            path=request.path,
            query=filters_text(request.query_params),
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        referral = selectors.referral_detail(user=request.user, pk=kwargs.get("pk"))
        record_child_view(user=request.user, child=referral.child, channel="api", path=request.path)
        return Response(ReferralSerializer(referral, context=self.get_serializer_context()).data)

    def create(self, request: Request, *args, **kwargs) -> Response:
        if not access.can_create(user=request.user):
            raise NotAllowed("Your role does not allow writing referrals")
        data = self._body(ReferralCreateSerializer)
        referral = services.referral_create(actor=request.user, **data)
        return self._record(referral, status_code=status.HTTP_201_CREATED)

    # One operation per section (added below the class, from WRITABLE_SECTIONS), each documenting
    # exactly the fields of its section. This route takes any other name, to say which are on offer.
    @extend_schema(exclude=True)
    @action(
        detail=True,
        methods=["patch"],
        url_path=rf"sections/(?P<section>(?!(?:{'|'.join(WRITABLE_SECTIONS)})/)[^/]+)",
        url_name="section-unknown",
    )
    def unknown_section(self, request: Request, pk: str, section: str) -> Response:
        self._referral(need="edit")
        raise ValidationError({"section": [f"Choose one of: {', '.join(WRITABLE_SECTIONS)}"]})

    def _change_section(self, request: Request, section: str) -> Response:
        referral = self._referral(need="edit")
        fields = WRITABLE_SECTIONS[section]
        if isinstance(request.data, Mapping):
            unknown = sorted(set(request.data) - set(fields))
            if unknown:
                message = f"Not part of section {section}: send {', '.join(fields)}"
                raise ValidationError({name: [message] for name in unknown})
        data = parsed(
            SECTION_SERIALIZERS[section],
            request.data,
            partial=True,
            context={**self.get_serializer_context(), "referral": referral},
        )
        referral = services.referral_update_section(
            actor=request.user, referral=referral, section=section, fields=data
        )
        return self._record(referral)

    # --- Options and costs -----------------------------------------------------------------------

    @extend_schema(
        summary="Add an option with its cost and proposed split",
        description='Money is a string of pounds and pence (`"1234.56"`). The shares must account '
        "for the whole cost: percentages adding up to 100, or amounts adding up to the cost, each agency "
        "once, and only agencies involved with the child or the panel's host agency. The cost comes to at "
        "most £10,000,000 a year; `ends_on` is on or after `starts_on`. Give `cost`, or (home support paid "
        "by the hour) `hours_per_week` and `hourly_rate` together: the cost is then their product a week.",
        request=OptionWriteSerializer,
        responses={201: ReferralSerializer, **_WRITE},
        examples=[
            OpenApiExample(
                "Half each",
                request_only=True,
                value={
                    "description": "Residential short breaks",
                    "cost": "1234.56",
                    "period": "weekly",
                    "shares": [
                        {"agency": 1, "basis": "percentage", "value": "50.00"},
                        {"agency": 2, "basis": "percentage", "value": "50.00"},
                    ],
                },
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="options", url_name="options")
    def add_option(self, request: Request, pk: str) -> Response:
        referral = self._referral(need="edit")
        self._save_option(referral)
        return self._record(referral, status_code=status.HTTP_201_CREATED)

    def _save_option(self, referral: Referral, option: Option | None = None) -> None:
        """The body read and saved by services.option_save, every problem in one 400 (issue 16):
        when a field cannot be read (the service is not reached) or the service stops before its
        split check, the split's problem is said too."""
        body = OptionWriteSerializer(data=self.request.data, context=self.get_serializer_context())
        if not body.is_valid():
            raise ValidationError(_with_split_problem(dict(body.errors), body.read_so_far()))
        data = body.validated_data
        try:
            services.option_save(
                actor=self.request.user,
                referral=referral,
                option=option,
                fields=OptionWriteSerializer.option_fields(data),
                shares=OptionWriteSerializer.share_tuples(data),
            )
        except DjangoValidationError as error:
            if not hasattr(error, "error_dict"):
                raise
            raise ValidationError(_with_split_problem(error.message_dict, data)) from error

    @extend_schema(
        methods=["PUT"],
        summary="Replace an option and its split",
        description="Send the whole option again; optional fields left out are cleared. The same rules "
        "as adding one. Changing a signed referral withdraws its signatures.",
        parameters=[_OPTION_ID],
        request=OptionWriteSerializer,
        responses={200: ReferralSerializer, **_WRITE},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove an option",
        description="If it was the recommended option and one other is left, that one becomes recommended.",
        parameters=[_OPTION_ID],
        request=None,
        responses={204: _DELETED, **ERRORS, 409: _CONFLICT},
    )
    @action(
        detail=True, methods=["put", "delete"], url_path=r"options/(?P<option_id>[^/]+)", url_name="option"
    )
    def option(self, request: Request, pk: str, option_id: str) -> Response:
        referral = self._referral(need="edit")
        option = self._option(referral)
        if request.method == "DELETE":
            services.option_remove(actor=request.user, option=option)
            return Response(status=status.HTTP_204_NO_CONTENT)
        self._save_option(referral, option)
        return self._record(referral)

    @extend_schema(
        summary="Make this the recommended option",
        description="Exactly one option is recommended; the one recommended before is no longer.",
        parameters=[_OPTION_ID],
        request=None,
        responses={200: ReferralSerializer, **ERRORS, 409: _CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"options/(?P<option_id>[^/]+)/recommend",
        url_name="option-recommend",
    )
    def recommend_option(self, request: Request, pk: str, option_id: str) -> Response:
        referral = self._referral(need="edit")
        services.option_recommend(actor=request.user, option=self._option(referral))
        return self._record(referral)

    # --- Evidence --------------------------------------------------------------------------------

    @extend_schema(
        summary="Attach a document",
        description="Send `multipart/form-data` with `file` and an optional `title`. The file is checked "
        "by its content, not its name: a PDF, Word document, PNG or JPEG that opens, within the size limit.",
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={
            201: ReferralSerializer,
            400: field_errors("Empty file", {"file": ["The selected file is empty"]}),
            **ERRORS,
            409: _CONFLICT,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="evidence",
        url_name="evidence",
        parser_classes=[MultiPartParser, FormParser],
    )
    def add_evidence(self, request: Request, pk: str) -> Response:
        referral = self._referral(need="edit")
        data = self._body(EvidenceUploadSerializer)
        services.evidence_add(actor=request.user, referral=referral, upload=data["file"], title=data["title"])
        return self._record(referral, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Take a document off the referral",
        description="The file is kept for the audit trail; it is no longer part of the referral.",
        parameters=[_EVIDENCE_ID],
        request=None,
        responses={204: _DELETED, **ERRORS, 409: _CONFLICT},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"evidence/(?P<evidence_id>[^/]+)",
        url_name="evidence-item",
    )
    def remove_evidence(self, request: Request, pk: str, evidence_id: str) -> Response:
        services.evidence_remove(actor=request.user, evidence=self._evidence())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Download a document",
        description="The file as it was uploaded. Every download is recorded in the audit trail.",
        parameters=[_EVIDENCE_ID],
        responses={
            **{
                (200, kind.content_type): OpenApiResponse(
                    OpenApiTypes.BINARY, description="The file, with its own content type"
                )
                for kind in evidence_kinds.KINDS
            },
            **READ_ERRORS,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"evidence/(?P<evidence_id>[^/]+)/download",
        url_name="evidence-download",
        content_negotiation_class=_AnyAccept,
    )
    def download_evidence(self, request: Request, pk: str, evidence_id: str) -> FileResponse:
        evidence = self._evidence()
        file = open_stored(evidence)
        services.evidence_record_download(actor=request.user, evidence=evidence)
        return FileResponse(
            file, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
        )

    # --- Sign-off and status ---------------------------------------------------------------------

    @extend_schema(
        summary="Send for sign-off",
        description="To the team manager, once every section is complete, with at least one option "
        "and one document. Otherwise a 400 lists what is missing, keyed by section.",
        request=None,
        responses={200: ReferralSerializer, 400: _INCOMPLETE, **ERRORS, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="send-for-sign-off", url_name="send-for-sign-off")
    def send_for_sign_off(self, request: Request, pk: str) -> Response:
        referral = self._referral(need="edit")
        return self._record(services.referral_send_for_sign_off(actor=request.user, referral=referral))

    @extend_schema(
        summary="Sign the referral",
        description="The team manager signs first, then a service manager or panel member; nobody signs "
        "a referral they wrote. A signature covers the exact content: a later change withdraws it. "
        "Someone who signed or returned it first wins: the other gets 409 saying who did what (also "
        "for the same person's second request), never 403.",
        request=SignSerializer,
        responses={200: ReferralSerializer, **_WRITE},
    )
    @action(detail=True, methods=["post"], url_path="sign", url_name="sign")
    def sign(self, request: Request, pk: str) -> Response:
        referral = self._referral()
        self._require_signer(referral)
        data = self._body(SignSerializer)
        return self._record(
            services.referral_sign(
                actor=request.user,
                referral=referral,
                comments=data["comments"],
                expected_status=data.get("status"),
            )
        )

    @extend_schema(
        summary="Return the referral to the referrer",
        description="Instead of signing: say what needs to change. Earlier signatures no longer stand.",
        request=ReturnSerializer,
        responses={200: ReferralSerializer, **_WRITE},
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_to_referrer(self, request: Request, pk: str) -> Response:
        referral = self._referral()
        self._require_signer(referral)
        data = self._body(ReturnSerializer)
        return self._record(
            services.referral_return(
                actor=request.user,
                referral=referral,
                comments=data["comments"],
                expected_status=data.get("status"),
            )
        )

    @extend_schema(
        summary="Submit to a panel meeting",
        description="Once both signatures stand on the current content. After the meeting's papers "
        "deadline it goes in as a late paper, for the chair to accept or move.",
        request=SubmitSerializer,
        responses={200: ReferralSerializer, **_WRITE},
    )
    @action(detail=True, methods=["post"], url_path="submit", url_name="submit")
    def submit(self, request: Request, pk: str) -> Response:
        referral = self._referral(need="edit")
        meeting = self._body(SubmitSerializer)["meeting"]
        return self._record(services.referral_submit(actor=request.user, referral=referral, meeting=meeting))

    @extend_schema(
        summary="Withdraw the referral",
        description="At any point before the panel decides, with the reason. A withdrawn referral is final.",
        request=WithdrawSerializer,
        responses={200: ReferralSerializer, **_WRITE},
    )
    @action(detail=True, methods=["post"], url_path="withdraw", url_name="withdraw")
    def withdraw(self, request: Request, pk: str) -> Response:
        referral = self._referral(need="edit")
        reason = self._body(WithdrawSerializer)["reason"]
        return self._record(services.referral_withdraw(actor=request.user, referral=referral, reason=reason))

    @extend_schema(
        summary="Close a decided referral",
        description="Once the child has accessed suitable provision, or no longer needs the panel. "
        "The referring team or the panel's chair.",
        request=CloseSerializer,
        responses={200: ReferralSerializer, **_WRITE},
    )
    @action(detail=True, methods=["post"], url_path="close", url_name="close")
    def close(self, request: Request, pk: str) -> Response:
        referral = self._referral()
        # Told before the body is read, as the service would (referrals.services.referral_close).
        services.require_closer(actor=request.user, referral=referral)
        reason = self._body(CloseSerializer)["reason"]
        return self._record(services.referral_close(actor=request.user, referral=referral, reason=reason))


# A section's rules that a schema cannot say (each a 400 with the field's message).
_SECTION_RULES = {
    "details": " A review (`request_type` review) names in `review_of` an earlier referral of the same "
    "child whose funding it reviews; a new request names none.",
}


def _section_operation(section: str):
    fields = WRITABLE_SECTIONS[section]
    title = services.SECTION_TITLES.get(section, "The referral's details (pathway, type, urgency)")

    def change_section(self, request: Request, pk: str) -> Response:
        return self._change_section(request, section)

    # Named before it is decorated: the route finds its method by this name.
    change_section.__name__ = f"section_{section}"
    routed = action(
        detail=True, methods=["patch"], url_path=f"sections/{section}", url_name=f"section-{section}"
    )(change_section)
    return extend_schema(
        summary=f"Change section: {title}",
        description=f"Send any of: {', '.join(fields)}; any other field is a 400. A draft may be "
        "incomplete. Changing a signed referral withdraws its signatures and returns it to draft."
        + _SECTION_RULES.get(section, ""),
        request=SECTION_SERIALIZERS[section],
        responses={
            200: ReferralSerializer,
            400: field_errors(
                "Not in this section", {"child_voice": ["Not part of section needs: send assessed_needs"]}
            ),
            **ERRORS,
            409: _CONFLICT,
        },
    )(routed)


for _section in WRITABLE_SECTIONS:
    setattr(ReferralViewSet, f"section_{_section}", _section_operation(_section))
