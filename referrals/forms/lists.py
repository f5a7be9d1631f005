"""The filters of the referral lists."""

from __future__ import annotations

from casework.forms import GovUKForm
from referrals.forms.fields import (
    NeededChoiceField,
    NeededModelChoiceField,
)
from referrals.models import (
    Pathway,
    Urgency,
)

# --- Lists ---------------------------------------------------------------------------------------


class ReferralFilterForm(GovUKForm):
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
