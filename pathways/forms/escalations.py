"""HTML forms for the escalation ladder. They only parse what was typed; the services in
pathways/services/escalations.py and escalation_groups.py hold the rules, and their ValidationErrors
go back next to the field (casework.forms.add_service_errors).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from casework.forms import DateField, GovUKForm, TimeField
from casework.models import Agency, Child, User
from panels.models import Panel
from pathways import access
from pathways.forms.cases import _seen_field, text
from pathways.models import EscalationLevel, EscalationRoute

__all__ = [
    "CETRForm",
    "EscalateForm",
    "MeetingForm",
    "OpenForm",
    "ReportForm",
    "ResolveForm",
    "jsp_panels_for",
]


def jsp_panels_for(child: Child):
    partnerships = access.involved_agencies(child=child).values("partnership")
    return Panel.objects.filter(kind="jsp", partnership__in=partnerships).order_by("name")


def _people(field: forms.ModelChoiceField) -> None:
    field.label_from_instance = lambda u: f"{u.full_name} ({u.agency.name})"


def _authoriser_field(label: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=User.objects.none(),
        label=label,
        help_text="People recorded as Service Group Managers, Assistant Directors or Directors (or equivalent)",
        error_messages={"required": "Choose who authorised it"},
    )


class _LadderForm(GovUKForm):
    """Who authorised, why, and the fields of the rung (chair; or panel and CETR override)."""

    def _setup(self, child: Child, level: str | None) -> None:
        authorisers = User.objects.filter(
            pk__in=access.authorisers_for(child=child).values("user_id")
        ).select_related("agency")
        self.fields["authorised_by"].queryset = authorisers
        _people(self.fields["authorised_by"])
        if "chair" in self.fields:
            chairs = authorisers if level == EscalationLevel.ERG else access.workers_for(child=child)
            self.fields["chair"].queryset = chairs
            _people(self.fields["chair"])
        if "target_panel" in self.fields:
            self.fields["target_panel"].queryset = jsp_panels_for(child)


def _chair_field(required: bool = False) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Chair",
        required=required,
        error_messages={"required": "Choose who chairs"},
    )


def _panel_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Panel.objects.none(),
        label="Joint Solutions Panel",
        required=False,
        help_text="For escalation to a Joint Solutions Panel",
    )


def _override_field() -> forms.CharField:
    return text(
        "Reason for escalating without a Care, Education and Treatment Review",
        help_text="Only for an autistic child or a child with a learning disability whose CETR is not yet "
        "recorded. This is a senior override: it needs an Assistant Director or equivalent",
    )


class OpenForm(_LadderForm):
    route = forms.ChoiceField(
        label="How did the child present?",
        choices=EscalationRoute.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the child presented"},
    )
    summary = text("The crisis", required=True)
    level = forms.ChoiceField(
        label="Escalate to",
        choices=[
            (EscalationLevel.RSG, EscalationLevel.RSG.label),
            (EscalationLevel.JSP, EscalationLevel.JSP.label),
        ],
        widget=forms.RadioSelect,
        help_text="A placement breakdown or a delayed transfer of care may go straight to a Joint Solutions Panel",
        error_messages={"required": "Choose a Rapid Solutions Group or a Joint Solutions Panel"},
    )
    authorised_by = _authoriser_field("Authorised by")
    reason = text("Why escalate", required=True)
    chair = _chair_field()
    target_panel = _panel_field()
    cetr_override_reason = _override_field()

    def __init__(self, *args, child: Child, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].help_text = "For a Rapid Solutions Group: who chairs the first meeting"
        self._setup(child, None)


# `seen`: the escalation as the page was opened (escalation_seen): a save over a later change is
# refused (409), and a post without it is a form error (nothing saved).


class EscalateForm(_LadderForm):
    seen = _seen_field()
    authorised_by = _authoriser_field("Authorised by")
    reason = text("Why escalate", required=True)

    def __init__(self, *args, child: Child, level: str, **kwargs):
        super().__init__(*args, **kwargs)
        if level == EscalationLevel.ERG:
            self.fields["authorised_by"].label = "Agreed by (a Director)"
            self.fields["chair"] = _chair_field(required=True)
            self.fields["chair"].label = "Chair (a Director)"
        else:
            self.fields["target_panel"] = _panel_field()
            self.fields["target_panel"].required = True
            self.fields["target_panel"].help_text = ""
            self.fields["target_panel"].error_messages["required"] = "Choose the Joint Solutions Panel"
            self.fields["cetr_override_reason"] = _override_field()
        self._setup(child, level)


class MeetingForm(GovUKForm):
    seen = _seen_field()
    held_at = DateField(
        label="Date of the meeting", error_messages={"required": "Enter the date of the meeting"}
    )
    held_time = TimeField(label="Time the meeting started", error_messages={"required": "Enter the time"})
    chair = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Chair", error_messages={"required": "Choose who chaired"}
    )
    agencies = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.none(),
        label="Agencies represented",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the agencies represented"},
    )
    attendees = text("Attendees", required=True, help_text="One a line: name, role, agency")
    notes = text("Notes", required=True)
    actions = text("Actions", help_text="Who does what by when")

    def __init__(self, *args, child: Child, chairs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = chairs
        _people(self.fields["chair"])
        self.fields["agencies"].queryset = access.involved_agencies(child=child).order_by("name")

    def when(self) -> dt.datetime | None:
        day, time = self.cleaned_data.get("held_at"), self.cleaned_data.get("held_time")
        if day is None or time is None:
            return None
        return timezone.make_aware(dt.datetime.combine(day, time))


class CETRForm(GovUKForm):
    held_on = DateField(label="Date the review was held", error_messages={"required": "Enter the date"})
    chaired_by = forms.CharField(
        label="Independent chair", max_length=200, error_messages={"required": "Enter the chair's name"}
    )
    recommendations = text("Recommendations", required=True)


class ReportForm(GovUKForm):
    reported_on = DateField(label="Date of the report", error_messages={"required": "Enter the date"})
    progress = text("Progress reported to the partnership", required=True)


class ResolveForm(GovUKForm):
    seen = _seen_field()
    outcome = text("Outcome", required=True)
