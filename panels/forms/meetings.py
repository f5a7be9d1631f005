"""HTML forms for panels and meetings, rendered as GOV.UK form groups.

Forms only parse what the user typed; the rules live in panels/services.py, whose ValidationErrors
are put back next to the right field (casework.forms.add_service_errors), so nothing typed is lost.
"""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from casework.forms import DateField, GovUKForm, TimeField, VersionField
from casework.models import Agency, User
from panels.models import WEEKDAYS, WEEKS_OF_MONTH, CadenceRule, MemberRole, Membership, Panel, PanelKind
from panels.services import SETTINGS_FIELDS

__all__ = [
    "ClosureDayForm",
    "GenerateMeetingsForm",
    "MeetingCancelForm",
    "MeetingFilterForm",
    "MeetingMoveForm",
    "MeetingScheduleForm",
    "MembershipEndForm",
    "MembershipForm",
    "PanelNewForm",
    "PanelSettingsForm",
    "TimeField",
]


def _number(*, label: str, min_value: int, max_value: int, help_text: str = "") -> forms.IntegerField:
    """A whole number typed in a text box (GOV.UK: type="text" inputmode="numeric", not type="number")."""
    return forms.IntegerField(
        label=label,
        min_value=min_value,
        max_value=max_value,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "spellcheck": "false", "class": "govuk-input--width-3"}
        ),
        error_messages={
            "required": f"Enter {label.lower()}",
            "invalid": f"{label} must be a whole number",
            "min_value": f"{label} must be {min_value} or more",
            "max_value": f"{label} must be {max_value} or fewer",
        },
    )


def _working_days(what: str) -> forms.IntegerField:
    return _number(
        label=what,
        min_value=0,
        max_value=60,
        help_text="Working days; weekends, bank holidays and the panel's closure days are not counted",
    )


class PanelSettingsForm(GovUKForm):
    """Every field of panels.services.SETTINGS_FIELDS, plus the agencies the quorum needs."""

    name = forms.CharField(
        label="Panel name", max_length=200, error_messages={"required": "Enter the panel's name"}
    )
    kind = forms.ChoiceField(
        label="Type of panel",
        choices=PanelKind.choices,
        error_messages={"required": "Choose the type of panel"},
    )
    purpose = forms.CharField(
        label="Purpose and remit", max_length=5000, required=False, widget=forms.Textarea
    )
    terms_of_reference_url = forms.URLField(
        label="Link to the terms of reference",
        required=False,
        assume_scheme="https",
        help_text="For example a link to the document on your intranet",
    )
    terms_of_reference_review_date = DateField(label="Terms of reference review date", required=False)
    cadence_rule = forms.ChoiceField(
        label="How often does the panel meet?",
        choices=CadenceRule.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how often the panel meets"},
    )
    cadence_weekday = forms.TypedChoiceField(
        label="Day of the week",
        choices=WEEKDAYS,
        coerce=int,
        error_messages={"required": "Choose the day of the week the panel meets"},
    )
    cadence_week_of_month = forms.TypedChoiceField(
        label="Which one in the month",
        choices=WEEKS_OF_MONTH,
        coerce=int,
        help_text="For a monthly panel, for example the second Thursday",
        error_messages={"required": "Choose which one in the month the panel meets"},
    )
    cadence_interval_weeks = _number(
        label="Number of weeks between meetings",
        min_value=1,
        max_value=8,
        help_text="For a panel that meets every N weeks",
    )
    cadence_anchor = DateField(
        label="Date of one meeting to count the weeks from",
        required=False,
        help_text="For a panel that meets every N weeks. For example, 12/03/2026",
    )
    meeting_starts_at = TimeField(
        label="Meetings start at", error_messages={"required": "Enter the time meetings start"}
    )
    meeting_ends_at = TimeField(
        label="Meetings end at", error_messages={"required": "Enter the time meetings end"}
    )
    meeting_location = forms.CharField(label="Where the panel meets", max_length=300, required=False)
    papers_due_working_days = _working_days("Papers due, working days before the meeting")
    circulation_working_days = _working_days("Papers circulated, working days before the meeting")
    decision_letter_working_days = _working_days("Decision letters sent, working days after the meeting")
    minutes_working_days = _working_days("Minutes sent, working days after the meeting")
    absent_agency_response_working_days = _working_days(
        "An absent agency answers, working days after the meeting"
    )
    papers_reminder_working_days = _working_days("Remind referrers, working days before the papers deadline")
    sign_off_reminder_working_days = _working_days(
        "Remind signers after a referral waits this many working days"
    )
    review_reminder_days = _number(
        label="Remind about a review, days before its date", min_value=1, max_value=180
    )
    quorum_members_per_agency = _number(
        label="Members needed from each agency for a quorum", min_value=1, max_value=10
    )
    inquorate_below_members = _number(
        label="The whole meeting is inquorate with fewer deciding members than",
        min_value=0,
        max_value=50,
        help_text="Chair, vice-chairs and members present; 0 for no such rule. "
        "An inquorate meeting can only recommend or defer",
    )
    inquorate_without_chair = forms.BooleanField(
        label="The whole meeting is inquorate with neither the chair nor a vice-chair present",
        required=False,
    )
    quorum_agencies = forms.ModelMultipleChoiceField(
        label="Agencies that must each be represented",
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply",
    )

    def __init__(self, *args, panel: Panel, **kwargs):
        if "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(panel, name) for name in SETTINGS_FIELDS}
            kwargs["initial"]["quorum_agencies"] = list(panel.quorum_agencies.values_list("pk", flat=True))
        super().__init__(*args, **kwargs)
        self.fields["quorum_agencies"].queryset = Agency.objects.filter(partnership=panel.partnership)
        self.fields["inquorate_below_members"].required = False  # left empty: no such rule

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}
        fields["inquorate_below_members"] = fields["inquorate_below_members"] or 0
        return fields


