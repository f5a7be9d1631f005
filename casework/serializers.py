"""REST representations of the core domain.

Serializers only parse and present: types, lengths and choices. Business rules (NHS number
check digit, dates, duplicates, who may do what) live in services.py and come back as
ValidationError, mapped to 400 by api_errors.py. Querysets for chosen records are always scoped
through access.py, so an id from another agency is "not found", never "not allowed".
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.db import models
from rest_framework import serializers

from casework import access
from casework.models import (
    Agency,
    Child,
    DSRRating,
    Gender,
    Involvement,
    LegalStatus,
    ParentCarer,
    Role,
    SchoolType,
    SharingBasis,
    Team,
    User,
)
from casework.services.children import CHILD_FIELDS, PARENT_CARER_FIELDS

# DRF's own check that text has no NUL character (PostgreSQL cannot store one), as a pattern the schema
# can publish: the same message, and a field's own pattern (an NHS number's) still comes first.
NO_NUL_CHARACTERS = RegexValidator(
    r"\A[^\x00]*\Z",
    message=ProhibitNullCharactersValidator.message,
    code=ProhibitNullCharactersValidator.code,
)


class StrictCharField(serializers.CharField):
    """Text that must arrive as text. DRF's CharField turns a number into a string ("0" for 0), so a
    client sending the wrong type would be saved without a word; the schema says string, so say 400.
    Its schema has a pattern refusing the NUL character, which the server refuses too."""

    default_error_messages = {"invalid": "Enter text, not a number or another kind of value."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            NO_NUL_CHARACTERS if isinstance(v, ProhibitNullCharactersValidator) else v
            for v in self.validators
        ]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false (or null where allowed) as JSON says them: DRF's BooleanField also takes 0, 1,
    "yes" and "on", which the schema does not offer."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


# Ten digits, spaces or hyphens between them ("943 476 5919"). The check digit and the issuing
# ranges are the service's to judge (casework.nhs), with the same words as the pages.
NHS_NUMBER_FORMAT = RegexValidator(
    r"^[ -]*(?:[0-9][ -]*){10}$", message="Enter an NHS number with 10 digits, like 943 476 5919"
)


class StrictIdsField(serializers.ManyRelatedField):
    """Records chosen by a list of ids, which must arrive as a JSON array: DRF's own many-related
    field also takes an object (its keys), which the schema does not offer."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


def strict_ids(*, queryset, **kwargs) -> StrictIdsField:
    """Like `PrimaryKeyRelatedField(many=True, ...)`, refusing anything but a list."""
    return StrictIdsField(child_relation=serializers.PrimaryKeyRelatedField(queryset=queryset), **kwargs)


def _max_length(field: str) -> int:
    """Input lengths mirror the model, so an over-long value is a 400 here, never a database error."""
    column = Child._meta.get_field(field)
    if not isinstance(column, models.Field) or column.max_length is None:
        raise TypeError(f"Child.{field} has no maximum length")
    return column.max_length


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "kind", "ods_code", "partnership"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "agency"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    """A person in the caller's own agency. `teams` is prefetched by the view (no N+1)."""

    # many=True makes a ManyRelatedField at run time; the stubs type the call as its child.
    teams: serializers.PrimaryKeyRelatedField[Team] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), read_only=True)
    delegated_limit = serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=True, allow_null=True, read_only=True
    )

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "job_title", "agency", "teams", "roles", "delegated_limit"]
        read_only_fields = fields


