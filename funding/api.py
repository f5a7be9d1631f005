"""The REST API for funding: the same operations as the pages, through the same services and
access checks. Packages and shares come only from funding/access.py (404 for anyone who may not
see them); ValidationError → 400 with field messages, NotAllowed → 403, InvalidTransition → 409
(casework/api_errors.py)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from casework.access import NOT_FOUND_MESSAGE, NotAllowed, get_child_for_user
from casework.api_kit import ERROR, ERRORS, NOT_SIGNED_IN, READ_ERRORS, field_errors, parsed
from casework.audit import record_child_view
from casework.money import SplitLine, split_problems
from funding import access, selectors, services
from funding.models import FundingPackage, PackageStatus, Provider
from funding.serializers import (
    AnswerSerializer,
    DisputeSerializer,
    EndSerializer,
    FundingCommitmentsSerializer,
    FundingPackageDetailSerializer,
    FundingPackageSerializer,
    PackageCreateSerializer,
    PaginatedFundingApprovalListSerializer,
    PaginatedFundingPackageListSerializer,
    QuerySerializer,
    ShareActionSerializer,
    VarySerializer,
    package_data,
)
from funding.views import log_children
from referrals.serializers import fields_read

# The rules of a package's terms that a schema cannot say (each a 400 with the field's message).
_TERMS_RULES = (
    "`ends_on` and `review_date` are on or after `starts_on`; the cost comes to at most £10,000,000 a "
    "year; the shares name each agency of the child's partnership once and account for the cost "
    "exactly: percentages (none over 100) adding up to 100, or amounts adding up to the cost."
)
# How the schema describes the replies (casework/api_errors.py makes them).
_BAD_REQUEST = field_errors("Shares not adding up", {"shares": ["The percentages add up to 90%, not 100%"]})
_CONFLICT = OpenApiResponse(
    ERROR,
    description="The package moved on since the version you sent, someone acted on the share since the "
    "status you sent (the answer says who did what, and when), or it is not in a state that allows this.",
)
_WRITE_ERRORS = {400: _BAD_REQUEST, **ERRORS, 409: _CONFLICT}
NO_CHILD = "There is no child with that id that you can see"
NO_PROVIDER = "No provider with that id"


def _terms(request, data, *, provider: Provider | None = None) -> services.PackageTerms:
    """The terms of `data`; `provider` when the caller has looked it up already."""
    if provider is None and data.get("provider"):
        provider = selectors.provider_by_id(pk=data["provider"])
        if provider is None:
            raise DRFValidationError({"provider": [NO_PROVIDER]})
    if provider is None:
        provider = services.provider_create(
            actor=request.user,
            name=data["provider_name"],
            kind=data["provider_kind"],
            regulator_reference=data.get("provider_reference", ""),
        )
    return services.PackageTerms(
        provider=provider,
        service_description=data["service_description"],
        cost=data["cost"],
        cost_period=data["cost_period"],
        starts_on=data["starts_on"],
        ends_on=data.get("ends_on"),
        review_date=data.get("review_date"),
        weeks_per_year=int(data["weeks_per_year"]),
        personal_budget=data.get("personal_budget") or "",
        lines=[SplitLine(agency_id=s["agency"], basis=s["basis"], value=s["value"]) for s in data["shares"]],
    )


def _record_existing(request) -> FundingPackage:
    """An existing arrangement recorded by services.package_create_existing, every problem in one
    400 (issue 16): DRF's for each field it cannot read, the child and provider asked for, and the
    split's by the service's own rules (services.own_agency_problem, casework.money.split_problems),
    all together, as the page says them (funding.forms.NewPackageForm). Once every field reads, the
    service checks the terms (dates, cost, split) all at once itself."""
    body = PackageCreateSerializer(data=request.data)
    valid = body.is_valid()
    problems: dict[str, Any] = {} if valid else dict(body.errors)
    read = dict(body.validated_data) if valid else fields_read(body)
    if not valid and not problems.keys() & {"provider", "provider_name", "provider_kind"}:
        problems.update(PackageCreateSerializer.provider_problem(read))
    child = None
    if "child" in read:
        try:
            child = get_child_for_user(user=request.user, pk=read["child"])
        except Http404:
            problems["child"] = [NO_CHILD]
    provider = None
    if read.get("provider") and "provider" not in problems:
        provider = selectors.provider_by_id(pk=read["provider"])
        if provider is None:
            problems["provider"] = [NO_PROVIDER]
    if "shares" in read and "shares" not in problems:
        lines = [SplitLine(agency_id=s["agency"], basis=s["basis"], value=s["value"]) for s in read["shares"]]
        own = services.own_agency_problem(actor=request.user, agency_ids=[line.agency_id for line in lines])
        if own or problems:
            # The service would stop before its split check, or not be reached: say the split now.
            cost = read.get("cost") if "cost" not in problems else None
            known = cost if cost is not None and cost > 0 else None  # no total against a cost refused
            said = [own] if own else []
            said += split_problems(known, lines)
            if said:
                problems["shares"] = said
    if problems or child is None:
        raise DRFValidationError(problems)
    return services.package_create_existing(
        actor=request.user,
        child=child,
        pathway=read["pathway"],
        terms=_terms(request, read, provider=provider),
    )


def _read_variation(request, package: FundingPackage) -> dict[str, Any]:
    """A variation's body, or one 400 with every problem (issue 16): DRF's for each field it cannot
    read, and with them what services.package_vary would say of the fields that do read (the split
    by casework.money.split_problems, the effective date against the current version and the
    start), so a caller is not told the rest in a second round. Once every field reads, the service
    checks the terms all at once itself."""
    body = VarySerializer(data=request.data)
    if body.is_valid():
        return dict(body.validated_data)
    problems: dict[str, Any] = dict(body.errors)
    read = fields_read(body)
    if "shares" in read and "shares" not in problems:
        cost = read.get("cost") if "cost" not in problems else None
        lines = [SplitLine(agency_id=s["agency"], basis=s["basis"], value=s["value"]) for s in read["shares"]]
        said = split_problems(cost if cost is not None and cost > 0 else None, lines)
        if said:
            problems["shares"] = said
    if read.get("effective_from") and "effective_from" not in problems:
        said = services.effective_from_problem(
            package=package, effective_from=read["effective_from"], starts_on=read.get("starts_on")
        )
        if said:
            problems["effective_from"] = [said]
    raise DRFValidationError(problems)


def _full(request, pk, *, log: bool = False):
    package = selectors.package_for_page(user=request.user, pk=pk)
    if log:  # a read of the child's record (issue 12); the writes' answers are not reads
        record_child_view(user=request.user, child=package.child, channel="api", path=request.path)
    return Response(package_data(package, user=request.user, full=True))


@extend_schema(
    methods=["GET"],
    operation_id="funding_packages_list",
    summary="Funding packages you can see",
    parameters=[
        OpenApiParameter(
            "status", OpenApiTypes.STR, enum=PackageStatus.values, description="Only packages in this state"
        )
    ],
    responses={200: PaginatedFundingPackageListSerializer, **READ_ERRORS},
)
@extend_schema(
    methods=["POST"],
    operation_id="funding_packages_create",
    summary="Record an existing funding arrangement",
    description=_TERMS_RULES + " Your own agency pays one of the shares.",
    request=PackageCreateSerializer,
    responses={201: FundingPackageSerializer, **_WRITE_ERRORS},
)
@api_view(["GET", "POST"])
def packages(request):
    """GET: packages you can see (?status=); POST: record an existing arrangement."""
    if request.method == "POST":
        if not access.can_manage(user=request.user):
            raise NotAllowed(
                "Only panel administrators, finance approvers and service managers can record packages"
            )
        package = _record_existing(request)
        return Response(package_data(package, user=request.user), status=201)
    status = request.query_params.get("status", "")
    if status and status not in PackageStatus.values:
        raise DRFValidationError({"status": [f"Choose one of: {', '.join(PackageStatus.values)}"]})
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(selectors.package_list(user=request.user, status=status), request)
    log_children(request, [p.child_id for p in page], channel="api")
    return paginator.get_paginated_response([package_data(p, user=request.user) for p in page])


@extend_schema(
    operation_id="funding_package_retrieve",
    summary="A funding package with all its versions and disputes",
    responses={200: FundingPackageDetailSerializer, **READ_ERRORS},
)
@api_view(["GET"])
def package_detail(request, pk):
    return _full(request, pk, log=True)


@extend_schema(
    operation_id="funding_package_vary",
    summary="Vary a package: new terms from a date",
    description=_TERMS_RULES + " `effective_from` is after the current version's date and not before "
    "the package starts; a date in the past needs `backdating_reason`; something must change.",
    request=VarySerializer,
    responses={200: FundingPackageDetailSerializer, **_WRITE_ERRORS},
)
@api_view(["POST"])
def package_vary(request, pk):
    package = access.get_package_for_user(user=request.user, pk=pk)
    access.require_manager(user=request.user)
    data = _read_variation(request, package)
    services.package_vary(
        actor=request.user,
        package=package,
        expected_version=data["version"],
        effective_from=data["effective_from"],
        terms=_terms(request, data),
        change_reason=data["change_reason"],
        backdating_reason=data.get("backdating_reason", ""),
    )
    return _full(request, pk)


@extend_schema(
    operation_id="funding_package_end",
    summary="End a package",
    description="`ends_on` is on or after the date the package started.",
    request=EndSerializer,
    responses={200: FundingPackageDetailSerializer, **_WRITE_ERRORS},
)
@api_view(["POST"])
def package_end(request, pk):
    package = access.get_package_for_user(user=request.user, pk=pk)
    access.require_manager(user=request.user)
    data = parsed(EndSerializer, request.data)
    services.package_end(
        actor=request.user,
        package=package,
        expected_version=data["version"],
        ends_on=data["ends_on"],
        reason=data["reason"],
    )
    return _full(request, pk)


def _share(request, pk):
    share = access.get_share_for_user(user=request.user, pk=pk)
    access.require_approver_of(user=request.user, share=share)
    return share


@extend_schema(
    operation_id="funding_share_approve",
    summary="Approve your agency's share",
    request=ShareActionSerializer,
    responses={200: FundingPackageDetailSerializer, **_WRITE_ERRORS},
)
@api_view(["POST"])
def share_approve(request, pk):
    share = _share(request, pk)
    data = parsed(ShareActionSerializer, request.data)
    services.share_approve(
        actor=request.user, share=share, expected_version=data["version"], expected_status=data["status"]
    )
    return _full(request, share.package_id)


@extend_schema(
    operation_id="funding_share_query",
    summary="Query your agency's share",
    request=QuerySerializer,
    responses={200: FundingPackageDetailSerializer, **_WRITE_ERRORS},
)
@api_view(["POST"])
def share_query(request, pk):
    share = _share(request, pk)
    data = parsed(QuerySerializer, request.data)
    services.share_query(
        actor=request.user,
        share=share,
        expected_version=data["version"],
        expected_status=data["status"],
        question=data["question"],
    )
    return _full(request, share.package_id)


@extend_schema(
    operation_id="funding_share_dispute",
    summary="Dispute your agency's share",
    request=DisputeSerializer,
    responses={200: FundingPackageDetailSerializer, **_WRITE_ERRORS},
)
@api_view(["POST"])
def share_dispute(request, pk):
    share = _share(request, pk)
    data = parsed(DisputeSerializer, request.data)
    services.share_dispute(
        actor=request.user,
        share=share,
        expected_version=data["version"],
        expected_status=data["status"],
        reason=data["reason"],
    )
    return _full(request, share.package_id)


@extend_schema(
    operation_id="funding_share_answer",
    summary="Answer a query on a share",
    request=AnswerSerializer,
    responses={200: FundingPackageDetailSerializer, **_WRITE_ERRORS},
)
@api_view(["POST"])
def share_answer(request, pk):
    share = access.get_share_for_user(user=request.user, pk=pk)
    data = parsed(AnswerSerializer, request.data)
    services.share_answer_query(actor=request.user, share=share, answer=data["answer"])
    return _full(request, share.package_id)


@extend_schema(
    operation_id="funding_approvals_list",
    summary="Shares awaiting your approval, oldest first",
    responses={200: PaginatedFundingApprovalListSerializer, 401: NOT_SIGNED_IN},
)
@api_view(["GET"])
def approvals(request):
    """Shares awaiting me, oldest first."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(selectors.awaiting_for(user=request.user), request)
    log_children(request, [s.package.child_id for s in page], channel="api")
    return paginator.get_paginated_response(
        [
            {
                "share_id": s.pk,
                "package_id": s.package_id,
                "version": s.package.version_number,
                "agency": s.agency.name,
                "amount": str(s.amount),
                "annual_amount": str(s.annual_amount),
                "status": s.status,
                "awaiting_since": s.awaiting_since.isoformat(),
            }
            for s in page
        ]
    )


