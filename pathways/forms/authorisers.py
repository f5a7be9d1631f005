"""Forms for the partnership administrator's escalation pages: authorisers and settings. They
only parse what was typed; pathways/services/authorisers.py holds the rules."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from casework.forms import GovUKForm, govuk_messages
from casework.models import User
from pathways.models import EscalationSettings, Seniority

__all__ = ["AuthoriserForm", "EscalationSettingsForm"]


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name or obj.email} ({obj.agency.name})"


class AuthoriserForm(GovUKForm):
    user = _PersonChoice(
        label="Person",
        queryset=User.objects.none(),
        empty_label="Choose a person",
        error_messages={
            "required": "Choose a person",
            "invalid_choice": "Choose a person of your partnership",
        },
    )
    seniority = forms.ChoiceField(
        label="Grade",
        choices=Seniority.choices,
        widget=forms.RadioSelect,
        help_text="The grade their organisation's equivalent post counts as",
        error_messages={"required": "Choose the grade their post counts as"},
    )
    job_title = forms.CharField(
        label="Job title",
        max_length=200,
        help_text="As their organisation names it, for example “Service Group Manager, FYPC/LDA”",
        error_messages={"required": "Enter their job title"},
    )

    def __init__(self, *args, people: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people


def _whole_number(what: str, *, least: int = 1, most: int | None = None) -> dict[str, str]:
    """The messages of a settings box for a whole number of `what` (days, hours ...)."""
    messages = {
        "required": f"Enter the number of {what}",
        "invalid": f"Enter the number of {what} as a whole number, like 2",
        "min_value": f"Enter {least} or more {what}",
    }
    messages["max_value"] = f"Enter {most} or fewer {what}" if most else f"Enter a smaller number of {what}"
    return messages


def _number_widget() -> forms.TextInput:
    return forms.TextInput(
        attrs={"inputmode": "numeric", "spellcheck": "false", "class": "govuk-input--width-3"}
    )


class EscalationSettingsForm(forms.ModelForm):
    class Meta:
        model = EscalationSettings
        fields = (
            "rsg_first_meeting_hours",
            "rsg_meetings_per_week",
            "erg_min_days_between_meetings",
            "erg_report_interval_months",
            "rsg_min_seniority",
            "jsp_min_seniority",
            "erg_min_seniority",
            "cetr_override_min_seniority",
        )
        widgets = {
            "rsg_first_meeting_hours": _number_widget(),
            "rsg_meetings_per_week": _number_widget(),
            "erg_min_days_between_meetings": _number_widget(),
            "erg_report_interval_months": _number_widget(),
            "rsg_min_seniority": forms.RadioSelect,
            "jsp_min_seniority": forms.RadioSelect,
            "erg_min_seniority": forms.RadioSelect,
            "cetr_override_min_seniority": forms.RadioSelect,
        }
        error_messages = {
            "rsg_first_meeting_hours": _whole_number("hours to the Rapid Solutions Group's first meeting"),
            "rsg_meetings_per_week": _whole_number("Rapid Solutions Group meetings each week", most=7),
            "erg_min_days_between_meetings": _whole_number(
                "days between Exceptional Resourcing Group meetings"
            ),
            "erg_report_interval_months": _whole_number(
                "months between Exceptional Resourcing Group reports"
            ),
            "rsg_min_seniority": {"required": "Choose the grade that sets up a Rapid Solutions Group"},
            "jsp_min_seniority": {"required": "Choose the grade that escalates to a Joint Solutions Panel"},
            "erg_min_seniority": {
                "required": "Choose the grade that agrees and chairs an Exceptional Resourcing Group"
            },
            "cetr_override_min_seniority": {"required": "Choose the grade that may escalate without a CETR"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        govuk_messages(self)

    def validate_unique(self):
        # The service makes the partnership's row; the form only parses the numbers and grades.
        pass
