"""REST representations of referrals: the form, its options and costs, evidence, sign-offs, history.

Serializers only parse and present: types, lengths, choices and money to the penny. The rules
(completeness, splits adding up, who may sign, which states allow what) live in services.py and
come back as ValidationError or InvalidTransition, mapped in casework/api_errors.py. Every record a
client chooses by id is looked up in the caller's scope (access.py), so an id from another agency
reads as "not found", never "not allowed".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import SkipField

from casework import access as casework_access
from casework import money
from casework.models import Agency, Child, ProviderKind
from casework.money import money_input
from casework.serializers import NamedRefSerializer, PersonRefSerializer, StrictBooleanField, StrictCharField
from panels import access as panels_access
from panels.models import Meeting, Panel
from referrals import access, services
from referrals.models import (
    CostPeriod,
    Evidence,
    Option,
    Pathway,
    Referral,
    RequestType,
    ShareBasis,
    SignOff,
    Status,
    StatusChange,
    Urgency,
)

# The referral's own details, changed through the "details" section (services.referral_update_section).
DETAILS_FIELDS = ("pathway", "request_type", "urgency", "review_of")
WRITABLE_SECTIONS: dict[str, tuple[str, ...]] = {**services.SECTION_FIELDS, "details": DETAILS_FIELDS}


def money_field(**kwargs: Any) -> serializers.DecimalField:
    """Pounds and pence as a string ("1234.56"), in and out; never negative, never a fraction of a penny."""
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.00"), coerce_to_string=True, **kwargs
    )


def _max_length(model, field: str) -> int:
    """Input lengths mirror the model, so an over-long value is a 400 here, never a database error."""
    return model._meta.get_field(field).max_length


# --- Choosing records by id ----------------------------------------------------------------------


class VisibleRecordField(serializers.PrimaryKeyRelatedField):
    """A record chosen by id, looked up only among those the caller may see.

    `scope(context)` gives the queryset (`queryset` only tells the schema which model it is); an id
    outside the scope is "not found", worded the same as an id that does not exist, so nothing is
    learnt about other agencies' records.
    """

    default_error_messages = {
        "does_not_exist": "No {noun} with id {pk_value} was found among those you can see",
        "incorrect_type": "Enter the {noun}'s id as a whole number",
    }

    def __init__(self, *, noun: str, scope: Callable[[dict[str, Any]], QuerySet], **kwargs: Any) -> None:
        self.noun = noun
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        return self.scope(self.context)

    def fail(self, key: str, **kwargs: Any):
        return super().fail(key, noun=self.noun, **kwargs)


def _user(context: dict[str, Any]):
    request = context.get("request")
    return getattr(request, "user", None)


def visible_children(context: dict[str, Any]):
    return casework_access.children_visible_to(user=_user(context))


def visible_panels(context: dict[str, Any]):
    return panels_access.panels_visible_to(user=_user(context))


def visible_meetings(context: dict[str, Any]):
    return panels_access.meetings_visible_to(user=_user(context))


def visible_agencies(context: dict[str, Any]):
    return casework_access.agencies_visible_to(user=_user(context))


def visible_referrals(context: dict[str, Any]):
    return access.referrals_visible_to(user=_user(context))


def earlier_referrals_for_same_child(context: dict[str, Any]):
    """For a review: earlier referrals of the child this referral is about (context["referral"])."""
    referral = context.get("referral")
    visible = access.referrals_visible_to(user=_user(context))
    if referral is None:
        return visible
    return visible.filter(child_id=referral.child_id).exclude(pk=referral.pk)


# --- Reading -------------------------------------------------------------------------------------


class ChildRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)


class MeetingRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    date = serializers.DateField(read_only=True)


class ReferralSummarySerializer(serializers.ModelSerializer):
    """A referral in a list. Needs selectors.LIST_RELATED joined (referral_list does)."""

    child = ChildRefSerializer(read_only=True)
    panel = NamedRefSerializer(read_only=True)
    meeting = MeetingRefSerializer(read_only=True, allow_null=True)
    referrer = PersonRefSerializer(read_only=True)
    referrer_agency = NamedRefSerializer(read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "child",
            "panel",
            "meeting",
            "pathway",
            "request_type",
            "urgency",
            "status",
            "referrer",
            "referrer_agency",
            "is_late_paper",
            "created_at",
            "updated_at",
            "submitted_at",
        ]
        read_only_fields = fields


class ShareCostSerializer(serializers.Serializer):
    """One agency's proposed share of an option, and what it comes to per period, week and year."""

    agency = NamedRefSerializer(read_only=True)
    basis = serializers.ChoiceField(choices=ShareBasis.choices, read_only=True)
    value = money_field(read_only=True, help_text="A percentage, or an amount per the option's period")
    cost_per_period = money_field(read_only=True)
    weekly_cost = money_field(read_only=True, allow_null=True, help_text="Null for a one-off cost")
    annual_cost = money_field(read_only=True, allow_null=True, help_text="Null for a one-off cost")


