"""Forms for the funding pages. They parse input only; the rules are in services.py."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from casework.forms import DateField, GovUKForm, VersionField
from casework.models import User
from casework.money import MAX_COST_TEXT, SplitLine, money_validators, split_problems
from funding.models import PersonalBudget, Provider, ProviderKind, ShareStatus
from funding.services.packages import own_agency_problem
from referrals.models import CostPeriod, Pathway, ShareBasis

SHARE_ROWS = 4
MONEY = {"max_digits": 12, "decimal_places": 2}


def money_field(label: str, *, what: str, too_small: str, **kwargs) -> forms.DecimalField:
    """A money box whose every refusal is a message next to it (never a 500): bounds from
    casework/money.py. A required box says so with `error_messages={"required": ...}`."""
    return forms.DecimalField(
        label=label,
        validators=money_validators(),
        error_messages={
            "invalid": f"Enter {what} as a number, like 1250.50",
            "min_value": too_small,
            "max_value": f"Enter {what} of {MAX_COST_TEXT} or less",
            "max_digits": f"Enter {what} of {MAX_COST_TEXT} or less",
            "max_whole_digits": f"Enter {what} of {MAX_COST_TEXT} or less",
            "max_decimal_places": f"Enter {what} in pounds and pence, like 1250.50",
            **kwargs.pop("error_messages", {}),
        },
        **MONEY,
        **kwargs,
    )


class VersionForm(GovUKForm):
    version = VersionField()


class ShareActionForm(VersionForm):
    """An approver's action on a share, with the share's status as the page showed it: an action
    on a share someone else queried, disputed or approved since is refused (issue 13)."""

    status = forms.ChoiceField(
        widget=forms.HiddenInput,
        choices=ShareStatus.choices,
        error_messages={
            "required": "This page did not say what state the share was in: open the share again",
            "invalid_choice": "This page did not say what state the share was in: open the share again",
        },
    )


class ApproveForm(ShareActionForm):
    pass


class QueryForm(ShareActionForm):
    question = forms.CharField(
        label="Your question for the panel administrator and referrer",
        widget=forms.Textarea,
        max_length=5000,
        error_messages={"required": "Enter your question for the panel administrator and referrer"},
    )


class DisputeForm(ShareActionForm):
    reason = forms.CharField(
        label="Why does your agency dispute its share?",
        help_text="This goes on the agenda of the deciding panel's next meeting",
        widget=forms.Textarea,
        max_length=5000,
        error_messages={"required": "Enter why your agency disputes its share"},
    )


class AnswerForm(GovUKForm):
    answer = forms.CharField(
        label="Your answer",
        widget=forms.Textarea,
        max_length=5000,
        error_messages={"required": "Enter your answer"},
    )


class EndForm(VersionForm):
    ends_on = DateField(
        label="Last day of funding",
        help_text="For example, 30/09/2026",
        error_messages={"required": "Enter the last day of funding"},
    )
    reason = forms.CharField(
        label="Why is the package ending?",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Enter why the package is ending"},
    )


class CetrForm(GovUKForm):
    completed_on = DateField(
        label="Date of the Care, Education and Treatment Review",
        help_text="For example, 20/02/2026",
        error_messages={"required": "Enter the date of the Care, Education and Treatment Review"},
    )
    multi_agency_agreed = forms.BooleanField(
        label="The agencies agreed the placement at the review", required=False
    )


class TermsForm(GovUKForm):
    """A package's terms and its split (up to four agencies)."""

    provider = forms.ModelChoiceField(queryset=Provider.objects.all(), required=False, label="Provider")
    new_provider_name = forms.CharField(label="Or a new provider's name", required=False, max_length=200)
    new_provider_kind = forms.ChoiceField(
        label="New provider's kind", required=False, choices=[("", "Choose"), *ProviderKind.choices]
    )
    new_provider_reference = forms.CharField(
        label="New provider's Ofsted or CQC reference", required=False, max_length=30
    )
    service_description = forms.CharField(
        label="Service",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Enter the service the package pays for"},
    )
    weeks_per_year = forms.TypedChoiceField(
        label="Placement weeks a year",
        choices=[(52, "52 weeks"), (38, "38 weeks")],
        coerce=int,
        initial=52,
        error_messages={"required": "Choose how many weeks a year the placement runs"},
    )
    cost = money_field(
        "Cost in pounds",
        what="the cost",
        too_small="Enter a cost more than £0",
        min_value=Decimal("0.01"),
        error_messages={"required": "Enter the cost in pounds"},
    )
    cost_period = forms.ChoiceField(
        label="Paid",
        choices=CostPeriod.choices,
        error_messages={"required": "Choose how often the cost is paid"},
    )
    starts_on = DateField(
        label="Start date",
        help_text="For example, 13/04/2026",
        error_messages={"required": "Enter the date the package starts"},
    )
    ends_on = DateField(label="End date (optional)", required=False)
    review_date = DateField(label="Review date (optional)", required=False)
    personal_budget = forms.ChoiceField(
        label="Personal health budget or direct payment", choices=PersonalBudget.choices, required=False
    )

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "No agency"), *[(a.pk, a.name) for a in agencies]]
        for i in range(1, SHARE_ROWS + 1):
            self.fields[f"agency_{i}"] = forms.TypedChoiceField(
                label=f"Agency {i}", choices=choices, required=False, coerce=int, empty_value=None
            )
            self.fields[f"basis_{i}"] = forms.ChoiceField(
                label=f"Agency {i} pays a", choices=ShareBasis.choices, required=False
            )
            self.fields[f"value_{i}"] = money_field(
                f"Agency {i} share (percentage or pounds)",
                what=f"agency {i}'s share",
                too_small=f"Agency {i}'s share must be 0 or more",
                required=False,
                min_value=Decimal("0"),
            )

    def share_rows(self):
        return [
            (self[f"agency_{i}"], self[f"basis_{i}"], self[f"value_{i}"]) for i in range(1, SHARE_ROWS + 1)
        ]

    def lines(self) -> list[SplitLine]:
        out = []
        for i in range(1, SHARE_ROWS + 1):
            agency = self.cleaned_data.get(f"agency_{i}")
            if agency:
                out.append(
                    SplitLine(
                        agency_id=agency,
                        basis=self.cleaned_data.get(f"basis_{i}") or ShareBasis.PERCENTAGE,
                        value=self.cleaned_data.get(f"value_{i}")
                        if self.cleaned_data.get(f"value_{i}") is not None
                        else Decimal("-1"),
                    )
                )
        return out

    def clean(self):
        data = super().clean()
        if not data.get("provider") and not (data.get("new_provider_name") or "").strip():
            self.add_error("provider", "Choose the provider, or give a new provider's name and kind")
        if (data.get("new_provider_name") or "").strip() and not data.get("new_provider_kind"):
            self.add_error("new_provider_kind", "Choose the new provider's kind")
        if self.errors and not any(name in self.errors for name in self._share_field_names()):
            # Something typed cannot be read, so the service does not check the split yet: say its
            # problems now too (casework.money.split_problems, the service's own rule), so every
            # problem is shown at once and not in turns.
            cost = data.get("cost") if "cost" not in self.errors else None
            for problem in split_problems(cost, self.lines()):
                self.add_error(None, problem)
        return data

    def _share_field_names(self) -> list[str]:
        return [f"{kind}_{i}" for i in range(1, SHARE_ROWS + 1) for kind in ("agency", "basis", "value")]