class PersonRefSerializer(serializers.Serializer):
    """A person, by id and name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class InvolvementSerializer(serializers.ModelSerializer):
    agency = NamedRefSerializer(read_only=True)

    class Meta:
        model = Involvement
        fields = ["id", "agency", "role", "reason", "started_on", "ended_on"]
        read_only_fields = fields


class ParentCarerSerializer(serializers.ModelSerializer):
    class Meta:
        model = ParentCarer
        fields = ["id", *PARENT_CARER_FIELDS]
        read_only_fields = fields


# The fields a person writes (services.CHILD_FIELDS, the one list), with the id, the age (shown
# after the date of birth it comes from) and what the system sets.
_AFTER_BIRTH = CHILD_FIELDS.index("date_of_birth") + 1
CHILD_SUMMARY_FIELDS = [
    "id",
    *CHILD_FIELDS[:_AFTER_BIRTH],
    "age",
    *CHILD_FIELDS[_AFTER_BIRTH:],
    "owning_agency",
    "created_at",
    "updated_at",
]


class ChildSummarySerializer(serializers.ModelSerializer):
    """A child in a list: every field of the record itself, without its related lists.

    Needs allocated_social_worker and allocated_team joined (selectors.child_search does).
    """

    age = serializers.IntegerField(read_only=True)
    allocated_social_worker = PersonRefSerializer(read_only=True, allow_null=True)
    allocated_team = NamedRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Child
        fields = CHILD_SUMMARY_FIELDS
        read_only_fields = fields


class ChildSerializer(ChildSummarySerializer):
    """A child's whole record. Expects selectors.child_detail's joins and prefetches."""

    owning_agency = NamedRefSerializer(read_only=True)
    created_by = PersonRefSerializer(read_only=True)
    involvements = InvolvementSerializer(many=True, read_only=True)
    parents_carers = ParentCarerSerializer(many=True, read_only=True)

    class Meta(ChildSummarySerializer.Meta):
        fields = [*CHILD_SUMMARY_FIELDS, "created_by", "involvements", "parents_carers"]
        read_only_fields = fields


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A chosen record by id. An id outside the caller's scope reads as "does not exist"."""

    default_error_messages = {
        "does_not_exist": "Choose one from your agency: no record with id {pk_value} was found",
    }


class ChildWriteSerializer(serializers.Serializer):
    """What a client may send to register or change a child (services.CHILD_FIELDS).

    Types, lengths and choices only; the service applies the rules. Unknown keys are ignored.
    """

    given_name = StrictCharField(max_length=_max_length("given_name"))
    family_name = StrictCharField(max_length=_max_length("family_name"))
    preferred_name = StrictCharField(
        max_length=_max_length("preferred_name"), required=False, allow_blank=True
    )
    date_of_birth = serializers.DateField()
    # Wider than the model's 10 digits: "943 476 5919" is accepted and normalised by the service.
    nhs_number = StrictCharField(
        max_length=20,
        required=False,
        allow_blank=True,
        allow_null=True,
        validators=[NHS_NUMBER_FORMAT],
        help_text="10 digits; spaces allowed",
    )
    case_number = StrictCharField(max_length=_max_length("case_number"), required=False, allow_blank=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    legal_status = serializers.ChoiceField(choices=LegalStatus.choices, required=False)
    has_ehc_plan = serializers.BooleanField(required=False)
    ehc_plan_date = serializers.DateField(required=False, allow_null=True)
    school_name = StrictCharField(max_length=_max_length("school_name"), required=False, allow_blank=True)
    school_type = serializers.ChoiceField(choices=SchoolType.choices, required=False, allow_blank=True)
    learning_disability = serializers.BooleanField(required=False)
    autism = serializers.BooleanField(required=False)
    mental_health_needs = serializers.BooleanField(required=False)
    dsr_rating = serializers.ChoiceField(choices=DSRRating.choices, required=False, allow_blank=True)
    allocated_social_worker = ScopedPrimaryKeyField(
        queryset=User.objects.none(), required=False, allow_null=True
    )
    allocated_team = ScopedPrimaryKeyField(queryset=Team.objects.none(), required=False, allow_null=True)
    iro_name = StrictCharField(max_length=_max_length("iro_name"), required=False, allow_blank=True)
    iro_email = serializers.EmailField(max_length=_max_length("iro_email"), required=False, allow_blank=True)
    sharing_basis = serializers.ChoiceField(choices=SharingBasis.choices, required=False)
    sharing_notes = StrictCharField(max_length=_max_length("sharing_notes"), required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        # Only people and teams of the caller's agency can be chosen; the service checks the
        # child's owning agency on top of this.
        social_worker, team = self.fields["allocated_social_worker"], self.fields["allocated_team"]
        assert isinstance(social_worker, serializers.RelatedField)  # the model's foreign keys
        assert isinstance(team, serializers.RelatedField)
        social_worker.queryset = access.users_visible_to(user=user)
        teams = access.teams_visible_to(user=user)  # none for anyone not signed in
        team.queryset = teams.filter(agency_id=access.agency_id_of(user)) if access.is_usable(user) else teams