class OptionSerializer(serializers.ModelSerializer):
    """An option with its costs side by side. Needs shares (with agency) prefetched."""

    cost = money_field(read_only=True)
    hours_per_week = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Null unless paid by the hour",
    )
    hourly_rate = money_field(read_only=True, allow_null=True, help_text="Null unless paid by the hour")
    weekly_cost = serializers.SerializerMethodField(help_text="Null for a one-off cost")
    annual_cost = serializers.SerializerMethodField(help_text="Null for a one-off cost")
    shares = serializers.SerializerMethodField()
    needs_cetr = serializers.BooleanField(
        read_only=True,
        help_text="Residential for 38 weeks a year or more: a Care, Education and Treatment Review is needed",
    )

    class Meta:
        model = Option
        fields = [
            "id",
            "position",
            "description",
            "provider",
            "cost",
            "period",
            "starts_on",
            "ends_on",
            "benefits",
            "risks",
            "is_recommended",
            "provider_kind",
            "weeks_per_year",
            "hours_per_week",
            "hourly_rate",
            "needs_cetr",
            "weekly_cost",
            "annual_cost",
            "shares",
        ]
        read_only_fields = fields

    @extend_schema_field(money_field(read_only=True, allow_null=True))
    def get_weekly_cost(self, option: Option) -> str | None:
        value = money.weekly(option.cost, option.period, option.weeks_per_year)
        return None if value is None else f"{value:.2f}"

    @extend_schema_field(money_field(read_only=True, allow_null=True))
    def get_annual_cost(self, option: Option) -> str | None:
        value = money.annual(option.cost, option.period, option.weeks_per_year)
        return None if value is None else f"{value:.2f}"

    @extend_schema_field(ShareCostSerializer(many=True))
    def get_shares(self, option: Option) -> list[dict[str, Any]]:
        shares = list(option.shares.all())
        lines = option.cost_lines()
        rows = [
            {
                "agency": share.agency,
                "basis": share.basis,
                "value": share.value,
                "cost_per_period": line.per_period,
                "weekly_cost": line.weekly,
                "annual_cost": line.annual,
            }
            for share, line in zip(shares, lines, strict=True)
        ]
        return ShareCostSerializer(rows, many=True).data


