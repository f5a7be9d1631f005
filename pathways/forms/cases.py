"""HTML forms for pathway cases. They only parse what was typed; pathways/services/ holds the rules,
and its ValidationErrors go back next to the field (casework.forms.add_service_errors). `text` and
`yes_no` are the escalation forms' fields too."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from casework.forms import DateField, GovUKForm
from casework.models import Agency, User
from casework.stale import NOT_SEEN
from pathways import access, selectors, services
from pathways.models import DetentionSection, DSTDomain, IFRDecision, Recommendation

__all__ = [
    "ChecklistForm",
    "CloseForm",
    "ComplexLivesOpenForm",
    "ContinuingCareOpenForm",
    "DSTForm",
    "DecisionForm",
    "EvidenceForm",
    "IFRAppealForm",
    "IFRDecisionForm",
    "IFRForm",
    "IFRInformationForm",
    "MDTForm",
    "OpenCaseForm",
    "PackageForm",
    "RecommendForm",
    "ReviewForm",
    "S117EndForm",
    "S117PlanForm",
    "Section117OpenForm",
    "TransitionForm",
    "text",
    "yes_no",
]

YES_NO = [("yes", "Yes"), ("no", "No")]


def yes_no(label: str, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect(attrs={"class": "govuk-radios--inline"}),
        error_messages={"required": f"Select yes or no: {label.lower()}"},
        **kwargs,
    )


def text(label: str, *, required: bool = False, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=5000,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": f"Enter {label.lower()}"},
    )


class OpenCaseForm(GovUKForm):
    """Lead agency and case worker: chosen among the agencies involved with the child."""

    lead_agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        label="Lead agency",
        empty_label=None,
        error_messages={
            "required": "Choose the lead agency",
            "invalid_choice": "Choose one of the agencies involved with the child",
        },
    )
    case_worker = forms.ModelChoiceField(queryset=User.objects.none(), label="Case worker", required=False)

    def __init__(self, *args, child, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_agency"].queryset = access.involved_agencies(child=child)
        self.fields["case_worker"].queryset = access.workers_for(child=child)
        self.fields["case_worker"].label_from_instance = lambda u: f"{u.full_name} ({u.agency.name})"


class ContinuingCareOpenForm(OpenCaseForm):
    referral_received_on = DateField(
        label="Date the referral was received",
        help_text="For example, 16/02/2026",
        error_messages={"required": "Enter the date the referral was received"},
    )


class Section117OpenForm(OpenCaseForm):
    detention_section = forms.ChoiceField(
        label="Section the child was detained under",
        choices=DetentionSection.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the section the child was detained under"},
    )
    detained_on = DateField(
        label="Date of detention", error_messages={"required": "Enter the date of detention"}
    )
    discharged_on = DateField(label="Date of discharge", required=False)
    cto_in_force = forms.BooleanField(label="A community treatment order is in force", required=False)
    responsible_icb = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        label="Responsible ICB",
        error_messages={
            "required": "Choose the responsible ICB",
            "invalid_choice": "Choose one of the agencies involved with the child",
        },
    )
    responsible_council = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        label="Responsible council",
        error_messages={
            "required": "Choose the responsible council",
            "invalid_choice": "Choose one of the agencies involved with the child",
        },
    )
    ordinary_residence = text("Where the child ordinarily lived before detention")

    def __init__(self, *args, child, **kwargs):
        super().__init__(*args, child=child, **kwargs)
        involved = access.involved_agencies(child=child)
        self.fields["responsible_icb"].queryset = involved
        self.fields["responsible_council"].queryset = involved


class ComplexLivesOpenForm(OpenCaseForm):
    """The reason field is there only while the child has an open Continuing Care case
    (services.complex_lives_open requires it then)."""

    unmet_need = text(
        "The unmet health need", required=True, help_text="Not covered by Continuing Care, S117 or an IFR"
    )

    def __init__(self, *args, child, **kwargs):
        super().__init__(*args, child=child, **kwargs)
        continuing_care = selectors.open_continuing_care(child=child)
        if continuing_care is not None:
            self.fields["reason"] = text(
                "Why a Complex Lives case is needed as well",
                required=True,
                help_text=f"The child has an open Continuing Care case (case {continuing_care.pk})",
            )
            self.fields["reason"].error_messages["required"] = services.CC_OPEN_REASON_NEEDED


class IFRForm(GovUKForm):
    treatment = text("Treatment requested", required=True)
    exceptionality = text("The clinical exceptionality case", required=True)
    evidence = text("Evidence", help_text="Reports, letters and results the panel should read")


class ChecklistForm(GovUKForm):
    completed_on = DateField(
        label="Date the checklist was completed",
        error_messages={"required": "Enter the date the checklist was completed"},
    )
    full_assessment_needed = yes_no("Does the checklist show a full assessment is needed?")
    notes = text("Notes")


def _seen_field() -> forms.CharField:
    # The saved text's fingerprint when the page was opened: a save over a later one is refused (409);
    # a post without it (an old page, a hand-made post) is a form error and nothing is saved.
    return forms.CharField(
        widget=forms.HiddenInput, max_length=64, error_messages={"required": NOT_SEEN, "max_length": NOT_SEEN}
    )


class EvidenceForm(GovUKForm):
    seen = _seen_field()
    preferences = text("The child's and family's preferences", required=True)
    holistic_assessment = text("Holistic assessment, including carers", required=True)
    professional_reports = text("Reports and risk assessments from professionals", required=True)


class DSTForm(GovUKForm):
    """One level and evidence box per care domain. Levels offered are the domain's allowed ones;
    the service refuses anything else (a hand-edited request)."""

    seen = _seen_field()

    def __init__(self, *args, scores: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.domains = list(DSTDomain.objects.all())
        for domain in self.domains:
            current = scores.get(domain.pk)
            self.fields[f"{domain.code}-level"] = forms.ChoiceField(
                label=domain.name,
                choices=domain.level_choices,
                widget=forms.RadioSelect,
                required=False,
                initial=current.level if current else None,
            )
            self.fields[f"{domain.code}-evidence"] = forms.CharField(
                label=f"Evidence for {domain.name.lower()}",
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 3}),
                initial=current.evidence if current else "",
            )

    def scores(self) -> dict[str, dict[str, str]]:
        return {
            d.code: {
                "level": self.cleaned_data[f"{d.code}-level"],
                "evidence": self.cleaned_data[f"{d.code}-evidence"],
            }
            for d in self.domains
            if self.cleaned_data.get(f"{d.code}-level")
        }

    def service_errors(self, error: ValidationError) -> ValidationError:
        """The DST service's errors, keyed by care domain code, keyed by this form's level fields
        instead (casework.forms.add_service_errors puts any other key above the form)."""
        if not hasattr(error, "error_dict"):
            return error
        return ValidationError({f"{code}-level": messages for code, messages in error.message_dict.items()})


class RecommendForm(GovUKForm):
    recommendation = forms.ChoiceField(
        label="Recommendation",
        choices=Recommendation.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the child has continuing care needs"},
    )
    reasons = text("Reasons for the recommendation", required=True)
    override_reason = text(
        "Reason for recommending otherwise than the DST prompt",
        help_text="Needed only if you go against the prompt",
    )


class DecisionForm(GovUKForm):
    decision = forms.ChoiceField(
        label="Multi-agency decision",
        choices=Recommendation.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the multi-agency decision"},
    )
    decided_on = DateField(
        label="Date of the decision", error_messages={"required": "Enter the date of the decision"}
    )
    panel_referral = forms.ModelChoiceField(
        queryset=None,
        label="Panel referral",
        required=False,
        empty_label="No panel made this decision",
        help_text="If a panel made the decision, the child's referral to it",
        error_messages={"invalid_choice": "Choose one of the child's referrals"},
    )
    notes = text("Notes")

    def __init__(self, *args, referrals, **kwargs):
        """`referrals`: the child's referrals this person can see (selectors.panel_referrals_for_case):
        the referral is chosen from them, never typed as a number."""
        super().__init__(*args, **kwargs)
        field = self.fields["panel_referral"]
        field.queryset = referrals
        field.label_from_instance = lambda r: (
            f"{r.panel.name}, started {r.created_at:%-d %B %Y} ({r.get_status_display().lower()})"
        )


NO_PACKAGE = "No funding package"
KEEP_PACKAGE = "Keep the package already recorded"
NOT_A_PACKAGE_CHOICE = "Choose one of the child's funding packages"


def _package_field(label: str, *, help_text: str) -> forms.TypedChoiceField:
    """A choice of the child's funding packages (filled by _offer_packages), cleaned to the package's
    id (what the services and the API take) or None."""
    return forms.TypedChoiceField(
        label=label,
        required=False,
        coerce=int,
        empty_value=None,
        help_text=help_text,
        error_messages={"invalid_choice": NOT_A_PACKAGE_CHOICE},
    )


def _offer_packages(form: forms.Form, packages, *, keep: int | None = None) -> None:
    """One query: the packages, labelled as a person knows them ("Residential placement, Oak House —
    agreed, from 1 May 2026"). A posted id not among them is refused next to the field."""
    listed = [(p.pk, selectors.package_label(p)) for p in packages]
    if keep and keep not in {pk for pk, _ in listed}:
        listed.append((keep, KEEP_PACKAGE))
    form.fields["funding_package_ref"].choices = [("", NO_PACKAGE), *listed]


class PackageForm(GovUKForm):
    started_on = DateField(
        label="Date the package starts", error_messages={"required": "Enter the date the package starts"}
    )
    funding_package_ref = _package_field("Funding package", help_text="The child's package that pays for it")
    phb_offered = yes_no("Was a personal health budget offered?")
    phb_outcome = text("Personal health budget outcome")

    # The outcome is asked under "Yes" (a conditional reveal): no budget offered, no outcome.
    reveals = {"phb_offered": {"yes": ("phb_outcome",)}}

    def __init__(self, *args, packages=(), **kwargs):
        """`packages`: the child's funding packages this person can see
        (selectors.funding_packages_for_case): the package is chosen, never typed as a number. None
        given, none is offered (only "No funding package")."""
        super().__init__(*args, **kwargs)
        _offer_packages(self, packages)


class TransitionForm(GovUKForm):
    step = forms.ChoiceField(
        label="Step",
        choices=list(services.TRANSITION_STEPS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the step"},
    )
    on_date = DateField(label="Date", error_messages={"required": "Enter the date of the step"})


class ReviewForm(GovUKForm):
    held_on = DateField(
        label="Date of the review", error_messages={"required": "Enter the date of the review"}
    )
    notes = text("Notes")


class CloseForm(GovUKForm):
    reason = text("Reason for closing", required=True)


class S117PlanForm(GovUKForm):
    seen = _seen_field()
    discharged_on = DateField(label="Date of discharge", required=False)
    cto_in_force = forms.BooleanField(label="A community treatment order is in force", required=False)
    plan_needs = text("Aftercare needs")
    plan_services = text("Services")
    plan_providers = text("Who provides them")
    funding_package_ref = _package_field(
        "Joint funding package", help_text="The child's package the ICB and the council fund together"
    )

    def __init__(self, *args, packages=(), **kwargs):
        """`packages`: as PackageForm's. A package already recorded that this person cannot see stays
        a choice ("keep"), so saving the plan does not drop it."""
        super().__init__(*args, **kwargs)
        _offer_packages(self, packages, keep=self.initial.get("funding_package_ref"))


class S117EndForm(GovUKForm):
    reason = text("Why aftercare is no longer needed", required=True)


class MDTForm(GovUKForm):
    held_on = DateField(
        label="Date of the meeting", error_messages={"required": "Enter the date of the meeting"}
    )
    agencies = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.none(),
        label="Agencies that attended",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select the agencies that attended",
            "invalid_choice": "Select agencies involved with the child",
        },
    )
    attendees = text("Attendees", required=True, help_text="One a line: name, role, agency")
    unmet_need = text("The unmet need discussed", required=True)
    options = text("Options considered")
    outcome = text("Outcome", required=True)
    actions = text("Actions", help_text="Who does what by when (recorded as text)")

    def __init__(self, *args, child, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = access.involved_agencies(child=child)


def _ifr_reasons(answer: IFRDecision, label: str) -> forms.CharField:
    """The reasons asked under one decision: required, with the service's words, where the service
    needs them (services.IFR_REASONS_NEEDED)."""
    needed = services.IFR_REASONS_NEEDED.get(answer)
    field = text(label, required=needed is not None)
    if needed is not None:
        field.error_messages["required"] = needed
    return field


class IFRDecisionForm(GovUKForm):
    """The decision with its reasons asked under it (conditional reveals), worded for each answer;
    `reasons_given()` is the chosen answer's, what the service is given as `reasons`."""

    decision = forms.ChoiceField(
        label="The IFR panel's decision",
        choices=IFRDecision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the IFR panel's decision"},
    )
    approved_reasons = _ifr_reasons(IFRDecision.APPROVED, "Reasons for the approval")
    reasons = _ifr_reasons(IFRDecision.DECLINED, "Reasons the request was declined")
    information_needed = _ifr_reasons(IFRDecision.MORE_INFORMATION, "The information the panel needs")

    REASONS_FIELDS = {
        IFRDecision.APPROVED: "approved_reasons",
        IFRDecision.DECLINED: "reasons",
        IFRDecision.MORE_INFORMATION: "information_needed",
    }
    reveals = {"decision": {str(answer): (name,) for answer, name in REASONS_FIELDS.items()}}

    def reasons_given(self) -> str:
        return self.cleaned_data[self.REASONS_FIELDS[IFRDecision(self.cleaned_data["decision"])]]


class IFRInformationForm(GovUKForm):
    information = text("More information for the panel", required=True)


class IFRAppealForm(GovUKForm):
    reason = text("Grounds for appeal or review", required=True)