class PanelNewForm(GovUKForm):
    name = forms.CharField(
        label="Panel name", max_length=200, error_messages={"required": "Enter the panel's name"}
    )
    kind = forms.ChoiceField(
        label="Type of panel",
        choices=PanelKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the type of panel"},
    )
    host_agency = forms.ModelChoiceField(
        label="Host agency",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        help_text="The agency that runs the panel: its panel administrators run the meetings",
        error_messages={
            "required": "Choose the host agency",
            "invalid_choice": "Choose an agency of your partnership",
        },
    )

    def __init__(self, *args, hosts: QuerySet[Agency], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host_agency"].queryset = hosts


class _PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name or obj.email} ({obj.agency.name})"


class _SeatChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.person.full_name or obj.person.email} ({obj.get_role_display()})"


class MembershipForm(GovUKForm):
    person = _PersonChoiceField(
        label="Person",
        queryset=User.objects.none(),
        empty_label="Choose a person",
        error_messages={"required": "Choose the person", "invalid_choice": "Choose one of the people listed"},
    )
    role = forms.ChoiceField(
        label="Role on the panel",
        choices=MemberRole.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose their role on the panel"},
    )
    deputy_for = _SeatChoiceField(
        label="Deputy for",
        queryset=Membership.objects.none(),
        required=False,
        empty_label="Not a deputy",
        help_text="When this person sits in place of another member",
    )
    starts_on = DateField(label="Member from", required=False, help_text="Leave blank for today")

    def __init__(self, *args, people: QuerySet[User], seats: QuerySet[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["deputy_for"].queryset = seats


class MembershipEndForm(GovUKForm):
    ends_on = DateField(label="Membership ends on", required=False, help_text="Leave blank for today")


class ClosureDayForm(GovUKForm):
    day = DateField(
        label="Closure day",
        help_text="For example, 29/12/2026",
        error_messages={"required": "Enter the closure day"},
    )
    reason = forms.CharField(
        label="Reason", max_length=200, required=False, help_text="For example, Christmas shutdown"
    )


class GenerateMeetingsForm(GovUKForm):
    until = DateField(
        label="Schedule meetings up to",
        help_text="Meetings follow the panel's cadence; dates it already has are left alone. For example, 31/03/2027",
        error_messages={"required": "Enter the date to schedule meetings up to"},
    )


class MeetingScheduleForm(GovUKForm):
    date = DateField(
        label="Date of the meeting",
        help_text="For example, 12/03/2026",
        error_messages={"required": "Enter the date of the meeting"},
    )
    starts_at = TimeField(
        label="Starts at", required=False, help_text="Leave blank for the panel's usual time"
    )
    ends_at = TimeField(label="Ends at", required=False, help_text="Leave blank for the panel's usual time")
    location = forms.CharField(
        label="Where", max_length=300, required=False, help_text="Leave blank for the panel's usual place"
    )
    in_the_past = forms.BooleanField(
        label="Yes, schedule a meeting in the past",
        required=False,
        help_text="Only to record a meeting that has already taken place",
    )


class _VersionedForm(GovUKForm):
    """Carries the meeting's version, so a change made from a stale page is refused (409)."""

    version = VersionField()


class MeetingMoveForm(_VersionedForm):
    date = DateField(
        label="New date",
        help_text="For example, 19/03/2026",
        error_messages={"required": "Enter the meeting's new date"},
    )
    starts_at = TimeField(label="Starts at", required=False, help_text="Leave blank to keep the time")
    ends_at = TimeField(label="Ends at", required=False, help_text="Leave blank to keep the time")
    reason = forms.CharField(
        label="Reason for the move",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for the move"},
        help_text="Members and referrers will see this",
    )


class MeetingCancelForm(_VersionedForm):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for cancelling"},
        help_text="Referrals submitted to this meeting stay submitted for the chair to move",
    )


class MeetingFilterForm(GovUKForm):
    panel = forms.ModelChoiceField(
        label="Panel", queryset=Panel.objects.none(), required=False, empty_label="All panels"
    )

    def __init__(self, *args, panels: QuerySet[Panel], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = panels
