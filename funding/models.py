"""Funding packages: what was agreed for a child, who pays which share, and who has approved it.

A package's terms live in versions: a variation is a new version from an effective date, and every
version is kept so two can be compared. Each version has one split line per paying agency; a line
is approved by a finance approver of that agency within their delegated limit.

Sources: seeds 001 (a "funding matrix": costs clearly presented, who pays what); seeds 002 (a
decision records where the costs fall; a tracker of decisions and budgets); seeds 003 (residential
placements of 38 weeks or more need a Care, Education and Treatment Review); seeds 004 (personal
budgets; disagreement resolution between the council and the NHS).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casework.models import Agency, AgencyKind, CetrRecord, Child, ProviderKind, User
from casework.money import MAX_DERIVED_ANNUAL, money_validators, within_bounds
from referrals.models import CostPeriod, Pathway, ShareBasis

__all__ = [
    "CostPeriod",
    "FundingCategory",
    "FundingDispute",
    "FundingPackage",
    "PackageEvent",
    "PackageStatus",
    "PackageVersion",
    "PersonalBudget",
    "Provider",
    "ProviderKind",
    "ShareBasis",
    "ShareLine",
    "ShareStatus",
]


class Provider(models.Model):
    """Who delivers the service. Regulated by Ofsted (children's homes, fostering, schools) or the
    CQC (health and domiciliary care); the reference is the regulator's unique number."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=ProviderKind.choices)
    regulator_reference = models.CharField(
        "Ofsted or CQC reference", max_length=30, blank=True, help_text="For example SC123456 or 1-123456789"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "kind"], name="provider_unique_name_kind"),
        ]

    def __str__(self) -> str:
        return self.name


class FundingCategory(models.TextChoices):
    """The columns of the funding matrix."""

    SOCIAL_CARE = "social_care", "Council social care"
    EDUCATION = "education", "Council education / high needs"
    ICB = "icb", "ICB"
    OTHER = "other", "Other"

    @classmethod
    def for_agency(cls, agency: Agency) -> FundingCategory:
        return {
            AgencyKind.CHILDRENS_SERVICES: cls.SOCIAL_CARE,
            AgencyKind.SEN: cls.EDUCATION,
            AgencyKind.ICB: cls.ICB,
        }.get(agency.kind, cls.OTHER)


class PersonalBudget(models.TextChoices):
    NONE = "", "Neither"
    PERSONAL_HEALTH_BUDGET = "personal_health_budget", "Personal health budget"
    DIRECT_PAYMENT = "direct_payment", "Direct payment"


class PackageStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    AGREED = "agreed", "Agreed"
    DISPUTED = "disputed", "Disputed"
    ENDED = "ended", "Ended"


