"""Referrals to a joint panel: the form's sections, options and costs, evidence, sign-offs, status.

Source: seeds 002 (Leicester Joint Solutions Panel request form: referrer, 8 numbered sections and
the reason for referral; Leicestershire Joint Funding Panel 3.6: options and their costs; "all
referrals must be approved by a service manager or panel member prior to being submitted").
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casework.cetr import placement_needs_cetr
from casework.models import Agency, Child, ProviderKind, User
from casework.money import (  # CostPeriod and ShareBasis are the money vocabulary, kept importable here
    HOURS_IN_A_WEEK,
    MAX_COST,
    MAX_COST_TEXT,
    AgencyCostLine,
    CostPeriod,
    ShareBasis,
    annual,
    cost_lines,
    money_validators,
    within_bounds,
)


class Pathway(models.TextChoices):
    JOINT_PACKAGE = "joint_package", "Joint package or placement"
    CONTINUING_CARE = "continuing_care", "Continuing Care"
    SECTION_117 = "section_117", "Section 117 aftercare"
    COMPLEX_LIVES = "complex_lives", "Complex Lives"
    IFR = "ifr", "Individual Funding Request"


class RequestType(models.TextChoices):
    NEW = "new", "New request"
    REVIEW = "review", "Review of existing funding"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    EMERGENCY = "emergency", "Emergency"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_TEAM_MANAGER = "awaiting_team_manager", "Awaiting team manager"
    AWAITING_SERVICE_MANAGER = "awaiting_service_manager", "Awaiting service manager"
    READY_TO_SUBMIT = "ready_to_submit", "Ready to submit"
    SUBMITTED = "submitted", "Submitted"
    ON_AGENDA = "on_agenda", "On agenda"
    DECIDED = "decided", "Decided"
    RETURNED = "returned", "Returned for more information"
    DEFERRED = "deferred", "Deferred"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed"


# States in which the referrer may still change the content (a change withdraws signatures).
EDITABLE_STATUSES = {
    Status.DRAFT,
    Status.AWAITING_TEAM_MANAGER,
    Status.AWAITING_SERVICE_MANAGER,
    Status.READY_TO_SUBMIT,
    Status.RETURNED,
}
# The editable states in sign-off: a change to the content there withdraws the signatures and takes
# the referral back to draft (services.transitions._after_content_change); pages warn of it.
SIGN_OFF_STATUSES = {Status.AWAITING_TEAM_MANAGER, Status.AWAITING_SERVICE_MANAGER, Status.READY_TO_SUBMIT}


class SchoolType(models.TextChoices):
    MAINSTREAM = "mainstream", "Mainstream"
    SPECIAL = "special", "Special"
    OTHER = "other", "Other"


class Referral(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="referrals")
    # By name, not import: panels sit above referrals (docs/adr/0011-layers.md).
    panel = models.ForeignKey("panels.Panel", on_delete=models.PROTECT, related_name="referrals")
    meeting = models.ForeignKey(
        "panels.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    pathway = models.CharField(max_length=30, choices=Pathway.choices)
    request_type = models.CharField(max_length=10, choices=RequestType.choices, default=RequestType.NEW)
    review_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
        help_text="For a review: the earlier referral whose decision set up the funding",
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)

    referrer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="referrals_made")
    referrer_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals_made")
    referrer_relationship = models.CharField("relationship to the child", max_length=200, blank=True)

    # The form's numbered sections (seeds 002).
    assessed_needs = models.TextField(
        "1. Brief summary of assessed needs",
        blank=True,
        max_length=10000,
        validators=[MaxLengthValidator(10000)],
    )
    current_support = models.TextField(
        "2. Support services or interventions in place", blank=True, max_length=10000
    )
    iro_comments = models.TextField(
        "3. IRO comments on the proposed plan",
        blank=True,
        max_length=10000,
        validators=[MaxLengthValidator(10000)],
    )
    permanency_plan = models.TextField(
        "4. Permanency plan", blank=True, max_length=10000, validators=[MaxLengthValidator(10000)]
    )
    education_change = models.BooleanField(
        "5. Might this change the school placement or affect the child's education?", null=True, blank=True
    )
    education_has_ehc_plan = models.BooleanField("Has the child got an EHC plan?", null=True, blank=True)
    education_discussed_with_sen = models.BooleanField("Discussed with the SEN team?", null=True, blank=True)
    education_sen_comments = models.TextField(
        "SEN team comments", blank=True, max_length=10000, validators=[MaxLengthValidator(10000)]
    )
    education_current_school = models.CharField("Current school", max_length=200, blank=True)
    education_school_type = models.CharField(
        "Type of school", max_length=20, choices=SchoolType.choices, blank=True
    )
    considered_elsewhere = models.TextField(
        "6. Has funding, support or intervention been considered elsewhere?", blank=True, max_length=10000
    )
    child_voice = models.TextField(
        "7. The child's voice: wishes and feelings",
        blank=True,
        max_length=10000,
        validators=[MaxLengthValidator(10000)],
    )
    parents_voice = models.TextField(
        "8. Parents' and carers' views", blank=True, max_length=10000, validators=[MaxLengthValidator(10000)]
    )
    reason_for_referral = models.TextField(
        "Reason for referral", blank=True, max_length=10000, validators=[MaxLengthValidator(10000)]
    )
    summary_of_circumstances = models.TextField(
        "Summary of circumstances", blank=True, max_length=10000, validators=[MaxLengthValidator(10000)]
    )

    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    is_late_paper = models.BooleanField(default=False)
    late_accepted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_reason = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["referrer", "status"], name="referral_referrer_status"),
            models.Index(fields=["status", "panel"], name="referral_status_panel"),
            models.Index(fields=["panel", "meeting", "status"], name="referral_panel_meeting"),
            models.Index(fields=["child", "-created_at"], name="referral_child_created"),
            models.Index(fields=["pathway"], name="referral_pathway"),
            models.Index(fields=["urgency"], name="referral_urgency"),
            models.Index(fields=["referrer_agency", "status"], name="referral_agency_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(request_type="new", review_of__isnull=True) | Q(request_type="review"),
                name="referral_review_link_only_for_reviews",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} for {self.child.initials} to {self.panel.name}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_in_sign_off(self) -> bool:
        """A change now would withdraw its signatures and take it back to draft."""
        return self.status in SIGN_OFF_STATUSES


def check_annual_cost(cost: Decimal | None, period: str, *, field: str) -> None:
    """No option, decision or package costs more than MAX_COST a year (casework/money.py says why)."""
    from django.core.exceptions import ValidationError

    if cost is None or not cost.is_finite() or period not in CostPeriod.values or cost > MAX_COST:
        return  # the field's own validators answer these
    yearly = annual(cost, period)
    if yearly is not None and yearly > MAX_COST:
        raise ValidationError(
            {field: [f"That comes to £{yearly:,.2f} a year, more than {MAX_COST_TEXT}: check the figure"]}
        )


class Option(models.Model):
    """One option in the options appraisal, with its cost and the proposed split between agencies."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(default=1)
    description = models.TextField(max_length=5000, validators=[MaxLengthValidator(5000)])
    provider = models.CharField(max_length=200, blank=True)
    cost = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.00")), *money_validators()]
    )
    period = models.CharField(max_length=20, choices=CostPeriod.choices)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    benefits = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    risks = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    is_recommended = models.BooleanField(default=False)
    # seeds 003 supplementary recommendation 4: a residential placement of 38 weeks or more a year
    # needs a CETR; the package a decision on this option makes carries both.
    provider_kind = models.CharField(
        "kind of service", max_length=30, choices=ProviderKind.choices, default=ProviderKind.UNCONFIRMED
    )
    weeks_per_year = models.PositiveSmallIntegerField(
        "weeks a year", choices=[(38, "38 weeks"), (52, "52 weeks")], default=52
    )
    # Home support priced by the hour (issue 15): with both given, the service works out the weekly
    # cost as hours a week x the hourly rate (casework.money.weekly_from_hours).
    hours_per_week = models.DecimalField(
        "hours a week",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HOURS_IN_A_WEEK)],
    )
    hourly_rate = models.DecimalField(
        "hourly rate",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00")), *money_validators()],
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(is_recommended=True),
                name="option_one_recommended_per_referral",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="option_ends_after_start",
            ),
            models.CheckConstraint(condition=within_bounds("cost"), name="option_cost_within_bounds"),
            models.CheckConstraint(
                condition=Q(hours_per_week__isnull=True, hourly_rate__isnull=True)
                | Q(
                    hours_per_week__gt=0,
                    hours_per_week__lte=HOURS_IN_A_WEEK,
                    hourly_rate__gte=0,
                    hourly_rate__lte=MAX_COST,
                ),
                name="option_hours_and_rate_together",
            ),
        ]

    def __str__(self) -> str:
        return f"Option {self.position}: {self.description[:40]}"

    def clean(self) -> None:
        super().clean()
        check_annual_cost(self.cost, self.period, field="cost")

    @property
    def needs_cetr(self) -> bool:
        """seeds 003 supplementary recommendation 4: residential, 38 weeks a year or more."""
        return placement_needs_cetr(kind=self.provider_kind, weeks=self.weeks_per_year)

    def cost_lines(self) -> list[AgencyCostLine]:
        """The cost per agency, weekly and annual side by side (casework.money.cost_lines). Needs
        shares (with agency) prefetched to cost no queries."""
        shares = [(share.agency.name, share.value) for share in self.shares.all()]
        return cost_lines(
            cost=self.cost, period=self.period, shares=shares, weeks_per_year=self.weeks_per_year
        )


