"""Evidence, sign-off and the journey after it: the meeting it goes to, withdrawing, closing."""

from __future__ import annotations

from django import forms

from casework.forms import GovUKForm
from referrals.forms import Meeting
from referrals.services import CloseReason

# --- Evidence ------------------------------------------------------------------------------------


class EvidenceForm(GovUKForm):
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


class SignOffForm(GovUKForm):
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


class MeetingForm(GovUKForm):
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


class WithdrawForm(GovUKForm):
    reason = forms.CharField(
        label="Why is the referral being withdrawn?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter why the referral is withdrawn"},
    )


class CloseForm(GovUKForm):
    reason = forms.ChoiceField(
        label="Why is the referral being closed?",
        choices=CloseReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the referral is being closed"},
    )