class NewPackageForm(TermsForm):
    """An existing arrangement's terms, recorded from the child's record (the page names the child:
    nobody is asked for a record number). `actor`, who records it: whether their own agency pays a
    share is said with the split's other problems (the service's rule,
    funding.services.own_agency_problem)."""

    pathway = forms.ChoiceField(
        label="Pathway", choices=Pathway.choices, error_messages={"required": "Choose the pathway"}
    )

    field_order = ["pathway"]

    def __init__(self, *args, actor: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self):
        if self.actor is not None and not any(name in self.errors for name in self._share_field_names()):
            lines = self.lines()
            problem = own_agency_problem(actor=self.actor, agency_ids=[line.agency_id for line in lines])
            if problem:
                self.add_error(None, problem)
        return super().clean()


class VaryForm(TermsForm, VersionForm):
    effective_from = DateField(
        label="The change takes effect from",
        help_text="For example, 01/06/2026",
        error_messages={"required": "Enter the date the change takes effect from"},
    )
    change_reason = forms.CharField(
        label="Why is it changing?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Enter why the package is changing"},
    )
    backdating_reason = forms.CharField(
        label="If the change is backdated, why?",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    field_order = ["version", "effective_from", "change_reason", "backdating_reason"]


class CommitmentsForm(GovUKForm):
    year = forms.IntegerField(
        label="Financial year starting in",
        min_value=2000,
        max_value=2100,
        required=False,
        error_messages={
            "invalid": "Enter the year the financial year starts in, like 2026",
            "min_value": "Enter a year from 2000 to 2100",
            "max_value": "Enter a year from 2000 to 2100",
        },
    )
