"""HTML forms for referrals, rendered as GOV.UK form groups (casework.forms.GovUKFormRenderer).

Forms only parse what the user typed; the rules (what a complete referral is, how a split must add
up, who may do what) live in referrals/services/. Their ValidationErrors are put back on the form
next to the right field, so nothing typed is lost.

A draft may be saved at any point with anything missing: section fields are "needed" (not labelled
optional, since sign-off demands them) but a blank one is accepted until then (`Needed`).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from casework.forms import DateField, add_service_errors
from casework.models import Agency, ProviderKind
from casework.money import HOURS_IN_A_WEEK, MAX_COST, MAX_COST_TEXT
from panels.models import Meeting
from referrals.models import (
    CostPeriod,
    Option,
    Pathway,
    Referral,
    RequestType,
    SchoolType,
    ShareBasis,
    Urgency,
)
from referrals.services import CloseReason

TEXT_LIMIT = 10000  # the model's TextField max_length for the form's sections
OPTION_TEXT_LIMIT = 5000
# A number as people type it: "1250", "1,250.50", ".5". Sign, "£" and spaces are dealt with first.
_NUMBER = re.compile(r"(\d{1,3}(,\d{3})+|\d+)(\.\d*)?|\.\d+")
MAX_MONEY = MAX_COST  # casework/money.py says why


class Needed:
    """Not labelled "(optional)", yet accepted blank: a section field a draft may leave empty until
    sign-off demands it, a question that applies only sometimes, or a list filter left at "Any"."""

    def validate(self, value):
        if value in self.empty_values:
            return
        super().validate(value)


class NeededCharField(Needed, forms.CharField):
    pass


class NeededChoiceField(Needed, forms.ChoiceField):
    pass


class NeededModelChoiceField(Needed, forms.ModelChoiceField):
    pass


class NeededYesNoField(Needed, forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=[("True", "Yes"), ("False", "No")],
            coerce=lambda value: value == "True",
            empty_value=None,
            widget=forms.RadioSelect(attrs={"class": "govuk-radios--inline"}),
            **kwargs,
        )


def _text(label: str, *, help_text: str = "", limit: int = TEXT_LIMIT, needed: bool = True) -> forms.Field:
    field_class = NeededCharField if needed else forms.CharField
    return field_class(
        label=label,
        help_text=help_text,
        max_length=limit,
        required=needed,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


# --- Starting a referral and its details ---------------------------------------------------------


PATHWAY_HINT = "The route the request takes: a joint package, a Continuing Care assessment, and so on"


class ReferralDetailsForm(forms.Form):
    """Pathway, new or review, urgency: the head of the referral (the service's "details" section)."""

    pathway = forms.ChoiceField(
        label="Pathway",
        choices=Pathway.choices,
        widget=forms.RadioSelect,
        help_text=PATHWAY_HINT,
        error_messages={"required": "Choose the pathway"},
    )
    request_type = forms.ChoiceField(
        label="Is this a new request or a review?",
        choices=[
            (RequestType.NEW, "A new request"),
            (RequestType.REVIEW, "A review of an earlier referral's funding"),
        ],
        widget=forms.RadioSelect,
        initial=RequestType.NEW,
        error_messages={"required": "Say whether this is a new request or a review"},
    )
    review_of = NeededModelChoiceField(
        label="Earlier referral being reviewed",
        queryset=Referral.objects.none(),
        empty_label="Choose the earlier referral",
        help_text="Answer if this is a review",
    )
    urgency = forms.ChoiceField(
        label="How urgent is it?",
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        initial=Urgency.ROUTINE,
        help_text="An emergency is brought to the panel chair's attention as soon as it is submitted",
        error_messages={"required": "Choose how urgent the referral is"},
    )

    def __init__(self, *args, earlier_referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review_of"].queryset = earlier_referrals
        self.fields["review_of"].label_from_instance = _referral_label

    def clean(self):
        data = super().clean()
        if data.get("request_type") == RequestType.REVIEW and not data.get("review_of"):
            self.add_error("review_of", "Choose the earlier referral whose funding this reviews")
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if data["request_type"] == RequestType.NEW:
            data["review_of"] = None
        return data


def _referral_label(referral: Referral) -> str:
    return (
        f"{referral.panel.name}, started {referral.created_at:%-d %B %Y} "
        f"({referral.get_status_display().lower()})"
    )


class StartReferralForm(ReferralDetailsForm):
    panel = forms.ModelChoiceField(
        label="Panel",
        queryset=None,
        empty_label="Choose a panel",
        error_messages={"required": "Choose the panel the referral is for"},
    )

    field_order = ["panel", "pathway", "request_type", "review_of", "urgency"]

    def __init__(self, *args, panels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = panels


# --- The form's sections (seeds 002, Joint Solutions Panel request form) -----------------------


def _section_fields(*, looked_after: bool) -> dict[str, dict[str, forms.Field]]:
    answer_if_yes = "Answer if yes"
    return {
        "referrer": {
            "referrer_relationship": NeededCharField(
                label="Your relationship to the child",
                max_length=200,
                help_text="For example, allocated social worker",
            ),
        },
        "needs": {"assessed_needs": _text("Brief summary of assessed needs")},
        "support": {
            "current_support": _text(
                "Are there currently any support services or interventions in place?",
                help_text="Say what they are, who provides them and how often",
            )
        },
        "iro": {
            "iro_comments": _text(
                "The Independent Reviewing Officer's comments about the proposed plan",
                help_text=(
                    "Needed because the child is looked after"
                    if looked_after
                    else "Only needed if the child is looked after"
                ),
                needed=looked_after,
            )
        },
        "permanency": {"permanency_plan": _text("What is the permanency plan for the child?")},
        "education": {
            "education_change": NeededYesNoField(
                label=(
                    "Might this request involve a change of school placement or affect the "
                    "child's education in any way?"
                ),
            ),
            "education_has_ehc_plan": NeededYesNoField(
                label="Has the child got an education, health and care (EHC) plan?",
                help_text=answer_if_yes,
            ),
            "education_discussed_with_sen": NeededYesNoField(
                label="Has this proposal been discussed with the SEN team?",
                help_text=(
                    "Answer if yes and the child has an EHC plan. You should have this discussion "
                    "before the panel wherever possible"
                ),
            ),
            "education_sen_comments": _text(
                "The SEN team's comments",
                help_text=(
                    "Answer if it has been discussed with them. Include possible funding issues and "
                    "whether the proposed placement is appropriate"
                ),
            ),
            "education_current_school": NeededCharField(
                label="Name of current school",
                max_length=200,
                help_text="Or write 'not in school'",
            ),
            "education_school_type": NeededChoiceField(
                label="Is the school mainstream, special or other?",
                choices=SchoolType.choices,
                widget=forms.RadioSelect,
            ),
        },
        "elsewhere": {
            "considered_elsewhere": _text("Has funding, support or intervention been considered elsewhere?")
        },
        "child_voice": {
            "child_voice": _text(
                "The child or young person's voice",
                help_text="Their wishes and feelings, in their words where you can",
            )
        },
        "parents_voice": {"parents_voice": _text("The parents' and carers' voice")},
        "reason": {
            "reason_for_referral": _text("Reason for referral to the panel"),
            "summary_of_circumstances": _text(
                "Summary of the circumstances which warrant the referral",
                help_text="Include the need identified and why a local response is not enough",
            ),
        },
    }


def section_labels(*, looked_after: bool) -> dict[str, str]:
    """Each section field's question, for the referral's summary page."""
    return {
        name: str(form_field.label)
        for fields in _section_fields(looked_after=looked_after).values()
        for name, form_field in fields.items()
    }


class SectionForm(forms.Form):
    """One section of the referral form. Built for a section key from services.SECTIONS."""

    def __init__(self, *args, section: str, looked_after: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.section = section
        self.fields.update(_section_fields(looked_after=looked_after)[section])


# --- Options and costs ---------------------------------------------------------------------------


PERIOD_LABELS = {
    CostPeriod.WEEKLY: "Weekly",
    CostPeriod.FOUR_WEEKLY: "Every 4 weeks",
    CostPeriod.MONTHLY: "Monthly",
    CostPeriod.ANNUAL: "Yearly",
    CostPeriod.ONE_OFF: "One-off",
}


def parse_decimal(raw: str, *, what: str, example: str, money: bool) -> Decimal | None:
    """A number typed by a person, to the penny, or None when blank. Messages name `what`."""
    text = "".join(str(raw or "").split())
    text = text.replace("£", "") if money else text.removesuffix("%")
    if not text:
        return None
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    if not _NUMBER.fullmatch(digits):
        raise ValidationError(f"Enter {what} as a number, like {example}")
    if negative:
        raise ValidationError(f"{what[0].upper()}{what[1:]} must be 0 or more")
    whole, _point, pence = digits.replace(",", "").partition(".")
    if len(pence) > 2:
        raise ValidationError(f"Enter {what} with no more than 2 decimal places, like {example}")
    try:
        value = Decimal(f"{whole or '0'}.{pence or '0'}")
    except InvalidOperation:
        raise ValidationError(f"Enter {what} as a number, like {example}") from None
    if value > MAX_MONEY:
        limit = MAX_COST_TEXT if money else f"{MAX_MONEY:,.0f}"
        raise ValidationError(f"{what[0].upper()}{what[1:]} must be {limit} or less")
    return value.quantize(Decimal("0.01"))


class PoundsField(forms.CharField):
    """Pounds and pence typed in a text box with a "£" prefix (GOV.UK: no type=number for money)."""

    def __init__(self, *, what: str = "the cost", **kwargs):
        self.what = what
        widget = forms.TextInput(
            attrs={
                "inputmode": "decimal",
                "spellcheck": "false",
                "autocomplete": "off",
                "class": "govuk-input--width-10",
            }
        )
        # Same markup as a text input, wrapped with the GOV.UK "£" prefix.
        widget.template_name = "referrals/pounds_input.html"
        kwargs.setdefault("max_length", 30)
        super().__init__(widget=widget, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return parse_decimal(value, what=self.what, example="1250 or 1250.50", money=True)


class OptionForm(forms.Form):
    """An option with its cost and the proposed split: a basis and one value per agency."""

    description = forms.CharField(
        label="Describe the option",
        max_length=OPTION_TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What would be provided, for example a residential placement with 2:1 support",
        error_messages={"required": "Describe the option"},
    )
    provider = forms.CharField(label="Provider", max_length=200, required=False)
    cost = PoundsField(
        label="Cost",
        help_text="In pounds and pence, for the period you choose below. For home support paid by the "
        "hour, leave it blank and give the hours a week and the hourly rate below",
        required=False,
    )
    # Home support priced by the hour (issue 15): the service works out the weekly cost.
    hours_per_week = forms.CharField(
        label="Hours a week (home support paid by the hour)",
        max_length=30,
        required=False,
        help_text="For example 30 or 37.5",
        widget=forms.TextInput(
            attrs={
                "inputmode": "decimal",
                "spellcheck": "false",
                "autocomplete": "off",
                "class": "govuk-input--width-5",
            }
        ),
    )
    hourly_rate = PoundsField(label="Hourly rate", what="the hourly rate", required=False)
    period = forms.ChoiceField(
        label="How often is this cost paid?",
        choices=list(PERIOD_LABELS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how often the cost is paid"},
    )
    # seeds 003 supplementary recommendation 4: a residential placement of 38 weeks a year or more
    # needs a CETR before the referral goes to the panel.
    provider_kind = forms.ChoiceField(
        label="What kind of service is it?",
        choices=ProviderKind.choices,
        required=False,
        widget=forms.RadioSelect,
        initial=ProviderKind.UNCONFIRMED,
    )
    weeks_per_year = forms.TypedChoiceField(
        label="For how many weeks a year?",
        choices=[(38, "38 weeks (term time)"), (52, "52 weeks")],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        initial=52,
        help_text="A residential placement of 38 weeks or more needs a Care, Education and Treatment Review",
    )
    starts_on = DateField(label="Start date", required=False)
    ends_on = DateField(label="End date", required=False)
    benefits = forms.CharField(
        label="Benefits",
        max_length=OPTION_TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    risks = forms.CharField(
        label="Risks", max_length=OPTION_TEXT_LIMIT, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    basis = forms.ChoiceField(
        label="How is the cost split between agencies?",
        choices=[
            (ShareBasis.PERCENTAGE, "As percentages of the cost"),
            (ShareBasis.AMOUNT, "As amounts in pounds, for the same period as the cost"),
        ],
        widget=forms.RadioSelect,
        initial=ShareBasis.PERCENTAGE,
        help_text="The shares must add up to 100%, or to the whole cost",
        error_messages={"required": "Choose whether the split is in percentages or amounts"},
    )

    OPTION_FIELDS = ("description", "provider", "cost", "period", "starts_on", "ends_on", "benefits", "risks")

    def __init__(self, *args, agencies: list[Agency], option: Option | None = None, **kwargs):
        if option is not None and "initial" not in kwargs:
            shares = list(option.shares.all())
            kwargs["initial"] = {
                **{
                    name: getattr(option, name)
                    for name in (*self.OPTION_FIELDS, "provider_kind", "weeks_per_year")
                },
                "cost": f"{option.cost:.2f}",
                "hours_per_week": _plain(option.hours_per_week) if option.hours_per_week is not None else "",
                "hourly_rate": f"{option.hourly_rate:.2f}" if option.hourly_rate is not None else "",
                "basis": shares[0].basis if shares else ShareBasis.PERCENTAGE,
                **{f"share_{s.agency_id}": _plain(s.value) for s in shares},
            }
        super().__init__(*args, **kwargs)
        self.agencies = agencies
        for agency in agencies:
            self.fields[self.share_name(agency)] = forms.CharField(
                label=agency.name,
                max_length=30,
                required=False,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "spellcheck": "false",
                        "autocomplete": "off",
                        "class": "govuk-input--width-5",
                    }
                ),
            )

    @staticmethod
    def share_name(agency: Agency) -> str:
        return f"share_{agency.pk}"

    def share_fields(self) -> list[forms.BoundField]:
        return [self[self.share_name(agency)] for agency in self.agencies]

    def clean(self):
        data = super().clean()
        basis = data.get("basis")
        percentages = basis != ShareBasis.AMOUNT
        shares = []
        for agency in self.agencies:
            name = self.share_name(agency)
            what = f"{agency.name}'s {'percentage' if percentages else 'amount'}"
            try:
                value = parse_decimal(
                    self.data.get(self.add_prefix(name), ""),
                    what=what,
                    example="50 or 33.33" if percentages else "1250 or 1250.50",
                    money=not percentages,
                )
            except ValidationError as error:
                self.add_error(name, error)
                continue
            if value is None:
                continue  # a blank row: that agency pays nothing
            if percentages and value > 100:
                self.add_error(name, f"{what[0].upper()}{what[1:]} cannot be more than 100%")
                continue
            shares.append((agency, basis, value))
        self.shares = shares
        self._clean_hours(data)
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The end date must be on or after the start date")
        return data

    def _clean_hours(self, data: dict) -> None:
        """Hours a week and an hourly rate together stand for the cost (the service multiplies them,
        casework.money.weekly_from_hours); otherwise the cost is needed."""
        try:
            hours = parse_decimal(
                data.get("hours_per_week", ""), what="the hours a week", example="30 or 37.5", money=False
            )
        except ValidationError as error:
            self.add_error("hours_per_week", error)
            return
        data["hours_per_week"] = hours
        rate = data.get("hourly_rate")
        if hours is not None and hours > HOURS_IN_A_WEEK:
            self.add_error("hours_per_week", "The hours a week must be 168 or less")
        elif hours is not None and hours <= 0:
            self.add_error("hours_per_week", "The hours a week must be more than 0")
        elif hours is not None and rate is None and "hourly_rate" not in self.errors:
            self.add_error("hourly_rate", "Enter the hourly rate, or leave the hours a week blank")
        elif hours is None and rate is not None:
            self.add_error("hours_per_week", "Enter the hours a week, or leave the hourly rate blank")
        elif hours is None and data.get("cost") is None and "cost" not in self.errors:
            self.add_error("cost", "Enter the cost")

    def option_fields(self) -> dict:
        placement = {
            name: self.cleaned_data[name]
            for name in ("provider_kind", "weeks_per_year")
            if self.cleaned_data.get(name) not in (None, "")
        }
        hours = {name: self.cleaned_data.get(name) for name in ("hours_per_week", "hourly_rate")}
        return {**{name: self.cleaned_data[name] for name in self.OPTION_FIELDS}, **placement, **hours}

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's "shares" problems belong next to the split (the basis question)."""
        # Kept beside casework.forms.add_service_errors, which does the rest: the service names the
        # split "shares" (as the API does), a name this form has no field for (one field per
        # agency), so the shared mapping would put it at the top of the page instead.
        if hasattr(error, "error_dict") and "shares" in error.error_dict:
            for message in error.message_dict["shares"]:
                self.add_error("basis", message)
            error = ValidationError({k: v for k, v in error.error_dict.items() if k != "shares"})
            if not error.error_dict:
                return
        add_service_errors(self, error)


def _plain(value: Decimal) -> str:
    """50.00 → "50", 33.30 → "33.3", as a person would have typed it."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- Evidence ------------------------------------------------------------------------------------


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        help_text="A PDF, Word document, PNG or JPEG",
        error_messages={"required": "Select a file", "empty": "The selected file is empty"},
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        required=False,
        help_text="What it is, for example 'CAMHS assessment, March 2026'",
    )

    def __init__(self, *args, max_mb: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = f"A PDF, Word document, PNG or JPEG, smaller than {max_mb:g} MB"


# --- Sign-off and the journey after it --------------------------------------------------------


class SignOffForm(forms.Form):
    comments = forms.CharField(
        label="Comments",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Needed if you return it: say what needs to change",
    )


class MeetingChoiceField(forms.ModelChoiceField):
    def __init__(self, *, deadlines: dict[int, object], today, **kwargs):
        self.deadlines = deadlines
        self.today = today
        super().__init__(widget=forms.RadioSelect, **kwargs)

    def label_from_instance(self, meeting: Meeting) -> str:
        due = self.deadlines.get(meeting.pk)
        label = f"{meeting.date:%A %-d %B %Y}"
        if due is None:
            return label
        if due < self.today:
            return f"{label} – papers were due {due:%A %-d %B}: this would be a late paper"
        return f"{label} – papers due {due:%A %-d %B %Y}"


class MeetingForm(forms.Form):
    def __init__(self, *args, meetings, deadlines, today, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"] = MeetingChoiceField(
            label=label,
            queryset=meetings,
            deadlines=deadlines,
            today=today,
            empty_label=None,
            error_messages={"required": "Choose a meeting", "invalid_choice": "Choose one of the meetings"},
        )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is the referral being withdrawn?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter why the referral is withdrawn"},
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why is the referral being closed?",
        choices=CloseReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the referral is being closed"},
    )


# --- Lists ---------------------------------------------------------------------------------------


class ReferralFilterForm(forms.Form):
    """The filters of the "All referrals" list, from the query string (GET). Each may be left at
    "Any", so none is labelled "(optional)"."""

    status = NeededChoiceField(label="Status")
    panel = NeededModelChoiceField(label="Panel", queryset=None, empty_label="Any panel")
    pathway = NeededChoiceField(label="Pathway", choices=[("", "Any pathway")] + Pathway.choices)
    urgency = NeededChoiceField(label="Urgency", choices=[("", "Any urgency")] + Urgency.choices)

    def __init__(self, *args, panels, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = panels
        self.fields["status"].choices = [("", "Any status")] + list(statuses)
