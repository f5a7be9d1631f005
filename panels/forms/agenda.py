"""Forms for building a meeting's agenda and circulating its papers.

Each carries the meeting's version (hidden), so a change made from a stale page is refused (409).
Forms only parse input; the rules live in panels.services.agenda.
"""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from casework.forms import GovUKForm, VersionField
from panels.models import Membership

__all__ = [
    "AgendaAddReferralForm",
    "AgendaLeadForm",
    "AgendaMoveForm",
    "AgendaOtherBusinessForm",
    "AgendaVersionForm",
    "AgendaWithdrawForm",
]


class AgendaVersionForm(GovUKForm):
    version = VersionField()


class _LeadChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.person.full_name or obj.person.email} ({obj.get_role_display()}, {obj.agency.name})"


def _lead_field(required: bool = False) -> _LeadChoiceField:
    return _LeadChoiceField(
        label="Lead member",
        queryset=Membership.objects.none(),
        required=required,
        empty_label="No lead member yet",
        help_text="The member who presents the item keeps its papers after the meeting",
    )


class AgendaAddReferralForm(AgendaVersionForm):
    referral = forms.TypedChoiceField(
        label="Referral", coerce=int, error_messages={"required": "Choose a referral to add"}
    )
    lead_member = _lead_field()

    def __init__(self, *args, referrals, leads: QuerySet[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].choices = [("", "Choose a referral")] + [
            (r.pk, f"{r.child.initials}: {r.get_pathway_display()} ({r.get_status_display().lower()})")
            for r in referrals
        ]
        self.fields["lead_member"].queryset = leads


class AgendaOtherBusinessForm(AgendaVersionForm):
    title = forms.CharField(
        label="Title",
        max_length=300,
        error_messages={"required": "Enter a title for the item"},
        help_text="Do not include a child's name",
    )
    description = forms.CharField(
        label="Details", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AgendaMoveForm(AgendaVersionForm):
    direction = forms.ChoiceField(
        choices=[("up", "Up"), ("down", "Down")],
        error_messages={
            "required": "Choose whether to move the item up or down",
            "invalid_choice": "Choose whether to move the item up or down",
        },
    )


class AgendaWithdrawForm(AgendaVersionForm):
    reason = forms.CharField(
        label="Why is this item withdrawn?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the item is withdrawn"},
        help_text="A referral goes back to submitted, for the chair to move or place again",
    )


class AgendaLeadForm(AgendaVersionForm):
    lead_member = _lead_field()

    def __init__(self, *args, leads: QuerySet[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_member"].queryset = leads
