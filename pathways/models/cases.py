"""Pathway cases for a child: Continuing Care, Section 117 aftercare, Complex Lives and IFRs.

A PathwayCase holds what every pathway shares (child, kind, lead agency, case worker, status and a
timeline of events); each kind keeps its own details in a one-to-one row. Every write goes through
pathways/services/; the reference data (Decision Support Tool domains and the levels each allows)
and the settings (clocks, review intervals, the DST prompt) are rows, loaded by data migration 0002.
The escalation ladder's models are in pathways/models/escalations.py, which builds on these.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casework.models import Agency, Child, User

TEXT = 5000


def long_text(verbose_name: str, **kwargs) -> models.TextField:
    kwargs.setdefault("blank", True)
    return models.TextField(verbose_name, max_length=TEXT, validators=[MaxLengthValidator(TEXT)], **kwargs)


class PathwaySettings(models.Model):
    """The pathway clocks and prompts of one partnership; the row with no partnership is the default."""

    partnership = models.CharField(
        max_length=200, blank=True, unique=True, help_text="Blank for the default used by every partnership"
    )
    cc_decision_weeks = models.PositiveSmallIntegerField(
        "Continuing Care: weeks from referral to decision", default=6, validators=[MinValueValidator(1)]
    )
    cc_first_review_months = models.PositiveSmallIntegerField(
        "Continuing Care: months from package start to first review",
        default=3,
        validators=[MinValueValidator(1)],
    )
    cc_review_interval_months = models.PositiveSmallIntegerField(
        "Continuing Care: months between later reviews (at most)",
        default=12,
        validators=[MinValueValidator(1)],
    )
    s117_review_interval_months = models.PositiveSmallIntegerField(
        "Section 117: months between reviews", default=12, validators=[MinValueValidator(1)]
    )
    review_reminder_days = models.PositiveSmallIntegerField(
        "Reviews and transition steps: days before to remind", default=28, validators=[MinValueValidator(1)]
    )
    dst_prompt_priority = models.PositiveSmallIntegerField(
        "DST prompt: domains at priority", default=1, help_text="0 turns this part of the prompt off"
    )
    dst_prompt_severe = models.PositiveSmallIntegerField(
        "DST prompt: domains at severe or above", default=1, help_text="0 turns this part of the prompt off"
    )
    dst_prompt_high = models.PositiveSmallIntegerField(
        "DST prompt: domains at high or above", default=3, help_text="0 turns this part of the prompt off"
    )
    ifr_decision_working_days = models.PositiveSmallIntegerField(
        "IFR: working days from submission to decision", default=20, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name_plural = "pathway settings"

    def __str__(self) -> str:
        return f"Pathway settings for {self.partnership or 'every partnership'}"


class Level(models.TextChoices):
    """DST levels of need, lowest first."""

    NONE = "none", "No additional needs"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    SEVERE = "severe", "Severe"
    PRIORITY = "priority", "Priority"


LEVEL_RANK = {value: rank for rank, value in enumerate(Level.values)}


class DSTDomain(models.Model):
    """A care domain of the children's Decision Support Tool and the levels it allows (reference data)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()
    allowed_levels = ArrayField(models.CharField(max_length=10, choices=Level.choices))

    class Meta:
        ordering = ["position"]
        verbose_name = "DST care domain"

    def __str__(self) -> str:
        return self.name

    @property
    def level_choices(self) -> list[tuple[str, str]]:
        return [(value, Level(value).label) for value in Level.values if value in self.allowed_levels]


class CaseKind(models.TextChoices):
    CONTINUING_CARE = "continuing_care", "Continuing Care"
    SECTION_117 = "section_117", "Section 117 aftercare"
    COMPLEX_LIVES = "complex_lives", "Complex Lives"
    IFR = "ifr", "Individual Funding Request"


