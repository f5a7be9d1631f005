"""The fields every referral form is made of: a section field a draft may leave blank (`Needed`),
and a section's long text."""

from __future__ import annotations

from django import forms

TEXT_LIMIT = 10000  # the model's TextField max_length for the form's sections


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
