"""The reports' filters: Where cases wait (the agency holding the next step, the kind of item, the
panel) and Time to decision (the panel, the pathway, the months started, the breakdown)."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms
from django.db.models import QuerySet

from casework.forms import GovUKForm
from casework.models import Agency
from panels.models import Panel
from referrals.models import Pathway
from reporting.decision_times import DIMENSIONS, TimeFilters
from reporting.selectors import KINDS, WaitFilters


class WaitingFilterForm(GovUKForm):
    agency = forms.ModelChoiceField(
        label="Agency holding the next step",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Any agency",
    )
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any kind"), *KINDS.items()])
    panel = forms.ModelChoiceField(
        label="Panel", queryset=Panel.objects.none(), required=False, empty_label="Any panel"
    )

    def __init__(self, *args, agencies: QuerySet[Agency], panels: QuerySet[Panel], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["agency"]).queryset = agencies
        cast(forms.ModelChoiceField, self.fields["panel"]).queryset = panels

    def filters(self) -> WaitFilters:
        data = self.cleaned_data
        return WaitFilters(
            agency=data["agency"].pk if data.get("agency") else None,
            kind=data.get("kind") or None,
            panel=data["panel"].pk if data.get("panel") else None,
        )


class MonthField(forms.CharField):
    """A month typed as year and month ("2026-03"); cleaned to the month's first day."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 7)
        kwargs.setdefault("help_text", "For example, 2026-03")
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"class": "govuk-input--width-5", "inputmode": "numeric", "spellcheck": "false"}
        )

    def clean(self, value):
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        try:
            return dt.datetime.strptime(text, "%Y-%m").date()  # noqa: DTZ007 - a month, not a moment
        except ValueError:
            raise forms.ValidationError(
                f"Enter {str(self.label or 'the month').lower()} as a year and month, like 2026-03",
                code="invalid",
            ) from None


class TimeToDecisionFilterForm(GovUKForm):
    """The filters of Time to decision: the panel, the pathway, the months the referrals were
    started, and what the breakdown is by."""

    panel = forms.ModelChoiceField(
        label="Panel", queryset=Panel.objects.none(), required=False, empty_label="Any panel"
    )
    pathway = forms.ChoiceField(
        label="Pathway", required=False, choices=[("", "Any pathway"), *Pathway.choices]
    )
    month_from = MonthField(label="Started from month")
    month_to = MonthField(label="Started up to month")
    by = forms.ChoiceField(label="Break down by", required=False, choices=list(DIMENSIONS.items()))

    def __init__(self, *args, panels: QuerySet[Panel], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["panel"]).queryset = panels

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("month_from"), data.get("month_to")
        if start and end and end < start:
            self.add_error("month_to", "Started up to month must be the same as or after started from month")
        return data

    def filters(self) -> TimeFilters:
        data = self.cleaned_data
        return TimeFilters(
            panel=data["panel"].pk if data.get("panel") else None,
            pathway=data.get("pathway") or None,
            month_from=data.get("month_from"),
            month_to=data.get("month_to"),
            by=data.get("by") or "panel",
        )