class Status(models.TextChoices):
    """Every pathway's stages in one list; services.ALLOWED says which belong to which kind."""

    CHECKLIST = "checklist", "Checklist"
    ASSESSMENT = "assessment", "Full assessment"
    RECOMMENDED = "recommended", "Recommendation made"
    DECIDED = "decided", "Decision made"
    PACKAGE = "package", "Package in place"
    AFTERCARE = "aftercare", "Aftercare"
    OPEN = "open", "Open"
    SUBMITTED = "submitted", "Submitted"
    MORE_INFORMATION = "more_information", "More information requested"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    APPEAL = "appeal", "Appeal or review requested"
    ENDED = "ended", "Ended"
    CLOSED = "closed", "Closed"


class PathwayCase(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="pathway_cases")
    kind = models.CharField(max_length=20, choices=CaseKind.choices)
    lead_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="led_pathway_cases")
    case_worker = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices)
    opened_on = models.DateField(default=timezone.localdate)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["child", "kind", "status"], name="pathway_case_child_kind"),
            models.Index(fields=["lead_agency", "status"], name="pathway_case_lead_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.child.full_name}"


class CaseEvent(models.Model):
    """One line of a case's timeline: what happened, when, who, and any status change."""

    case = models.ForeignKey(PathwayCase, on_delete=models.CASCADE, related_name="events")
    what = models.CharField(max_length=200)
    on_date = models.DateField(default=timezone.localdate)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = long_text("note")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="pathway_event_case_at")]

    def __str__(self) -> str:
        return self.what


class Recommendation(models.TextChoices):
    CONTINUING_CARE_NEEDS = "needs", "Has continuing care needs"
    NO_CONTINUING_CARE_NEEDS = "no_needs", "Does not have continuing care needs"


class ContinuingCare(models.Model):
    """seeds/DESIGN: checklist → full assessment (four areas of evidence, DST) → recommendation →
    multi-agency decision → package → reviews. National Framework for Children and Young People's
    Continuing Care (2016)."""

    case = models.OneToOneField(PathwayCase, on_delete=models.CASCADE, related_name="continuing_care")
    referral_received_on = models.DateField(help_text="Starts the clock to the decision")
    decision_due_on = models.DateField()
    checklist_completed_on = models.DateField(null=True, blank=True)
    checklist_full_assessment = models.BooleanField(null=True, blank=True)
    checklist_notes = long_text("checklist notes")
    # The four areas of evidence (the DST is the fourth, in DSTScore).
    preferences = long_text("the child's and family's preferences")
    holistic_assessment = long_text("holistic assessment, including carers")
    professional_reports = long_text("reports and risk assessments from professionals")
    recommendation = models.CharField(max_length=10, choices=Recommendation.choices, blank=True)
    recommendation_reasons = long_text("reasons for the recommendation")
    prompt_suggested_needs = models.BooleanField(
        null=True, blank=True, help_text="What the DST prompt said when recommending"
    )
    override_reason = long_text("why the recommendation differs from the DST prompt")
    recommended_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recommended_on = models.DateField(null=True, blank=True)
    panel_referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Recommendation.choices, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    decision_notes = long_text("decision notes")
    # The funding app is written separately: an optional reference to its package by id, for now.
    funding_package_ref = models.PositiveBigIntegerField("funding package reference", null=True, blank=True)
    package_started_on = models.DateField(null=True, blank=True)
    phb_offered = models.BooleanField("personal health budget offered", null=True, blank=True)
    phb_outcome = long_text("personal health budget outcome")
    adult_team_told_on = models.DateField("adult team told", null=True, blank=True)
    adult_checklist_on = models.DateField("adult NHS CHC checklist done", null=True, blank=True)
    decision_in_principle_on = models.DateField("adult decision in principle", null=True, blank=True)
    adult_package_on = models.DateField("adult package in place", null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["decision_due_on"], name="cc_decision_due")]

    def __str__(self) -> str:
        return f"Continuing Care {self.case_id}"


