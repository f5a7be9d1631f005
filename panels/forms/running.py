"""HTML forms for running a meeting: attendance, declarations, decisions and recommendations.

Forms only parse what the user typed; the rules live in panels/services/running.py and
decisions.py, whose ValidationErrors are put back next to the right field
(casework.forms.add_service_errors), so nothing typed is lost. Each item's forms carry the prefix
"item-<id>" so the many forms on the chair's page have unique ids.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from casework.forms import DateField, GovUKForm
from casework.models import Agency, User
from casework.money import money_validators
from panels.models import (
    AGREED_OUTCOMES,
    AttendanceStatus,
    Decision,
    DeclarationAction,
    Membership,
    Outcome,
)
from panels.services import draft_fingerprint, missing_answers
from referrals.models import CostPeriod, Option, ShareBasis

__all__ = [
    "AttendanceForm",
    "CorrectionForm",
    "DecisionForm",
    "DeclarationCorrectionForm",
    "DeclarationForm",
    "RecommendationResponseForm",
]


def _member_label(seat: Membership) -> str:
    return f"{seat.person.full_name or seat.person.email}, {seat.get_role_display().lower()} ({seat.agency.name})"


class AttendanceForm(GovUKForm):
    """One "present, apologies or absent" question per member, and who a present person deputises for."""

    def __init__(self, *args, members: list[Membership], attendance: dict[int, Any], **kwargs):
        initial = {}
        for seat in members:
            row = attendance.get(seat.pk)
            if row is not None:
                initial[f"status_{seat.pk}"] = row.status
                initial[f"deputy_{seat.pk}"] = row.deputy_for_id or ""
        super().__init__(*args, initial=initial, **kwargs)
        self.members = members
        self.rows = []
        for seat in members:
            status = forms.ChoiceField(
                label=_member_label(seat),
                choices=AttendanceStatus.choices,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "govuk-radios--inline govuk-radios--small"}),
            )
            others = [m for m in members if m.agency_id == seat.agency_id and m.pk != seat.pk]
            deputy = forms.TypedChoiceField(
                label=f"{seat.person.full_name or seat.person.email} attends as deputy for",
                choices=[
                    ("", "Not a deputy"),
                    *((m.pk, m.person.full_name or m.person.email) for m in others),
                ],
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.fields[f"status_{seat.pk}"] = status
            if others:
                self.fields[f"deputy_{seat.pk}"] = deputy
            self.rows.append(seat)

    def changes(self, attendance: dict[int, Any]) -> list[tuple[Membership, str, int | None]]:
        """(seat, status, deputy_for id) for each member whose answer differs from what is recorded."""
        out = []
        for seat in self.members:
            status = self.cleaned_data.get(f"status_{seat.pk}") or ""
            deputy = self.cleaned_data.get(f"deputy_{seat.pk}")
            row = attendance.get(seat.pk)
            if not status:
                continue
            if row is not None and row.status == status and row.deputy_for_id == deputy:
                continue
            out.append((seat, status, deputy))
        return out


class DeclarationForm(GovUKForm):
    membership = forms.TypedChoiceField(
        label="Member", coerce=int, error_messages={"required": "Choose the member declaring an interest"}
    )
    interest = forms.CharField(
        label="Interest declared",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Enter the interest declared",
            "max_length": "The interest must be 2000 characters or fewer",
        },
    )
    action = forms.ChoiceField(
        label="Action taken",
        choices=DeclarationAction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the action taken"},
    )

    def __init__(self, *args, members: list[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].choices = [
            ("", "Choose a member"),
            *((m.pk, _member_label(m)) for m in members),
        ]


def _money_field(label: str, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        validators=money_validators(),
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "spellcheck": "false", "class": "govuk-input--width-10"}
        ),
        error_messages={
            "invalid": f"{label} must be a number, like 1234.56",
            "min_value": f"{label} must be 0 or more",
            "max_digits": f"{label} is too large",
            "max_decimal_places": f"{label} must be to the penny, like 1234.56",
            "max_whole_digits": f"{label} is too large",
        },
    )


class DeclarationCorrectionForm(GovUKForm):
    """A correction to a declaration: a new entry, the old one kept (issue 13)."""

    withdraw = forms.BooleanField(
        label="The declaration was recorded in error: withdraw it",
        required=False,
        help_text="Leave unticked to correct the interest or the action taken",
    )
    interest = forms.CharField(
        label="Interest declared",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "The interest must be 2000 characters or fewer"},
    )
    action = forms.ChoiceField(
        label="Action taken", choices=DeclarationAction.choices, widget=forms.RadioSelect, required=False
    )
    reason = forms.CharField(
        label="Why is it being corrected?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Enter why the declaration is being corrected",
            "max_length": "The reason must be 2000 characters or fewer",
        },
    )


class _NeededWhen:
    """A decision field that some outcomes need and others do not (its hint says when, and the
    service says so when it is missing, panels/services/decision_rules.py): not marked "(optional)",
    which would contradict the hint, and an empty answer is left to the service to judge."""

    def __init__(self, *args, **kwargs):
        kwargs["required"] = True  # read by the label only: validate() below accepts an empty answer
        super().__init__(*args, **kwargs)

    def validate(self, value):
        if value in self.empty_values:
            return
        super().validate(value)


class _NeededWhenChoice(_NeededWhen, forms.TypedChoiceField):
    pass


class _NeededWhenText(_NeededWhen, forms.CharField):
    pass


class _NeededWhenDate(_NeededWhen, DateField):
    pass


class DecisionForm(GovUKForm):
    """The decision on one item (seeds 002): pre-filled from the draft, or from the recommended option."""

    decision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # When the draft was loaded: a save over someone else's later save is refused (409).
    seen_fingerprint = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome"},
    )
    option = _NeededWhenChoice(
        label="Option agreed",
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        help_text="Required when a preferred option or one with conditions is agreed. Agreed as "
        "recommended is always the recommended option",
    )
    rationale = forms.CharField(
        label="Rationale",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The reasons for the decision; for a decline, the reasons given to the referrer",
        error_messages={"required": "Enter the rationale for the decision"},
    )
    conditions = _NeededWhenText(
        label="Conditions",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when agreed with conditions",
    )
    lead_agency = _NeededWhenChoice(
        label="Lead agency", coerce=int, empty_value=None, help_text="Required when agreed"
    )
    key_worker = forms.EmailField(
        label="Key worker's email address",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        error_messages={"invalid": "Enter an email address in the correct format, like name@example.gov.uk"},
    )
    cost = _money_field("Agreed cost in pounds")
    cost.help_text = "Left blank, the cost of the option agreed"
    cost_period = forms.ChoiceField(
        label="How often",
        choices=[("", "Choose"), *CostPeriod.choices],
        required=False,
        help_text="Left blank, as the option agreed",
    )
    starts_on = DateField(label="Starts on", required=False, help_text="For example, 27/03/2026")
    ends_on = DateField(label="Ends on", required=False, help_text="For example, 31/03/2027")
    review_date = _NeededWhenDate(
        label="Review date", help_text="Required when agreed. For example, 9/10/2026"
    )
    # Where the costs fall: drawn as one fieldset, the basis then one row per agency
    # (templates/panels/running/_share_fieldset.html); each agency's own field is drawn there, not
    # again where `for field in form` reaches it, and keeps its own error next to its row.
    share_basis = _NeededWhenChoice(
        label="Shares given as",
        choices=ShareBasis.choices,
        coerce=str,
        empty_value="",
        widget=forms.RadioSelect(attrs={"class": "govuk-radios--inline govuk-radios--small"}),
        template_name="panels/running/_share_fieldset.html",
    )

    def __init__(
        self,
        *args,
        options: list[Option],
        agencies: list[Agency],
        decision: Decision | None = None,
        **kwargs,
    ):
        self.options = options
        self.agencies = agencies
        kwargs.setdefault("initial", self._initial(options, decision))
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = [
            (o.pk, f"Option {o.position}{' (recommended)' if o.is_recommended else ''}: {o.description[:80]}")
            for o in options
        ]
        self.fields["lead_agency"].choices = [("", "Choose an agency"), *((a.pk, a.name) for a in agencies)]
        self.share_fields = []
        for agency in agencies:
            name = f"share_{agency.pk}"
            self.fields[name] = _money_field(f"{agency.name} share")
            self.fields[name].template_name = "panels/running/_share_row_in_fieldset.html"
            self.share_fields.append(name)

    def share_rows(self) -> list[tuple[Agency, forms.BoundField]]:
        """Each agency of the partnership with its share's field, for the fieldset's rows."""
        return [(agency, self[f"share_{agency.pk}"]) for agency in self.agencies]

    @staticmethod
    def _initial(options: list[Option], decision: Decision | None) -> dict[str, Any]:
        if decision is not None:
            initial: dict[str, Any] = {
                "decision": decision.pk,
                "seen_fingerprint": draft_fingerprint(decision),
                "outcome": decision.outcome,
                "option": decision.option_id,
                "rationale": decision.rationale,
                "conditions": decision.conditions,
                "lead_agency": decision.lead_agency_id,
                "key_worker": decision.key_worker.email if decision.key_worker_id else "",
                "cost": decision.cost,
                "cost_period": decision.cost_period,
                "starts_on": decision.starts_on,
                "ends_on": decision.ends_on,
                "review_date": decision.review_date,
            }
            shares = list(decision.shares.all())
        else:
            option = next((o for o in options if o.is_recommended), None)
            if option is None:
                return {}
            initial = {
                "option": option.pk,
                "cost": option.cost,
                "cost_period": option.period,
                "starts_on": option.starts_on,
                "ends_on": option.ends_on,
            }
            shares = list(option.shares.all())
        if shares:
            initial["share_basis"] = shares[0].basis
            for share in shares:
                initial[f"share_{share.agency_id}"] = share.value
        return initial

    def clean(self):
        data = super().clean()
        email = data.get("key_worker")
        data["key_worker_user"] = None
        if email:
            partnership = self.agencies[0].partnership if self.agencies else None
            person = (
                User.objects.filter(email__iexact=email, is_active=True, agency__partnership=partnership)
                .select_related("agency")
                .first()
            )
            if person is None:
                self.add_error(
                    "key_worker", "No one with that email address works for an agency of this partnership"
                )
            data["key_worker_user"] = person
        if self.errors:
            self._ask_every_missing_answer(data)
        return data

    def _ask_every_missing_answer(self, data: dict[str, Any]) -> None:
        """Something typed cannot be read, so the decision is not checked by the service yet: say
        now each answer the outcome still needs (decision_rules.missing_answers, the service's own
        rule), so every problem is shown at once and not in turns."""
        options = {o.pk: o for o in self.options}
        values = {
            "outcome": data.get("outcome") or "",
            "option": options.get(data.get("option")),
            "rationale": data.get("rationale") or "",
            "conditions": data.get("conditions") or "",
            "lead_agency": data.get("lead_agency"),
            "cost": data.get("cost"),
            "cost_period": data.get("cost_period") or "",
            "review_date": data.get("review_date"),
        }
        for name, messages in missing_answers(values=values, options=self.options).items():
            if name in self.fields and name not in self.errors:
                for message in messages:
                    self.add_error(name, message)

    def service_fields(self) -> tuple[dict[str, Any], list | None]:
        data = self.cleaned_data
        options = {o.pk: o for o in self.options}
        agencies = {a.pk: a for a in self.agencies}
        fields = {
            "outcome": data["outcome"],
            "option": options.get(data.get("option")),
            "rationale": data["rationale"],
            "conditions": data.get("conditions", ""),
            "lead_agency": agencies.get(data.get("lead_agency")),
            "key_worker": data.get("key_worker_user"),
            "cost": data.get("cost"),
            "cost_period": data.get("cost_period", ""),
            "starts_on": data.get("starts_on"),
            "ends_on": data.get("ends_on"),
            "review_date": data.get("review_date"),
        }
        basis = data.get("share_basis") or ShareBasis.PERCENTAGE
        shares = [
            (agencies[int(name.removeprefix("share_"))], basis, data[name])
            for name in self.share_fields
            if data.get(name) is not None
        ]
        if data["outcome"] not in AGREED_OUTCOMES:
            return fields, []
        return fields, shares


class CorrectionForm(DecisionForm):
    correction_reason = forms.CharField(
        label="Reason for the correction",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for the correction"},
    )

    field_order = ["correction_reason"]


class RecommendationResponseForm(GovUKForm):
    answer = forms.ChoiceField(
        label="Does your agency accept the panel's recommendation?",
        choices=[("accept", "Yes, we accept it"), ("decline", "No, we decline it")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether your agency accepts the recommendation"},
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required if you decline",
    )