class OptionShare(models.Model):
    """One agency's proposed part of an option's cost: a percentage or an amount per period."""

    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="shares")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=12, choices=ShareBasis.choices)
    value = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.00")), *money_validators()]
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["option", "agency"], name="share_one_per_agency"),
            models.CheckConstraint(condition=within_bounds("value"), name="optionshare_value_within_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.value} ({self.basis})"


class Evidence(models.Model):
    """An uploaded document. Stored outside anything served; downloaded only through the access check."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="evidence")
    title = models.CharField(max_length=200, blank=True)
    original_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=100, unique=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.title or self.original_name


class SignOffStage(models.TextChoices):
    TEAM_MANAGER = "team_manager", "Team manager"
    SERVICE_MANAGER = "service_manager", "Service manager"


class SignOffDecision(models.TextChoices):
    SIGNED = "signed", "Signed"
    RETURNED = "returned", "Returned with comments"


class SignOff(models.Model):
    """A signature (or a return) tied to the exact content it covered (content_hash)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="sign_offs")
    stage = models.CharField(max_length=20, choices=SignOffStage.choices)
    decision = models.CharField(max_length=10, choices=SignOffDecision.choices)
    signer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    comments = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    content_hash = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "stage"], name="signoff_referral_stage")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.get_decision_display().lower()} by {self.signer}"


class StatusChange(models.Model):
    """Append-only history of a referral's status, shown as its timeline."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(max_length=30, choices=Status.choices, blank=True)
    new_status = models.CharField(max_length=30, choices=Status.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "at"], name="statuschange_referral_at")]

    def __str__(self) -> str:
        return f"{self.old_status or 'new'} → {self.new_status}"


class ReferralPaper(models.Model):
    """The referral's paper for the panel (every section, the options and costs per agency, the
    sign-offs and the evidence list), rendered once for each content it has had and stored
    privately, without page furniture: packs and downloads stamp the marking and page numbers."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="papers")
    content_hash = models.CharField(max_length=64)
    pdf_name = models.CharField(max_length=100)
    pdf_sha256 = models.CharField(max_length=64)
    page_count = models.PositiveIntegerField()
    rendered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-rendered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "content_hash"], name="paper_once_per_content")
        ]

    def __str__(self) -> str:
        return f"Paper for referral {self.referral_id} ({self.content_hash[:8]})"