@extend_schema(
    operation_id="funding_commitments_retrieve",
    summary="Your agency's commitments in a financial year",
    parameters=[
        OpenApiParameter(
            "year",
            {"type": "integer", "minimum": 2000, "maximum": 2100},
            description="The year the financial year starts in, 2000 to 2100 (default: the current one)",
        )
    ],
    responses={200: FundingCommitmentsSerializer, 400: _BAD_REQUEST, **READ_ERRORS},
)
@api_view(["GET"])
def commitments(request):
    if not access.can_see_commitments(user=request.user):
        raise Http404(NOT_FOUND_MESSAGE)
    year = request.query_params.get("year")
    try:
        year = int(year) if year else None
    except ValueError:
        raise DRFValidationError(
            {"year": ["Give the year the financial year starts in, like 2026"]}
        ) from None
    if year is not None and not 2000 <= year <= 2100:
        raise DRFValidationError({"year": ["Give a year between 2000 and 2100"]})
    data = selectors.commitments_for(user=request.user, year=year)
    log_children(request, [line.package.child_id for line in data.lines], channel="api")
    return Response(
        {
            "financial_year": data.label,
            "agency": data.agency_name,
            "total": str(data.total),
            "to_date": str(data.to_date),
            "awaiting_total": str(data.awaiting_total),
            "by_pathway": [{"pathway": k, "amount": str(v)} for k, v in data.by_pathway],
            "by_provider": [{"provider": k, "amount": str(v)} for k, v in data.by_provider],
            "by_panel": [{"panel": k, "amount": str(v)} for k, v in data.by_panel],
            "lines": [
                {
                    "package_id": line.package.pk,
                    "provider": line.provider,
                    "year_amount": str(line.year_amount),
                }
                for line in data.lines
            ],
        }
    )