class FundingPackage(models.Model):
    """A child's funded package: from a signed panel decision, or recorded for an arrangement that
    already existed before the panel ran here (decision is then empty)."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="funding_packages")
    decision = models.OneToOneField(
        "panels.Decision", on_delete=models.PROTECT, null=True, blank=True, related_name="funding_package"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="funding_packages"
    )
    # The deciding panel, copied from the decision so access and commitments need no agenda joins.
    panel = models.ForeignKey(
        "panels.Panel", on_delete=models.PROTECT, null=True, blank=True, related_name="funding_packages"
    )
    pathway = models.CharField(max_length=30, choices=Pathway.choices)
    status = models.CharField(
        max_length=20, choices=PackageStatus.choices, default=PackageStatus.AWAITING_APPROVAL
    )
    version_number = models.PositiveIntegerField(
        default=1, help_text="The current version; an action on an older one is refused"
    )
    current_version = models.OneToOneField(
        "PackageVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # seeds 003: a residential placement of 38 weeks or more needs a recorded Care, Education and
    # Treatment Review and the agencies' agreement before the package is agreed.
    cetr_completed_on = models.DateField("CETR completed on", null=True, blank=True)
    multi_agency_agreed = models.BooleanField(default=False)
    cetr_recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The child's CETR (or a named senior person's override of it) the panel's decision rested on.
    cetr_record = models.ForeignKey(
        CetrRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    agreed_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    ended_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="package_status_created"),
            models.Index(fields=["child"], name="package_child"),
            models.Index(fields=["panel", "status"], name="package_panel_status"),
            models.Index(fields=["pathway"], name="package_pathway"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ended") | (Q(ended_on__isnull=False) & ~Q(end_reason="")),
                name="package_ended_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Funding package {self.pk}"

    @property
    def is_ended(self) -> bool:
        return self.status == PackageStatus.ENDED


class PackageVersion(models.Model):
    """One version of a package's terms, in force from `effective_from` until the next version's."""

    package = models.ForeignKey(FundingPackage, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    effective_from = models.DateField()
    change_reason = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    backdating_reason = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="package_versions")
    service_description = models.TextField(max_length=5000, validators=[MaxLengthValidator(5000)])
    weeks_per_year = models.PositiveSmallIntegerField(
        choices=[(38, "38 weeks"), (52, "52 weeks")], default=52
    )
    cost = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01")), *money_validators()]
    )
    cost_period = models.CharField(max_length=20, choices=CostPeriod.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    review_date = models.DateField(null=True, blank=True)
    personal_budget = models.CharField(
        max_length=30, choices=PersonalBudget.choices, default=PersonalBudget.NONE, blank=True
    )

    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["package", "number"]
        # The reminder sweep: reviews due in a window (bench/reminders.py).
        indexes = [models.Index(fields=["review_date"], name="packageversion_review_date")]
        constraints = [
            models.UniqueConstraint(fields=["package", "number"], name="packageversion_number_once"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="packageversion_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(cost__gt=0), name="packageversion_cost_positive"),
            models.CheckConstraint(condition=within_bounds("cost"), name="packageversion_cost_within_bounds"),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} from {self.effective_from:%-d %B %Y}"

    @property
    def needs_cetr(self) -> bool:
        """seeds 003: residential placements of 38 weeks or more need a CETR."""
        return self.provider.kind == ProviderKind.RESIDENTIAL and self.weeks_per_year >= 38


class ShareStatus(models.TextChoices):
    AWAITING = "awaiting", "Awaiting approval"
    QUERIED = "queried", "Queried"
    APPROVED = "approved", "Approved"
    DISPUTED = "disputed", "Disputed"


class ShareLine(models.Model):
    """One agency's part of a version's cost: a percentage or a fixed amount, with the amount per
    period it comes to (to the penny; the lines add up to the cost exactly)."""

    version = models.ForeignKey(PackageVersion, on_delete=models.CASCADE, related_name="shares")
    # Copied from the version so the work tray and commitments filter without a join.
    package = models.ForeignKey(FundingPackage, on_delete=models.CASCADE, related_name="share_lines")
    position = models.PositiveSmallIntegerField(default=1)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="funding_shares")
    category = models.CharField(max_length=20, choices=FundingCategory.choices)
    basis = models.CharField(max_length=12, choices=ShareBasis.choices)
    value = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0")), *money_validators()]
    )
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), *money_validators()],
        help_text="Pounds and pence per period",
    )
    annual_amount = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="A year's worth (or the one-off amount): the limit test"
    )
    status = models.CharField(max_length=20, choices=ShareStatus.choices, default=ShareStatus.AWAITING)
    # The approver the scheme of delegation routes this share to (lowest limit that covers it).
    routed_to = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # An unchanged share keeps its approval across a variation: the line it was carried from.
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    query_text = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    query_answer = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    dispute_reason = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    awaiting_since = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["agency", "status", "awaiting_since"], name="shareline_tray"),
            models.Index(fields=["package", "version"], name="shareline_package"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["version", "agency"], name="shareline_one_per_agency"),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="shareline_approved_has_approver",
            ),
            models.CheckConstraint(condition=within_bounds("value"), name="shareline_value_within_bounds"),
            models.CheckConstraint(condition=within_bounds("amount"), name="shareline_amount_within_bounds"),
            models.CheckConstraint(
                condition=within_bounds("annual_amount", most=MAX_DERIVED_ANNUAL),
                name="shareline_annual_within_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: £{self.amount}"


class FundingDispute(models.Model):
    """An agency disputes its share: recorded and put to the deciding panel's next meeting
    (seeds 004: disagreement resolution between the council and the NHS)."""

    package = models.ForeignKey(FundingPackage, on_delete=models.CASCADE, related_name="disputes")
    share = models.ForeignKey(ShareLine, on_delete=models.PROTECT, related_name="disputes")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=5000, validators=[MaxLengthValidator(5000)])
    raised_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    agenda_item = models.ForeignKey(
        "panels.AgendaItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    not_listed_reason = models.CharField(
        max_length=300, blank=True, help_text="Why it could not be put on an agenda (no meeting scheduled)"
    )

    class Meta:
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return f"Dispute by {self.agency}"


class PackageEvent(models.Model):
    """The package's history as people read it (the audit trail has the field-level detail)."""

    package = models.ForeignKey(FundingPackage, on_delete=models.CASCADE, related_name="events")
    version_number = models.PositiveIntegerField()
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=40)
    text = models.TextField(blank=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["package", "at"], name="packageevent_package_at")]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"