class DSTScore(models.Model):
    continuing_care = models.ForeignKey(ContinuingCare, on_delete=models.CASCADE, related_name="scores")
    domain = models.ForeignKey(DSTDomain, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=10, choices=Level.choices)
    evidence = long_text("evidence")

    class Meta:
        ordering = ["domain__position"]
        constraints = [
            models.UniqueConstraint(fields=["continuing_care", "domain"], name="dst_score_once_per_domain")
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.get_level_display()}"


class DetentionSection(models.TextChoices):
    S2 = "2", "Section 2 (assessment)"
    S3 = "3", "Section 3 (treatment)"
    S37 = "37", "Section 37 (hospital order)"
    S45A = "45A", "Section 45A (hospital direction)"
    S47 = "47", "Section 47 (transfer from prison)"
    S48 = "48", "Section 48 (urgent transfer from custody)"


# Mental Health Act 1983 s117(1): aftercare follows detention under these sections only.
QUALIFYING_SECTIONS = {"3", "37", "45A", "47", "48"}


class Section117(models.Model):
    case = models.OneToOneField(PathwayCase, on_delete=models.CASCADE, related_name="section_117")
    detention_section = models.CharField(max_length=4, choices=DetentionSection.choices)
    detained_on = models.DateField()
    discharged_on = models.DateField(null=True, blank=True)
    cto_in_force = models.BooleanField("community treatment order in force", default=False)
    responsible_icb = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    responsible_council = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    ordinary_residence = long_text("where the child ordinarily lived before detention")
    plan_needs = long_text("aftercare needs")
    plan_services = long_text("services")
    plan_providers = long_text("who provides them")
    funding_package_ref = models.PositiveBigIntegerField(
        "joint funding package reference", null=True, blank=True
    )
    icb_end_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    icb_end_at = models.DateTimeField(null=True, blank=True)
    council_end_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    council_end_at = models.DateTimeField(null=True, blank=True)
    end_reason = long_text("reason for ending aftercare")

    def __str__(self) -> str:
        return f"Section 117 {self.case_id}"


class CaseReview(models.Model):
    case = models.ForeignKey(PathwayCase, on_delete=models.CASCADE, related_name="reviews")
    held_on = models.DateField()
    notes = long_text("notes")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"Review on {self.held_on}"


class ComplexLives(models.Model):
    case = models.OneToOneField(PathwayCase, on_delete=models.CASCADE, related_name="complex_lives")
    unmet_need = long_text("the unmet health need", blank=False)

    def __str__(self) -> str:
        return f"Complex Lives {self.case_id}"


class MDTMeeting(models.Model):
    """An MDT meeting. Actions are recorded as text here, not in the panels' action log (that log is
    numbered per panel; a Complex Lives MDT is not a panel)."""

    case = models.ForeignKey(PathwayCase, on_delete=models.CASCADE, related_name="mdt_meetings")
    held_on = models.DateField()
    agencies = models.ManyToManyField(Agency, related_name="+", blank=True)
    attendees = long_text("attendees", blank=False)
    unmet_need = long_text("the unmet need discussed", blank=False)
    options = long_text("options considered")
    outcome = long_text("outcome", blank=False)
    actions = long_text("actions (who, what, by when)")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"MDT on {self.held_on}"


class IFRDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    MORE_INFORMATION = "more_information", "More information needed"


class IndividualFundingRequest(models.Model):
    case = models.OneToOneField(PathwayCase, on_delete=models.CASCADE, related_name="ifr")
    treatment = long_text("treatment requested", blank=False)
    exceptionality = long_text("the clinical exceptionality case", blank=False)
    evidence = long_text("evidence")
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    submitted_on = models.DateField()
    decision_due_on = models.DateField()
    decision = models.CharField(max_length=20, choices=IFRDecision.choices, blank=True)
    decision_reasons = long_text("reasons")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_on = models.DateField(null=True, blank=True)
    appeal_reason = long_text("grounds for appeal or review")

    class Meta:
        indexes = [models.Index(fields=["decision_due_on"], name="ifr_decision_due")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="declined") | ~Q(decision_reasons=""), name="ifr_decline_has_reasons"
            )
        ]

    def __str__(self) -> str:
        return f"IFR {self.case_id}"
