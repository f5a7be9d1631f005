"""An option and its costs: pounds as people type them, and the proposed split between agencies."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from casework.forms import DateField, GovUKForm, add_service_errors
from casework.models import Agency, ProviderKind
from casework.money import HOURS_IN_A_WEEK, MAX_COST, MAX_COST_TEXT, weekly_from_hours
from referrals.models import (
    CostPeriod,
    Option,
    OptionShare,
    ShareBasis,
)
from referrals.services import split_problem

OPTION_TEXT_LIMIT = 5000
# A number as people type it: "1250", "1,250.50", ".5". Sign, "£" and spaces are dealt with first.
_NUMBER = re.compile(r"(\d{1,3}(,\d{3})+|\d+)(\.\d*)?|\.\d+")
MAX_MONEY = MAX_COST  # casework/money.py says why
HOURS = {"hours_per_week", "hourly_rate"}


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


class OptionForm(GovUKForm):
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
        if self.errors:
            # The service is not reached: say the split's problems now too, so every problem is
            # shown at once and not in turns.
            self._add_split_problem()
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

    def _add_split_problem(self) -> None:
        """The split's problem by the service's own rule (referrals.services.split_problem), next to
        the basis question as the service's is, for when the service is not reached or stops before
        the split. Not when a share or the basis cannot be read (said next to it), nor for amounts
        when the cost is not known (no misleading total)."""
        if "basis" in self.errors or any(field.name in self.errors for field in self.share_fields()):
            return
        data = self.cleaned_data
        cost = data.get("cost") if "cost" not in self.errors else None
        hours, rate = data.get("hours_per_week"), data.get("hourly_rate")
        if isinstance(hours, Decimal) and isinstance(rate, Decimal) and not self.errors.keys() & HOURS:
            cost = weekly_from_hours(hours, rate)
        shares = [
            OptionShare(agency=agency, basis=basis, value=value) for agency, basis, value in self.shares
        ]
        if shares and data.get("basis") == ShareBasis.AMOUNT and cost is None:
            return
        problem = split_problem(Option(cost=cost), shares)
        if problem:
            self.add_error("basis", problem[0].upper() + problem[1:])

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
        else:
            # The service stopped before its split check: say the split's problems with its own.
            add_service_errors(self, error)
            self._add_split_problem()
            return
        add_service_errors(self, error)


def _plain(value: Decimal) -> str:
    """50.00 → "50", 33.30 → "33.3", as a person would have typed it."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
