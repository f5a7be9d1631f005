"""Forms for the action log and the tracker's filters, rendered as GOV.UK form groups.

Forms only parse what the user typed; the rules live in panels/services/actions.py, whose
ValidationErrors are put back next to the right field (casework.forms.add_service_errors).
"""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from casework.forms import DateField, GovUKForm, VersionField
from casework.models import Agency, User
from panels.models import AgendaItem, Meeting
from panels.selectors.actions import OUTCOME_CHOICES
from referrals.models import Pathway, Status

__all__ = [
    "ActionCloseForm",
    "ActionFilterForm",
    "ActionForm",
    "ActionReopenForm",
    "ActionUpdateForm",
    "TrackerFilterForm",
]

# Statuses a referral can have once a panel has seen it.
TRACKER_STATUSES = [
    (s.value, s.label)
    for s in (
        Status.ON_AGENDA,
        Status.DECIDED,
        Status.DEFERRED,
        Status.RETURNED,
        Status.CLOSED,
        Status.SUBMITTED,
    )
]


def _text(
    label: str, *, required: bool = True, rows: int = 4, max_length: int = 5000, **kwargs
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": f"Enter the {label.lower()}",
            "max_length": f"The {label.lower()} must be {max_length} characters or fewer",
        },
        **kwargs,
    )


class _PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name or obj.email} ({obj.agency.name})"


class _MeetingChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        return f"{obj.date:%-d %B %Y}"


class _ItemChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: AgendaItem) -> str:
        return f"{obj.meeting.date:%-d %b %Y}, item {obj.position}: {obj.title}"


class ActionForm(GovUKForm):
    """seeds 003's columns, as an administrator fills them in."""

    version = VersionField(required=False)
    action = _text("Action", help_text="What needs to be done")
    desired_outcome = _text(
        "Desired outcome", required=False, rows=3, help_text="The outcome or impact wanted"
    )
    owners = _PersonChoice(
        label="People responsible",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    owner_agencies = forms.ModelMultipleChoiceField(
        label="Agencies responsible",
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    partner_agency = forms.ModelChoiceField(
        label="Partner agency",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="None",
        help_text="Another agency responsible for part of the action",
    )
    due_on = DateField(label="Due by", required=False, help_text="For example, 8/11/2026")
    meeting = _MeetingChoice(
        label="Raised at the meeting",
        queryset=Meeting.objects.none(),
        required=False,
        empty_label="Not at a meeting",
    )
    agenda_item = _ItemChoice(
        label="Agenda item",
        queryset=AgendaItem.objects.none(),
        required=False,
        empty_label="No particular item",
    )

    def __init__(
        self,
        *args,
        people: QuerySet[User],
        agencies: QuerySet[Agency],
        meetings: QuerySet[Meeting],
        items: QuerySet[AgendaItem],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = people
        self.fields["owner_agencies"].queryset = agencies
        self.fields["partner_agency"].queryset = agencies
        self.fields["meeting"].queryset = meetings
        self.fields["agenda_item"].queryset = items

    def service_fields(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("action", "desired_outcome", "partner_agency", "due_on", "meeting", "agenda_item")
        }


class ActionUpdateForm(GovUKForm):
    text = _text("Update", help_text="What has happened since the last update")


class ActionCloseForm(GovUKForm):
    version = VersionField()
    completed_on = DateField(
        label="Date completed",
        help_text="For example, 8/11/2026",
        error_messages={"required": "Enter the date the action was completed"},
    )
    actual_impact = _text("Actual impact", help_text="What difference the action made")


class ActionReopenForm(GovUKForm):
    version = VersionField()
    reason = _text("Reason for reopening", rows=3, max_length=4000, help_text="This is added to the updates")


class ActionFilterForm(GovUKForm):
    status = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("", "All actions"), ("open", "Open"), ("overdue", "Overdue"), ("closed", "Closed")],
    )
    owner_agency = forms.ModelChoiceField(
        label="Agency responsible", queryset=Agency.objects.none(), required=False, empty_label="Any agency"
    )

    def __init__(self, *args, agencies: QuerySet[Agency], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_agency"].queryset = agencies


class TrackerFilterForm(GovUKForm):
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any outcome"), *OUTCOME_CHOICES]
    )
    pathway = forms.ChoiceField(
        label="Pathway", required=False, choices=[("", "Any pathway"), *Pathway.choices]
    )
    status = forms.ChoiceField(
        label="Referral status", required=False, choices=[("", "Any status"), *TRACKER_STATUSES]
    )
    agency = forms.ModelChoiceField(
        label="Agency paying a share",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Any agency",
    )
    meeting_from = DateField(label="Meetings from", required=False, help_text="For example, 1/4/2026")
    meeting_to = DateField(label="Meetings to", required=False, help_text="For example, 31/3/2027")

    def __init__(self, *args, agencies: QuerySet[Agency], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies

    def clean(self):
        data = super().clean()
        start, end = data.get("meeting_from"), data.get("meeting_to")
        if start and end and end < start:
            self.add_error("meeting_to", "The end date must be the same as or after the start date")
        return data