class EvidenceSerializer(serializers.Serializer):
    """What a client needs to know about a document; where it is stored is not one of them."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True, help_text="In bytes")
    sha256 = serializers.CharField(read_only=True)
    uploaded_by = PersonRefSerializer(read_only=True)
    uploaded_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, evidence) -> str:
        path = reverse("referral-evidence-download", args=[evidence.referral_id, evidence.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class SignOffSerializer(serializers.ModelSerializer):
    signer = PersonRefSerializer(read_only=True)

    class Meta:
        model = SignOff
        fields = ["id", "stage", "decision", "signer", "comments", "at", "withdrawn_at", "withdrawn_reason"]
        read_only_fields = fields


class StatusChangeSerializer(serializers.ModelSerializer):
    """One row of the timeline: the status the referral moved into, who moved it, when and why.

    The status it left is the row before (the history is append-only and every change is a
    compare-and-swap), so it is not repeated; this also keeps one status enum in the schema.
    """

    status = serializers.ChoiceField(source="new_status", choices=Status.choices, read_only=True)
    actor = PersonRefSerializer(read_only=True)

    class Meta:
        model = StatusChange
        fields = ["status", "actor", "reason", "at"]
        read_only_fields = fields


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text="The {section} to PATCH")
    title = serializers.CharField(read_only=True)
    fields = serializers.ListField(child=serializers.CharField(), read_only=True)


_PROBLEMS = {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}


class ReferralSerializer(ReferralSummarySerializer):
    """A referral's whole record. Expects selectors.referral_detail's joins and prefetches."""

    review_of = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    submitted_by = PersonRefSerializer(read_only=True, allow_null=True)
    late_accepted_by = PersonRefSerializer(read_only=True, allow_null=True)
    sections = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()
    options = OptionSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    sign_offs = SignOffSerializer(many=True, read_only=True)
    status_history = StatusChangeSerializer(many=True, read_only=True, source="status_changes")

    class Meta(ReferralSummarySerializer.Meta):
        fields = [
            *ReferralSummarySerializer.Meta.fields,
            "review_of",
            "submitted_by",
            "late_accepted_by",
            "closed_reason",
            *services.ALL_SECTION_FIELDS,
            "sections",
            "problems",
            "options",
            "evidence",
            "sign_offs",
            "status_history",
        ]
        read_only_fields = fields

    @extend_schema_field(SectionSerializer(many=True))
    def get_sections(self, referral: Referral) -> list[dict[str, Any]]:
        return [
            {"key": key, "title": title, "fields": list(names)} for key, title, names in services.SECTIONS
        ]

    @extend_schema_field(_PROBLEMS)
    def get_problems(self, referral: Referral) -> dict[str, list[str]]:
        """What still stops sending for sign-off, by section key, "options" and "evidence". Only
        while the referral can be changed: once it has gone on, nothing is missing any more."""
        if not referral.is_editable:
            return {}
        return services.completeness(referral)


# --- Writing -------------------------------------------------------------------------------------


class ReferralCreateSerializer(serializers.Serializer):
    child = VisibleRecordField(noun="child", scope=visible_children, queryset=Child.objects.none())
    panel = VisibleRecordField(noun="panel", scope=visible_panels, queryset=Panel.objects.none())
    pathway = serializers.ChoiceField(choices=Pathway.choices)
    request_type = serializers.ChoiceField(choices=RequestType.choices, default=RequestType.NEW)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    review_of = VisibleRecordField(
        noun="referral",
        scope=visible_referrals,
        queryset=Referral.objects.none(),
        required=False,
        allow_null=True,
        help_text="For a review: the earlier referral for the same child whose funding this reviews",
    )


class ReferralSectionSerializer(serializers.ModelSerializer):
    """Every field a section may change. Send only the fields of the section named in the URL."""

    review_of = VisibleRecordField(
        noun="referral",
        scope=earlier_referrals_for_same_child,
        queryset=Referral.objects.none(),
        required=False,
        allow_null=True,
        help_text="Section `details` only: the earlier referral for the same child that this reviews",
    )

    # Text must arrive as text and yes/no as true/false: 0 is refused, not saved as "0" or no.
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.BooleanField: StrictBooleanField,
    }
    refuses_unknown_fields = True  # the view answers 400 for a field not in the section

    class Meta:
        model = Referral
        fields = [*services.ALL_SECTION_FIELDS, *DETAILS_FIELDS]
        extra_kwargs = {name: {"required": False} for name in fields if name != "review_of"}


def _section_serializer(key: str, fields: tuple[str, ...]) -> type[ReferralSectionSerializer]:
    """One section's fields only, so each section documents (and checks) exactly what it takes."""
    name = "ReferralSection" + "".join(part.title() for part in key.split("_"))
    meta = type("Meta", (ReferralSectionSerializer.Meta,), {"fields": list(fields)})
    attrs = {"Meta": meta, "__doc__": f"The fields of section `{key}`; send any of them."}
    if "review_of" not in fields:
        attrs["review_of"] = None  # the declared field belongs to `details` only
    return extend_schema_serializer(component_name=name)(
        type(f"{name}Serializer", (ReferralSectionSerializer,), attrs)
    )


