"""The filters of Where cases wait: the agency holding the next step, the kind of item, the panel."""

from __future__ import annotations

from typing import cast

from django import forms
from django.db.models import QuerySet

from casework.forms import GovUKForm
from casework.models import Agency
from panels.models import Panel
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
