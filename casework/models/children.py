"""Children, their parents and carers, the agencies involved with them, and who else may see them:
individual grants, and other agencies' requests to become involved."""

from __future__ import annotations

import datetime as dt

from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Upper
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from casework.models.agencies import Agency, Team
from casework.models.people import User
from casework.nhs import validate_nhs_number


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    NOT_KNOWN = "not_known", "Not known or prefers not to say"


class LegalStatus(models.TextChoices):
    CARE_ORDER = "care_order_s31", "Care order (section 31)"
    ACCOMMODATED = "accommodated_s20", "Accommodated (section 20)"
    CHILD_PROTECTION = "child_protection_plan", "Child protection plan"
    CHILD_IN_NEED = "child_in_need", "Child in need"
    NONE = "none", "None"
    OTHER = "other", "Other"


LOOKED_AFTER_STATUSES = {LegalStatus.CARE_ORDER, LegalStatus.ACCOMMODATED}


class SchoolType(models.TextChoices):
    MAINSTREAM = "mainstream", "Mainstream"
    SPECIAL = "special", "Special"
    ALTERNATIVE = "alternative", "Alternative provision"
    NONE = "none", "Not in school"


class DSRRating(models.TextChoices):
    """NHS England Dynamic Support Register risk rating."""

    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    BLUE = "blue", "Blue"


class SharingBasis(models.TextChoices):
    CONSENT = "consent", "Consent of the child or those with parental responsibility"
    STATUTORY = "statutory", "Statutory duty (Children Act 1989, Children and Families Act 2014)"
    SAFEGUARDING = "safeguarding", "Safeguarding (Working Together to Safeguard Children)"
    PUBLIC_TASK = "public_task", "Public task"
    OTHER = "other", "Other (explain)"


def _prefix_upper(field: str) -> OpClass:
    return OpClass(Upper(Cast(field, models.TextField())), name="text_pattern_ops")


class Child(models.Model):
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    nhs_number = models.CharField(
        "NHS number", max_length=10, null=True, blank=True, unique=True, validators=[validate_nhs_number]
    )
    case_number = models.CharField("council case number", max_length=30, blank=True)
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    legal_status = models.CharField(max_length=30, choices=LegalStatus.choices, default=LegalStatus.NONE)
    has_ehc_plan = models.BooleanField("has an EHC plan", default=False)
    ehc_plan_date = models.DateField("EHC plan date", null=True, blank=True)
    school_name = models.CharField(max_length=200, blank=True)
    school_type = models.CharField(max_length=20, choices=SchoolType.choices, blank=True)
    learning_disability = models.BooleanField(default=False)
    autism = models.BooleanField(default=False)
    mental_health_needs = models.BooleanField(default=False)
    dsr_rating = models.CharField(
        "Dynamic Support Register rating", max_length=10, choices=DSRRating.choices, blank=True
    )
    allocated_social_worker = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="allocated_children"
    )
    allocated_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    iro_name = models.CharField("Independent Reviewing Officer", max_length=200, blank=True)
    iro_email = models.EmailField("IRO e-mail", blank=True)
    sharing_basis = models.CharField(
        "information-sharing basis",
        max_length=20,
        choices=SharingBasis.choices,
        default=SharingBasis.STATUTORY,
    )
    sharing_notes = models.TextField("information-sharing notes", blank=True, max_length=2000)
    owning_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="owned_children",
        help_text="The agency that registered the child",
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        verbose_name_plural = "children"
        # Search matches names by prefix, case-insensitively (`__istartswith` is UPPER(x::text) LIKE
        # 'ABC%' on PostgreSQL); these expression indexes with text_pattern_ops serve exactly that.
        indexes = [
            models.Index(_prefix_upper("family_name"), name="child_family_prefix"),
            models.Index(_prefix_upper("given_name"), name="child_given_prefix"),
            models.Index(_prefix_upper("preferred_name"), name="child_preferred_prefix"),
            models.Index(Upper(Cast("case_number", models.TextField())), name="child_case_number_upper"),
            models.Index(fields=["date_of_birth"], name="child_dob"),
            models.Index(fields=["family_name", "given_name", "id"], name="child_list_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(nhs_number=""), name="child_nhs_number_null_not_blank"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def initials(self) -> str:
        return f"{self.given_name[:1]}{self.family_name[:1]}".upper()

    @property
    def is_looked_after(self) -> bool:
        return self.legal_status in LOOKED_AFTER_STATUSES

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def nhs_number_display(self) -> str:
        n = self.nhs_number or ""
        return f"{n[:3]} {n[3:6]} {n[6:]}" if len(n) == 10 else ""


class ParentCarer(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="parents_carers")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=100, help_text="For example mother, foster carer, grandparent")
    parental_responsibility = models.BooleanField(default=False)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"


class InvolvementRole(models.TextChoices):
    LEAD = "lead", "Lead agency"
    SOCIAL_CARE = "social_care", "Children's social care"
    EDUCATION = "education", "SEN and education"
    HEALTH_COMMISSIONER = "health_commissioner", "Health commissioner"
    HEALTH_PROVIDER = "health_provider", "Health provider"
    OTHER = "other", "Other"


class Involvement(models.Model):
    """An agency involved with a child. Users of an involved agency may see the child (access.py)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="involvements")
    # No separate index on agency: involvement_agency_dates leads with it.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="involvements", db_index=False)
    role = models.CharField(max_length=30, choices=InvolvementRole.choices)
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    # Why the agency became involved when no person chose it: "Funding share in package 12 (panel
    # decision 34)" (docs/adr/0013). Blank for an agency someone added on the child's record.
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["started_on", "id"]
        indexes = [
            # The access rule's hot path: "children my agency is involved with".
            # Covers the dates too, so the rule is answered from the index alone.
            models.Index(
                fields=["agency", "child"],
                include=["started_on", "ended_on"],
                name="involvement_agency_dates",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "agency"],
                condition=Q(ended_on__isnull=True),
                name="involvement_one_open_per_agency",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="involvement_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} – {self.get_role_display()}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None or self.ended_on > timezone.localdate()


class ChildUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key grant table for django-guardian (one indexed join instead of generic keys).

    Used for individual exceptions: an independent panel member, a clinician asked for one assessment.
    """

    content_object = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="user_grants")

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "content_object"], name="child_grant_user_child")]


class AccessRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    GRANTED = "granted", "Granted"
    DECLINED = "declined", "Declined"


class AccessRequest(models.Model):
    """A request from another agency to become involved with a child it cannot see.

    Raised when someone registers an NHS number that already belongs to a child outside their
    agency: the owning agency decides, and nothing about the child is revealed meanwhile.
    """

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="access_requests")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="access_requests")
    requesting_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="access_requests_made"
    )
    owning_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="access_requests_received"
    )
    reason = models.TextField(max_length=2000)
    status = models.CharField(
        max_length=10, choices=AccessRequestStatus.choices, default=AccessRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["owning_agency", "status"], name="access_request_owner_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "requesting_agency"],
                condition=Q(status="pending"),
                name="access_request_one_pending_per_agency",
            )
        ]

    def __str__(self) -> str:
        return f"Request from {self.requesting_agency} ({self.get_status_display()})"