SECTION_SERIALIZERS = {key: _section_serializer(key, fields) for key, fields in WRITABLE_SECTIONS.items()}


class ShareWriteSerializer(serializers.Serializer):
    agency = VisibleRecordField(noun="agency", scope=visible_agencies, queryset=Agency.objects.none())
    basis = serializers.ChoiceField(choices=ShareBasis.choices)
    value = money_input(
        coerce_to_string=True,
        help_text='A percentage ("50.00") or an amount per the option\'s period ("617.28")',
    )


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^(?:\d{1,3}(?:\.\d{0,2})?|\.\d{1,2})?$"}
)
class _HoursField(serializers.DecimalField):
    """Hours a week as a string, as DRF reads them: "30", "37.5", ".5" (or empty for none). The
    pattern drf-spectacular gives a DecimalField takes "." and "-" too, which DRF refuses as not a
    number. Bounds (more than 0, at most 168) are DRF's, which a pattern cannot say."""


class OptionWriteSerializer(serializers.Serializer):
    """An option and its proposed split. The shares must account for the whole cost exactly: either
    percentages adding up to 100, or amounts adding up to the cost."""

    description = StrictCharField(max_length=_max_length(Option, "description"))
    provider = StrictCharField(
        max_length=_max_length(Option, "provider"), required=False, allow_blank=True, default=""
    )
    cost = money_input(
        coerce_to_string=True,
        required=False,
        help_text='Pounds and pence per period, as a string: "1234.56". Leave out for home support paid by '
        "the hour: give hours_per_week and hourly_rate and the weekly cost is worked out",
    )
    period = serializers.ChoiceField(
        choices=CostPeriod.choices, help_text="weekly when hours_per_week and hourly_rate are given"
    )
    hours_per_week = _HoursField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=money.HOURS_IN_A_WEEK,
        coerce_to_string=True,
        required=False,
        allow_null=True,
        default=None,
        help_text='Home support paid by the hour: hours a week ("30.00"), with hourly_rate',
    )
    hourly_rate = money_input(
        coerce_to_string=True,
        required=False,
        allow_null=True,
        default=None,
        help_text='Home support paid by the hour: pounds and pence an hour ("28.45"), with hours_per_week',
    )
    provider_kind = serializers.ChoiceField(
        choices=ProviderKind.choices,
        required=False,
        help_text="Left out: unchanged (new options: unconfirmed). Residential for 38 weeks or more needs a CETR",
    )
    weeks_per_year = serializers.ChoiceField(choices=[(38, "38 weeks"), (52, "52 weeks")], required=False)
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    benefits = StrictCharField(
        max_length=_max_length(Option, "benefits"), required=False, allow_blank=True, default=""
    )
    risks = StrictCharField(
        max_length=_max_length(Option, "risks"), required=False, allow_blank=True, default=""
    )
    shares = ShareWriteSerializer(many=True)

    # What option_save takes, from the validated body (api_kit.parsed).
    @staticmethod
    def share_tuples(data: Mapping[str, Any]) -> list[tuple[Any, str, Decimal]]:
        return [(s["agency"], s["basis"], s["value"]) for s in data["shares"]]

    @staticmethod
    def option_fields(data: Mapping[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in data.items() if name != "shares"}

    def read_so_far(self) -> dict[str, Any]:
        """After is_valid() has refused the body: the cost, hours, rate and shares that could be
        read, for the split's problem (referrals.api)."""
        return fields_read(self, ("cost", "hours_per_week", "hourly_rate", "shares"))


def fields_read(serializer: serializers.Serializer, names: Iterable[str] | None = None) -> dict[str, Any]:
    """After is_valid() has refused a body: the value of each field (of `names`, or all) that could
    be read, each read as the serializer reads it. A field with a problem of its own, or left out
    without a default, is not there. For saying a rule between fields (an option's or a package's
    split) in the same answer as the fields' own problems, not in a second round (issue 16)."""
    if not isinstance(serializer.initial_data, Mapping):
        return {}
    read = {}
    for name in serializer.fields if names is None else names:
        field = serializer.fields[name]
        if name in serializer.errors or field.read_only:
            continue
        try:
            read[name] = field.run_validation(field.get_value(serializer.initial_data))
        except (serializers.ValidationError, SkipField):
            continue
    return read


@extend_schema_field({"type": "string", "format": "binary", "minLength": 1})
class _UploadField(serializers.FileField):
    """A file of at least one byte, as the schema says: an empty part of a form never arrives as a file."""


class EvidenceUploadSerializer(serializers.Serializer):
    # Empty files reach the service, which says so in the same words as the page.
    file = _UploadField(
        allow_empty_file=True, help_text="A PDF, Word document, PNG or JPEG; checked by its content"
    )
    title = StrictCharField(
        max_length=_max_length(Evidence, "title"), required=False, allow_blank=True, default=""
    )


def _seen_status() -> serializers.ChoiceField:
    # One winner (issue 13): a signature or return that crossed with someone else's is a 409 saying
    # who did what. Without it, the referral's status when the request arrives is taken.
    return serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text="The referral's status as you read it: if someone signed, returned or withdrew it "
        "since, 409 naming who",
    )


