"""What a panel decided on an agenda item, and what it could only recommend to an absent agency.

Sources: seeds 002 (Joint Funding Panel terms of reference: a decision records the recommended
course accepted or the preferred option, the lead agency and key worker, where the costs fall and a
review date; "no decision will be made that impacts on an agency that is not present" — the
absent agency answers a recommendation within 3 working days).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casework.models import Agency
from casework.money import money_validators, within_bounds
from panels.models.agenda import AgendaItem


class Outcome(models.TextChoices):
    AGREED_AS_RECOMMENDED = "agreed_as_recommended", "Agreed as recommended"
    AGREED_PREFERRED_OPTION = "agreed_preferred_option", "Agreed preferred option"
    AGREED_WITH_CONDITIONS = "agreed_with_conditions", "Agreed with conditions"
    DEFERRED = "deferred", "Deferred"
    DECLINED = "declined", "Declined with reasons"
    RETURNED = "returned", "Returned for more information"
    ESCALATED = "escalated", "Escalated"


# Outcomes that commit money and so say where the costs fall.
AGREED_OUTCOMES = (
    Outcome.AGREED_AS_RECOMMENDED,
    Outcome.AGREED_PREFERRED_OPTION,
    Outcome.AGREED_WITH_CONDITIONS,
)


class DecisionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed by the chair"
    SUPERSEDED = "superseded", "Superseded by a correction"


class Decision(models.Model):
    """One version of the decision on an agenda item. Signed versions are locked; a correction is a
    new version with a reason, and the old one is marked superseded."""

    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="decisions")
    # Copied from the item so the tracker can list a referral's decisions without the agenda join.
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    version = models.PositiveSmallIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    correction_reason = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    status = models.CharField(max_length=20, choices=DecisionStatus.choices, default=DecisionStatus.DRAFT)

    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    option = models.ForeignKey(
        "referrals.Option",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        help_text="The option agreed (recommended or preferred)",
    )
    rationale = models.TextField(max_length=10000, validators=[MaxLengthValidator(10000)])
    conditions = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    lead_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    key_worker = models.ForeignKey(
        "casework.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What is agreed: the cost per period and its dates (from the option, or as the panel agreed it).
    cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00")), *money_validators()],
    )
    cost_period = models.CharField(max_length=20, blank=True)  # referrals.models.CostPeriod
    # A weekly price counts the placement's weeks a year (38 term-time, 52): copied from the agreed
    # option, as the package copies it, so the tracker, letters, minutes and the API work out the
    # same annual figure as the paper (casework.money, docs/adr/0012-money.md).
    weeks_per_year = models.PositiveSmallIntegerField(
        "weeks a year", choices=[(38, "38 weeks"), (52, "52 weeks")], default=52
    )
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    review_date = models.DateField(null=True, blank=True)
    # The quorum as it stood when the decision was recorded, for the minutes and the audit.
    was_quorate = models.BooleanField(default=False)

    recorded_by = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    signed_by = models.ForeignKey(
        "casework.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agenda_item", "-version"]
        indexes = [
            models.Index(fields=["referral", "status"], name="decision_referral_status"),
            models.Index(fields=["status", "review_date"], name="decision_status_review"),
            models.Index(fields=["outcome"], name="decision_outcome"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["agenda_item", "version"], name="decision_version_once"),
            models.UniqueConstraint(
                fields=["agenda_item"],
                condition=~Q(status="superseded"),
                name="decision_one_current_per_item",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="decision_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(signed_by__isnull=False, signed_at__isnull=False),
                name="decision_signed_has_signer",
            ),
            models.CheckConstraint(condition=within_bounds("cost"), name="decision_cost_within_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} (version {self.version})"

    def clean(self) -> None:
        from referrals.models import check_annual_cost  # referrals' models import panels' models

        super().clean()
        check_annual_cost(self.cost, self.cost_period, field="cost")

    @property
    def is_locked(self) -> bool:
        return self.status != DecisionStatus.DRAFT

    @property
    def shares_with_recommendations(self) -> list[tuple[DecisionShare, AgencyRecommendation | None]]:
        """Each share with the recommendation to its agency when that agency was absent (reads the
        prefetched shares and recommendations when the selector prefetched them)."""
        by_agency = {r.agency_id: r for r in self.recommendations.all()}
        return [(share, by_agency.get(share.agency_id)) for share in self.shares.all()]


class DecisionShare(models.Model):
    """Where the costs fall: one agency's part of the agreed cost, per period. Amounts across a
    decision's shares add up to its cost exactly (casework.money.allocate)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="shares")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=12)  # referrals.models.ShareBasis
    value = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.00")), *money_validators()]
    )
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00")), *money_validators()],
        help_text="Pounds and pence per period",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["agency", "decision"], name="decisionshare_agency")]
        constraints = [
            models.UniqueConstraint(fields=["decision", "agency"], name="decisionshare_one_per_agency"),
            models.CheckConstraint(
                condition=within_bounds("value"), name="decisionshare_value_within_bounds"
            ),
            models.CheckConstraint(
                condition=within_bounds("amount"), name="decisionshare_amount_within_bounds"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: £{self.amount}"


class RecommendationStatus(models.TextChoices):
    AWAITING = "awaiting", "Awaiting response"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class AgencyRecommendation(models.Model):
    """A recommendation to an agency that was not present, which it must answer within N working
    days (the panel's setting; seeds 002: 3)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="recommendations")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="panel_recommendations")
    due_on = models.DateField()
    # Why this part is a recommendation, not a decision: "no member present", "1 of 2 members
    # present, below the quorum", or the whole meeting inquorate (panels.selectors.running.item_standing).
    why = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=20, choices=RecommendationStatus.choices, default=RecommendationStatus.AWAITING
    )
    response_reason = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    responded_by = models.ForeignKey(
        "casework.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    last_chased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["agency", "status", "due_on"], name="recommendation_agency_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["decision", "agency"], name="recommendation_once_per_agency"),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(response_reason=""),
                name="recommendation_decline_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Recommendation to {self.agency}: {self.get_status_display()}"
