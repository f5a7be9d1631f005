"""REST shapes for funding. Another agency's share shows its status only (not who approved it, nor
the queries and answers): funding/access.can_see_approval_detail."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from casework.money import money_input
from casework.serializers import StrictCharField
from funding import access
from funding.models import FundingCategory, PackageStatus, PersonalBudget, ProviderKind, ShareStatus
from referrals.models import CostPeriod, Pathway, ShareBasis

MONEY = {"max_digits": 12, "decimal_places": 2}


def share_data(share, *, user) -> dict:
    data = {
        "id": share.pk,
        "agency": {"id": share.agency_id, "name": share.agency.name},
        "category": share.category,
        "basis": share.basis,
        "value": str(share.value),
        "amount": str(share.amount),
        "annual_amount": str(share.annual_amount),
        "status": share.status,
    }
    if access.can_see_approval_detail(user=user, share=share):
        data.update(
            {
                "decided_by": share.decided_by.full_name if share.decided_by_id else None,
                "decided_at": share.decided_at.isoformat() if share.decided_at else None,
                "routed_to": share.routed_to.full_name if share.routed_to_id else None,
                "query": share.query_text,
                "query_answer": share.query_answer,
                "dispute_reason": share.dispute_reason,
            }
        )
    return data


def version_data(version) -> dict:
    return {
        "number": version.number,
        "effective_from": version.effective_from.isoformat(),
        "provider": {
            "id": version.provider_id,
            "name": version.provider.name,
            "kind": version.provider.kind,
            "regulator_reference": version.provider.regulator_reference,
        },
        "service_description": version.service_description,
        "weeks_per_year": version.weeks_per_year,
        "cost": str(version.cost),
        "cost_period": version.cost_period,
        "starts_on": version.starts_on.isoformat(),
        "ends_on": version.ends_on.isoformat() if version.ends_on else None,
        "review_date": version.review_date.isoformat() if version.review_date else None,
        "personal_budget": version.personal_budget,
        "needs_cetr": version.needs_cetr,
        "change_reason": version.change_reason,
        "backdating_reason": version.backdating_reason,
    }


def package_data(package, *, user, full: bool = False) -> dict:
    current = package.current_version
    data = {
        "id": package.pk,
        "child_id": package.child_id,
        "decision_id": package.decision_id,
        "panel": package.panel.name if package.panel_id else None,
        "pathway": package.pathway,
        "status": package.status,
        "version": package.version_number,
        "current": version_data(current),
        "shares": [share_data(s, user=user) for s in current.shares.all()],
        "still_to_approve": [s.agency.name for s in current.shares.all() if s.status != "approved"],
        "ended_on": package.ended_on.isoformat() if package.ended_on else None,
        "end_reason": package.end_reason,
    }
    if full:
        data["versions"] = [
            {**version_data(v), "shares": [share_data(s, user=user) for s in v.shares.all()]}
            for v in package.versions.all()
        ]
        data["disputes"] = [
            {
                "agency": d.agency.name,
                "reason": d.reason,
                "raised_at": d.raised_at.isoformat(),
                "agenda_item_id": d.agenda_item_id,
                "not_listed_reason": d.not_listed_reason,
            }
            for d in package.disputes.all()
        ]
    return data


# Request bodies. Each has its own component name (set on every class, as subclasses would inherit
# their parent's): several class names here are also used by other apps' serializers.


@extend_schema_serializer(component_name="FundingPackageVersionSeen")
class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The package version you looked at")


@extend_schema_serializer(component_name="FundingShareApprove")
class ShareActionSerializer(VersionSerializer):
    # One winner (issue 13): an action on a share someone else queried, disputed or approved since
    # the client read it answers 409 saying who did what.
    status = serializers.ChoiceField(
        choices=ShareStatus.choices,
        help_text="The share's status as you read it: if someone acted on the share since, 409",
    )


@extend_schema_serializer(component_name="FundingShareQuery")
class QuerySerializer(ShareActionSerializer):
    question = StrictCharField(max_length=5000)


@extend_schema_serializer(component_name="FundingShareDispute")
class DisputeSerializer(ShareActionSerializer):
    reason = StrictCharField(max_length=5000)


@extend_schema_serializer(component_name="FundingShareAnswer")
class AnswerSerializer(serializers.Serializer):
    answer = StrictCharField(max_length=5000)


@extend_schema_serializer(component_name="FundingPackageEnd")
class EndSerializer(VersionSerializer):
    ends_on = serializers.DateField()
    reason = StrictCharField(max_length=2000)


@extend_schema_serializer(component_name="FundingShareIn")
class ShareInSerializer(serializers.Serializer):
    agency = serializers.IntegerField(min_value=1)
    basis = serializers.ChoiceField(choices=ShareBasis.choices)
    value = money_input()


@extend_schema_serializer(component_name="FundingTerms")
class TermsSerializer(serializers.Serializer):
    provider = serializers.IntegerField(required=False, min_value=1)
    provider_name = StrictCharField(required=False, max_length=200)
    provider_kind = serializers.ChoiceField(choices=ProviderKind.choices, required=False)
    provider_reference = StrictCharField(required=False, allow_blank=True, max_length=30)
    service_description = StrictCharField(max_length=5000)
    weeks_per_year = serializers.ChoiceField(choices=[(38, "38 weeks"), (52, "52 weeks")], default=52)
    # The service says "more than £0" together with its other checks (dates, split), so all come at once;
    # the schema still says so (casework.api_errors._money_in).
    cost = money_input(min_value=None)
    documented_min_values = {"cost": Decimal("0.01")}
    cost_period = serializers.ChoiceField(choices=CostPeriod.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    review_date = serializers.DateField(required=False, allow_null=True)
    personal_budget = serializers.ChoiceField(choices=PersonalBudget.choices, required=False, default="")
    shares = ShareInSerializer(many=True, allow_empty=False)

    required_one_of = [("provider",), ("provider_name", "provider_kind")]  # for the schema (validate)

    def validate(self, attrs):
        problem = self.provider_problem(attrs)
        if problem:
            raise serializers.ValidationError(problem)
        return attrs

    @staticmethod
    def provider_problem(attrs) -> dict[str, list[str]]:
        """The provider is named by id, or by a new one's name and kind. Also said by funding.api
        when a field cannot be read (DRF runs validate() only once every field is read)."""
        if not attrs.get("provider") and not (attrs.get("provider_name") and attrs.get("provider_kind")):
            return {"provider": ["Give a provider id, or provider_name and provider_kind"]}
        return {}


@extend_schema_serializer(component_name="FundingPackageCreate")
class PackageCreateSerializer(TermsSerializer):
    child = serializers.IntegerField(min_value=1)
    pathway = serializers.ChoiceField(choices=Pathway.choices)


@extend_schema_serializer(component_name="FundingPackageVary")
class VarySerializer(TermsSerializer):
    version = serializers.IntegerField(min_value=1)
    effective_from = serializers.DateField()
    change_reason = StrictCharField(max_length=2000)
    backdating_reason = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


# --- Response shapes ---------------------------------------------------------------------------------
# These only document what share_data, version_data and package_data (above) and the approvals and
# commitments views return; the API builds its responses with those functions, not with these.

MONEY_OUT = {"max_digits": 14, "decimal_places": 2}


class FundingAgencyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FundingShareSerializer(serializers.Serializer):
    """One agency's share of a version. The fields from decided_by on are present only for someone
    who may see the approval detail (the share's own agency, finance approvers and the panel)."""

    id = serializers.IntegerField()
    agency = FundingAgencyRefSerializer()
    category = serializers.ChoiceField(choices=FundingCategory.choices)
    basis = serializers.ChoiceField(choices=ShareBasis.choices)
    value = serializers.DecimalField(**MONEY, help_text="A percentage or an amount per period")
    amount = serializers.DecimalField(**MONEY, help_text="Pounds and pence per period")
    annual_amount = serializers.DecimalField(**MONEY_OUT, help_text="A year's worth (or the one-off amount)")
    status = serializers.ChoiceField(choices=ShareStatus.choices)
    decided_by = serializers.CharField(required=False, allow_null=True)
    decided_at = serializers.DateTimeField(required=False, allow_null=True)
    routed_to = serializers.CharField(required=False, allow_null=True)
    query = serializers.CharField(required=False, allow_blank=True)
    query_answer = serializers.CharField(required=False, allow_blank=True)
    dispute_reason = serializers.CharField(required=False, allow_blank=True)


class FundingProviderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ProviderKind.choices)
    regulator_reference = serializers.CharField(allow_blank=True)


class FundingPackageVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    effective_from = serializers.DateField()
    provider = FundingProviderSerializer()
    service_description = serializers.CharField()
    weeks_per_year = serializers.IntegerField()
    cost = serializers.DecimalField(**MONEY)
    cost_period = serializers.ChoiceField(choices=CostPeriod.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    review_date = serializers.DateField(allow_null=True)
    personal_budget = serializers.ChoiceField(choices=PersonalBudget.choices, allow_blank=True)
    needs_cetr = serializers.BooleanField(
        help_text="A residential placement of 38 weeks or more needs a Care, Education and Treatment Review"
    )
    change_reason = serializers.CharField(allow_blank=True)
    backdating_reason = serializers.CharField(allow_blank=True)


class FundingPackageVersionWithSharesSerializer(FundingPackageVersionSerializer):
    shares = FundingShareSerializer(many=True)


class FundingDisputeSerializer(serializers.Serializer):
    agency = serializers.CharField(help_text="The disputing agency's name")
    reason = serializers.CharField()
    raised_at = serializers.DateTimeField()
    agenda_item_id = serializers.IntegerField(allow_null=True)
    not_listed_reason = serializers.CharField(allow_blank=True)


class FundingPackageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    child_id = serializers.IntegerField()
    decision_id = serializers.IntegerField(
        allow_null=True, help_text="The panel decision; null for an arrangement recorded as it was"
    )
    panel = serializers.CharField(allow_null=True, help_text="The deciding panel's name")
    pathway = serializers.ChoiceField(choices=Pathway.choices)
    status = serializers.ChoiceField(choices=PackageStatus.choices)
    version = serializers.IntegerField(help_text="The current version's number")
    current = FundingPackageVersionSerializer()
    shares = FundingShareSerializer(many=True, help_text="The current version's shares")
    still_to_approve = serializers.ListField(
        child=serializers.CharField(), help_text="Names of the agencies whose share is not yet approved"
    )
    ended_on = serializers.DateField(allow_null=True)
    end_reason = serializers.CharField(allow_blank=True)


class FundingPackageDetailSerializer(FundingPackageSerializer):
    versions = FundingPackageVersionWithSharesSerializer(many=True)
    disputes = FundingDisputeSerializer(many=True)


class FundingPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class PaginatedFundingPackageListSerializer(FundingPageSerializer):
    results = FundingPackageSerializer(many=True)


class FundingApprovalSerializer(serializers.Serializer):
    share_id = serializers.IntegerField()
    package_id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The package's current version number")
    agency = serializers.CharField(help_text="The agency's name")
    amount = serializers.DecimalField(**MONEY)
    annual_amount = serializers.DecimalField(**MONEY_OUT)
    status = serializers.ChoiceField(choices=ShareStatus.choices)
    awaiting_since = serializers.DateTimeField()


class PaginatedFundingApprovalListSerializer(FundingPageSerializer):
    results = FundingApprovalSerializer(many=True)


class FundingPathwayAmountSerializer(serializers.Serializer):
    pathway = serializers.CharField()
    amount = serializers.DecimalField(**MONEY_OUT)


class FundingProviderAmountSerializer(serializers.Serializer):
    provider = serializers.CharField()
    amount = serializers.DecimalField(**MONEY_OUT)


class FundingPanelAmountSerializer(serializers.Serializer):
    panel = serializers.CharField()
    amount = serializers.DecimalField(**MONEY_OUT)


class FundingCommitmentLineSerializer(serializers.Serializer):
    package_id = serializers.IntegerField()
    provider = serializers.CharField()
    year_amount = serializers.DecimalField(**MONEY_OUT)


class FundingCommitmentsSerializer(serializers.Serializer):
    financial_year = serializers.CharField(help_text="The financial year's label, 1 April to 31 March")
    agency = serializers.CharField(help_text="Your agency's name")
    total = serializers.DecimalField(**MONEY_OUT, help_text="The year's forecast")
    to_date = serializers.DecimalField(**MONEY_OUT, help_text="Committed up to today")
    awaiting_total = serializers.DecimalField(**MONEY_OUT, help_text="Packages still awaiting approval")
    by_pathway = FundingPathwayAmountSerializer(many=True)
    by_provider = FundingProviderAmountSerializer(many=True)
    by_panel = FundingPanelAmountSerializer(many=True)
    lines = FundingCommitmentLineSerializer(many=True)
