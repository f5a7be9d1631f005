"""Forms for the partnership administration pages, rendered as GOV.UK form groups.

Choices come only from the administrator's own partnership (agencies, teams); a forged choice from
another partnership is "Select a valid choice", and the services refuse it again. No form has a
partnership, superuser or staff field: those are never set here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from casework.forms import ApiTokenForm, GovUKForm, model_choices
from casework.models import Agency, AgencyKind, Role, Team, TokenScope

SERVICE_ACCOUNT_SCOPES = [
    (
        TokenScope.READ_ONLY.value,
        "Read only: it may read what the account's roles may read, and change nothing",
    ),
    (TokenScope.OPERATIONS.value, "Only the API operations chosen below"),
]


def _role_field(*, service_account: bool = False) -> forms.MultipleChoiceField:
    choices = [
        (value, label)
        for value, label in Role.choices
        if not (service_account and value == Role.PARTNERSHIP_ADMINISTRATOR)
    ]
    return forms.MultipleChoiceField(
        label="Roles",
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply. Each role gives what that job needs, and nothing else",
    )


class _TeamChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return f"{obj.name} ({obj.agency.name})"


def _teams_field() -> _TeamChoices:
    return _TeamChoices(
        label="Teams",
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Teams of the person's agency. Select all that apply",
    )


def _agency_field(label: str = "Agency") -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={
            "required": "Choose an agency",
            "invalid_choice": "Choose an agency of your partnership",
        },
    )


def _limit_field() -> forms.DecimalField:
    return forms.DecimalField(
        label="Delegated limit (£ a year)",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="For finance approvers only: the largest annual share they may approve",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "govuk-input--width-10"}),
        error_messages={
            "invalid": "Enter the limit as an amount in pounds, like 100000",
            "min_value": "The limit must be 0 or more",
            "max_digits": "Enter a limit under £10,000,000,000",
            "max_decimal_places": "Enter the limit in pounds and pence",
            "max_whole_digits": "Enter a limit under £10,000,000,000",
        },
    )


class AgencyForm(GovUKForm):
    name = forms.CharField(
        label="Name", max_length=200, error_messages={"required": "Enter the agency's name"}
    )
    kind = forms.ChoiceField(
        label="Kind of agency",
        choices=AgencyKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of agency"},
    )
    ods_code = forms.CharField(
        label="ODS code",
        max_length=10,
        required=False,
        help_text="The Organisation Data Service code. Every NHS body has one, for example QRL",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "spellcheck": "false"}),
    )


class TeamForm(GovUKForm):
    name = forms.CharField(
        label="Team name", max_length=200, error_messages={"required": "Enter the team's name"}
    )


class InviteForm(GovUKForm):
    full_name = forms.CharField(
        label="Full name", max_length=200, error_messages={"required": "Enter their name"}
    )
    email = forms.EmailField(
        label="Work e-mail address",
        help_text="We send the invitation here. They sign in with it",
        error_messages={
            "required": "Enter their work e-mail address",
            "invalid": "Enter an e-mail address like name@council.gov.uk",
        },
    )
    job_title = forms.CharField(label="Job title", max_length=200, required=False)
    agency = _agency_field()
    teams = _teams_field()
    roles = _role_field()
    delegated_limit = _limit_field()

    def __init__(self, *args, agencies: QuerySet[Agency], teams: QuerySet[Team], **kwargs):
        super().__init__(*args, **kwargs)
        model_choices(self, "agency").queryset = agencies
        model_choices(self, "teams").queryset = teams.select_related("agency").order_by(
            "agency__name", "name"
        )

    def clean(self):
        super().clean()
        return _teams_of_agency(self, self.cleaned_data)


def _teams_of_agency(form: forms.Form, data: dict[str, Any]) -> dict[str, Any]:
    agency, teams = data.get("agency"), data.get("teams") or []
    if agency is not None and any(team.agency_id != agency.pk for team in teams):
        form.add_error("teams", f"Choose teams of {agency.name}")
    return data


class PersonForm(GovUKForm):
    """A person's details. Their own account shows only name and job title: another administrator
    changes their roles and limit."""

    full_name = forms.CharField(
        label="Full name", max_length=200, error_messages={"required": "Enter their name"}
    )
    job_title = forms.CharField(label="Job title", max_length=200, required=False)
    roles = _role_field()
    delegated_limit = _limit_field()

    def __init__(self, *args, own: bool = False, service_account: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if service_account:
            self.fields["full_name"].label = "Name of the system"
            self.fields["roles"] = _role_field(service_account=True)
            del self.fields["job_title"], self.fields["delegated_limit"]
        if own:
            del self.fields["roles"], self.fields["delegated_limit"]


class MoveForm(GovUKForm):
    agency = _agency_field("Agency")
    teams = _teams_field()

    def __init__(self, *args, agencies: QuerySet[Agency], teams: QuerySet[Team], **kwargs):
        super().__init__(*args, **kwargs)
        model_choices(self, "agency").queryset = agencies
        self.fields[
            "agency"
        ].help_text = "Another agency of your partnership, or the same one to change teams"
        model_choices(self, "teams").queryset = teams.select_related("agency").order_by(
            "agency__name", "name"
        )

    def clean(self):
        super().clean()
        return _teams_of_agency(self, self.cleaned_data)


class ServiceAccountForm(GovUKForm):
    name = forms.CharField(
        label="Name of the system",
        max_length=200,
        help_text="For example, “Finance system export”",
        error_messages={"required": "Enter the name of the system"},
    )
    email = forms.EmailField(
        label="Contact e-mail address",
        help_text="Who looks after the integration. The account never signs in with it",
        error_messages={"required": "Enter a contact e-mail address", "invalid": "Enter an e-mail address"},
    )
    agency = _agency_field()
    roles = _role_field(service_account=True)

    def __init__(self, *args, agencies: QuerySet[Agency], **kwargs):
        super().__init__(*args, **kwargs)
        model_choices(self, "agency").queryset = agencies


class ServiceTokenForm(ApiTokenForm):
    """A service account's token: the one token form plus what it may do."""

    scope = forms.ChoiceField(
        label="What may it do?",
        choices=SERVICE_ACCOUNT_SCOPES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the token may do"},
    )
    operations = forms.MultipleChoiceField(
        label="API operations",
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only for a token limited to named operations. Select all that apply",
    )

    def __init__(self, *args, operations: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = "What it is for, so you recognise it later"
        operation_field = self.fields["operations"]
        assert isinstance(operation_field, forms.MultipleChoiceField)  # declared above
        operation_field.choices = [(name, name) for name in operations]


class PeopleFilterForm(GovUKForm):
    agency = forms.ModelChoiceField(
        label="Agency", queryset=Agency.objects.none(), required=False, empty_label="All agencies"
    )
    state = forms.ChoiceField(
        label="Accounts",
        choices=[("active", "Active"), ("closed", "Closed"), ("all", "All")],
        required=False,
    )

    def __init__(self, *args, agencies: QuerySet[Agency], **kwargs):
        super().__init__(*args, **kwargs)
        model_choices(self, "agency").queryset = agencies
