"""Starting a referral, its details (pathway, new or review, urgency), and the form's sections
(seeds 002, Joint Solutions Panel request form)."""

from __future__ import annotations

from django import forms

from casework.forms import GovUKForm, Reveals
from referrals.forms.fields import (
    NeededCharField,
    NeededChoiceField,
    NeededModelChoiceField,
    NeededYesNoField,
    _text,
)
from referrals.models import (
    Pathway,
    Referral,
    RequestType,
    SchoolType,
    Urgency,
)

# --- Starting a referral and its details ---------------------------------------------------------


PATHWAY_HINT = "The route the request takes: a joint package, a Continuing Care assessment, and so on"


class ReferralDetailsForm(GovUKForm):
    """Pathway, new or review, urgency: the head of the referral (the service's "details" section)."""

    pathway = forms.ChoiceField(
        label="Pathway",
        choices=Pathway.choices,
        widget=forms.RadioSelect,
        help_text=PATHWAY_HINT,
        error_messages={"required": "Choose the pathway"},
    )
    request_type = forms.ChoiceField(
        label="Is this a new request or a review?",
        choices=[
            (RequestType.NEW, "A new request"),
            (RequestType.REVIEW, "A review of an earlier referral's funding"),
        ],
        widget=forms.RadioSelect,
        initial=RequestType.NEW,
        error_messages={"required": "Say whether this is a new request or a review"},
    )
    review_of = NeededModelChoiceField(
        label="Earlier referral being reviewed",
        queryset=Referral.objects.none(),
        empty_label="Choose the earlier referral",
    )
    urgency = forms.ChoiceField(
        label="How urgent is it?",
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        initial=Urgency.ROUTINE,
        help_text="An emergency is brought to the panel chair's attention as soon as it is submitted",
        error_messages={"required": "Choose how urgent the referral is"},
    )

    def __init__(self, *args, earlier_referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review_of"].queryset = earlier_referrals
        self.fields["review_of"].label_from_instance = _referral_label
        # The earlier referral is asked under "A review" (a conditional reveal), when the child has
        # one this person can see; otherwise the page leaves it out (templates/referrals/start.html).
        if earlier_referrals.exists():
            self.reveals = {"request_type": {RequestType.REVIEW: ("review_of",)}}

    def clean(self):
        data = super().clean()
        if data.get("request_type") == RequestType.REVIEW and not data.get("review_of"):
            self.add_error("review_of", "Choose the earlier referral whose funding this reviews")
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if data["request_type"] == RequestType.NEW:
            data["review_of"] = None
        return data


def _referral_label(referral: Referral) -> str:
    return (
        f"{referral.panel.name}, started {referral.created_at:%-d %B %Y} "
        f"({referral.get_status_display().lower()})"
    )


class StartReferralForm(ReferralDetailsForm):
    panel = forms.ModelChoiceField(
        label="Panel",
        queryset=None,
        empty_label="Choose a panel",
        error_messages={"required": "Choose the panel the referral is for"},
    )

    field_order = ["panel", "pathway", "request_type", "review_of", "urgency"]

    def __init__(self, *args, panels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = panels


# --- The form's sections (seeds 002, Joint Solutions Panel request form) -----------------------


# Section 5's follow-ups (seeds 002: "If yes: has the child got an EHC plan? If yes, has this
# proposal been discussed with the SEN team? SEN team comments"), each under the answer that asks it.
EDUCATION_REVEALS: Reveals = {
    "education_change": {"True": ("education_has_ehc_plan",)},
    "education_has_ehc_plan": {"True": ("education_discussed_with_sen",)},
    "education_discussed_with_sen": {"True": ("education_sen_comments",)},
}


def _section_fields(*, looked_after: bool) -> dict[str, dict[str, forms.Field]]:
    return {
        "referrer": {
            "referrer_relationship": NeededCharField(
                label="Your relationship to the child",
                max_length=200,
                help_text="For example, allocated social worker",
            ),
        },
        "needs": {"assessed_needs": _text("Brief summary of assessed needs")},
        "support": {
            "current_support": _text(
                "Are there currently any support services or interventions in place?",
                help_text="Say what they are, who provides them and how often",
            )
        },
        "iro": {
            "iro_comments": _text(
                "The Independent Reviewing Officer's comments about the proposed plan",
                help_text=(
                    "Needed because the child is looked after"
                    if looked_after
                    else "Only needed if the child is looked after"
                ),
                needed=looked_after,
            )
        },
        "permanency": {"permanency_plan": _text("What is the permanency plan for the child?")},
        "education": {
            "education_change": NeededYesNoField(
                label=(
                    "Might this request involve a change of school placement or affect the "
                    "child's education in any way?"
                ),
            ),
            "education_has_ehc_plan": NeededYesNoField(
                label="Has the child got an education, health and care (EHC) plan?",
            ),
            "education_discussed_with_sen": NeededYesNoField(
                label="Has this proposal been discussed with the SEN team?",
                help_text="You should have this discussion before the panel wherever possible",
            ),
            "education_sen_comments": _text(
                "The SEN team's comments",
                help_text="Include possible funding issues and whether the proposed placement is appropriate",
            ),
            "education_current_school": NeededCharField(
                label="Name of current school",
                max_length=200,
                help_text="Or write 'not in school'",
            ),
            "education_school_type": NeededChoiceField(
                label="Is the school mainstream, special or other?",
                choices=SchoolType.choices,
                widget=forms.RadioSelect,
            ),
        },
        "elsewhere": {
            "considered_elsewhere": _text("Has funding, support or intervention been considered elsewhere?")
        },
        "child_voice": {
            "child_voice": _text(
                "The child or young person's voice",
                help_text="Their wishes and feelings, in their words where you can",
            )
        },
        "parents_voice": {"parents_voice": _text("The parents' and carers' voice")},
        "reason": {
            "reason_for_referral": _text("Reason for referral to the panel"),
            "summary_of_circumstances": _text(
                "Summary of the circumstances which warrant the referral",
                help_text="Include the need identified and why a local response is not enough",
            ),
        },
    }


def section_labels(*, looked_after: bool) -> dict[str, str]:
    """Each section field's question, for the referral's summary page."""
    return {
        name: str(form_field.label)
        for fields in _section_fields(looked_after=looked_after).values()
        for name, form_field in fields.items()
    }


class SectionForm(GovUKForm):
    """One section of the referral form. Built for a section key from services.SECTIONS."""

    def __init__(self, *args, section: str, looked_after: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.section = section
        self.fields.update(_section_fields(looked_after=looked_after)[section])
        if section == "education":
            self.reveals = EDUCATION_REVEALS