class SignSerializer(serializers.Serializer):
    comments = StrictCharField(
        max_length=_max_length(SignOff, "comments"), required=False, allow_blank=True, default=""
    )
    status = _seen_status()


class ReturnSerializer(serializers.Serializer):
    status = _seen_status()
    comments = StrictCharField(
        max_length=_max_length(SignOff, "comments"),
        required=False,
        allow_blank=True,
        default="",
        help_text="What needs to change before you can sign",
    )


class SubmitSerializer(serializers.Serializer):
    meeting = VisibleRecordField(
        noun="meeting",
        scope=visible_meetings,
        queryset=Meeting.objects.none(),
        help_text="A meeting still to come of the panel this referral is for",
    )


_WITHDRAW_REASON = "Enter why the referral is withdrawn"  # the service's words (referral_withdraw)


class WithdrawSerializer(serializers.Serializer):
    reason = StrictCharField(
        max_length=_max_length(StatusChange, "reason"),
        help_text="Why it is withdrawn",
        error_messages={"required": _WITHDRAW_REASON, "blank": _WITHDRAW_REASON},
    )


class CloseSerializer(serializers.Serializer):
    # A choice: the view says who may close before it reads the body (referrals.api), so a role
    # that may not close is told so whatever it sent.
    reason = serializers.ChoiceField(
        choices=services.CloseReason.choices, help_text="Why the referral is closed"
    )


class ReferralListQuerySerializer(serializers.Serializer):
    """The list's filters. A value that matches nothing on offer is a 400, not an empty list; an
    empty value (`?status=`, as a plain HTML form sends it) means no filter."""

    status = serializers.ChoiceField(choices=Status.choices, required=False, allow_blank=True)
    panel = VisibleRecordField(
        noun="panel",
        scope=visible_panels,
        queryset=Panel.objects.none(),
        required=False,
        help_text="A panel's id: one of your partnership's panels",
    )
    pathway = serializers.ChoiceField(choices=Pathway.choices, required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, allow_blank=True)
    mine = serializers.BooleanField(required=False, default=False, help_text="Only referrals you made")
    awaiting_my_sign_off = serializers.BooleanField(
        required=False, default=False, help_text="Only referrals waiting for a signature you may give"
    )
