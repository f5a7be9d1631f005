"""The core domain: agencies, teams, people, children, who is involved, and the audit trail.

Invariants live here (field validation, constraints); every write goes through services.py.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Upper
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from casework.nhs import validate_nhs_number


class AgencyKind(models.TextChoices):
    CHILDRENS_SERVICES = "childrens_services", "Council children's services"
    SEN = "sen", "Council SEN and education"
    ICB = "icb", "NHS Integrated Care Board"
    NHS_TRUST = "nhs_trust", "NHS trust"
    SCHOOL = "school", "School"
    OTHER = "other", "Other"


NHS_KINDS = {AgencyKind.ICB, AgencyKind.NHS_TRUST}


class Agency(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=AgencyKind.choices)
    ods_code = models.CharField(
        "ODS code", max_length=10, blank=True, help_text="Organisation Data Service code, for NHS bodies"
    )
    partnership = models.CharField(
        max_length=200, blank=True, help_text='For example "Hampshire and Isle of Wight"', db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name

    @property
    def is_nhs(self) -> bool:
        return self.kind in NHS_KINDS

    def clean(self) -> None:
        self.ods_code = self.ods_code.strip().upper()
        if self.is_nhs and not self.ods_code:
            raise ValidationError({"ods_code": "Enter the ODS code: every NHS body has one, like QRL"})
        if self.ods_code and not re.fullmatch(r"[A-Z0-9]{3,6}", self.ods_code):
            raise ValidationError({"ods_code": "Enter an ODS code of 3 to 6 letters and numbers, like QRL"})


class Team(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="team_unique_name_in_agency")]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.name})"


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", "Social worker"
    TEAM_MANAGER = "team_manager", "Team manager"
    SERVICE_MANAGER = "service_manager", "Service manager"
    PANEL_ADMINISTRATOR = "panel_administrator", "Panel administrator"
    PANEL_CHAIR = "panel_chair", "Panel chair"
    PANEL_MEMBER = "panel_member", "Panel member"
    FINANCE_APPROVER = "finance_approver", "Finance approver"
    HEALTH_ASSESSOR = "health_assessor", "Health assessor / NHS clinician"
    AUDITOR = "auditor", "Auditor (read-only)"
    PARTNERSHIP_ADMINISTRATOR = "partnership_administrator", "Partnership administrator"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        """A platform operator for the Django admin (DJANGO_ADMIN_PATH): no agency, so the service's
        own pages show them nothing, and the service's sign-in refuses them."""
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields["agency"] = None
        fields["roles"] = []
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their work e-mail. Belongs to exactly one agency."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="users", null=True, blank=True)
    teams = models.ManyToManyField(Team, related_name="members", blank=True)
    roles = ArrayField(models.CharField(max_length=30, choices=Role.choices), default=list, blank=True)
    delegated_limit = models.DecimalField(
        "delegated limit (£ a year)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="For finance approvers: the largest annual share they may approve",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="A platform operator: may use the Django admin, never the service's pages"
    )
    # A system integration (a finance system reading exports, say): it belongs to one agency, signs in
    # only with API tokens of a stated scope, never with a password.
    is_service_account = models.BooleanField(default=False)
    # Kept by casework.access.grant_child_view / revoke_child_view, so the visibility rule looks up
    # individual grants only for the few people who hold any.
    holds_child_grants = models.BooleanField(default=False, editable=False)
    # Raised to end every open session of this person at their next request (an authenticator reset,
    # say): it is part of the session's check hash, as the password is.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    # casework.access.granted_child_ids' cache of the grants, for one request.
    _granted_child_ids: list[int]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        indexes = [GinIndex(fields=["roles"], name="user_roles_gin")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def _get_session_auth_hash(self, secret=None):
        # Django's hash of the password, with the epoch once it has been raised (so raising it ends
        # the person's sessions, and nobody was signed out when the field was added).
        from django.utils.crypto import salted_hmac

        material = self.password if not self.session_epoch else f"{self.password}:{self.session_epoch}"
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(key_salt, material, secret=secret, algorithm="sha256").hexdigest()

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles if role in Role.values]


class TokenScope(models.TextChoices):
    FULL = "full", "Everything the person may do"
    READ_ONLY = "read_only", "Read only"
    OPERATIONS = "operations", "Only the named operations"


class ApiToken(models.Model):
    """An API token: shown once when made, stored only as its SHA-256 digest (casework/tokens.py).

    The secret has 256 bits of entropy, so a fast hash is enough (as for GitHub's and Django
    REST Knox's tokens): a slow password hash would only slow every API request.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text='What it is for, like "Finance system export"')
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=20, choices=TokenScope.choices, default=TokenScope.FULL)
    # For scope "operations": the API operations (URL names, like "package-list") it may call.
    operations = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    expires_at = models.DateTimeField()
    first_used_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Set by the pages that list tokens: where the token's revoke button posts.
    revoke_url: str

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "Revoked"
        return "Active" if self.expires_at > timezone.now() else "Expired"


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


class ProviderKind(models.TextChoices):
    """What kind of service a provider gives. Here, below referrals and funding, because an option
    in a referral and a funding package both name one (the 38-week residential rule reads it)."""

    RESIDENTIAL = "residential", "Residential"
    FOSTERING = "fostering", "Fostering"
    DOMICILIARY = "domiciliary_care", "Domiciliary care"
    EDUCATION = "education", "Education"
    HEALTH = "health", "Health"
    # A decision names a provider in words; its kind is confirmed when the package is varied.
    UNCONFIRMED = "unconfirmed", "Not yet confirmed"


class CetrRecord(models.Model):
    """A Care, Education and Treatment Review held for a child (date, outcome, where the report is
    filed), or a named senior person's decision to go ahead without one, with the reason.

    seeds 002 s3: "For autistic children and young people and children and young people with a
    learning disability a CeTR must be held before escalation occurs". seeds 003 supplementary
    recommendation 4: "All children with disabilities and complex health needs who are on a pathway
    for admission to residential placement longer than 38 weeks per year should be part of a Care,
    Education and Treatment Review process." Records are append-only.

    A record speaks for the referral it names (and so the placement that referral proposes and the
    package its decision makes) until `valid_until` (casework.cetr: CETR_VALID_DAYS after the CETR
    was held, or after the override was recorded); the checks use the latest one still valid for the
    referral. Rows from before the rule named no referral and count for none.
    """

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="cetr_records")
    # By name, not import: referrals sit above the core (docs/adr/0011-layers.md).
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cetr_records",
        help_text="The referral (and so the placement) the CETR was held, or the override given, for",
    )
    valid_until = models.DateField(
        "valid until", null=True, blank=True, help_text="The last day the CETR or override counts"
    )
    held_on = models.DateField("CETR held on", null=True, blank=True)
    outcome = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    document = models.CharField(
        "CETR report",
        max_length=300,
        blank=True,
        help_text="Where the report is filed, for example its record reference",
    )
    # The CETR's report itself, uploaded and checked as referral evidence is (casework.uploads), kept
    # privately and downloaded only through the child's access check.
    report_name = models.CharField("report file name", max_length=255, blank=True)
    report_stored_name = models.CharField(max_length=64, blank=True, editable=False)
    report_content_type = models.CharField(max_length=100, blank=True, editable=False)
    report_size = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    report_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    overridden_by = models.ForeignKey(
        "User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    overrider_role = models.CharField("their role", max_length=200, blank=True)
    override_reason = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    recorded_by = models.ForeignKey("User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["child", "recorded_at"], name="cetr_child_recorded"),
            models.Index(fields=["referral", "valid_until"], name="cetr_referral_valid"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(held_on__isnull=False, overridden_by__isnull=True, override_reason="") & ~Q(outcome="")
                )
                | (
                    Q(held_on__isnull=True, overridden_by__isnull=False, outcome="")
                    & ~Q(override_reason="")
                    & ~Q(overrider_role="")
                ),
                name="cetr_held_or_overridden",
            ),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_override(self) -> bool:
        return self.overridden_by_id is not None

    @property
    def has_report(self) -> bool:
        return bool(self.report_stored_name)

    @property
    def summary(self) -> str:
        """What a panel paper and the chair's page say: "CETR held on 3 March 2026: <outcome>" or
        "CETR overridden by <name>, <role>: <reason>"."""
        if self.overridden_by_id is not None:
            name = self.overridden_by.full_name if self.overridden_by else ""
            return f"CETR overridden by {name}, {self.overrider_role}: {self.override_reason}"
        return f"CETR held on {self.held_on:%-d %B %Y}: {self.outcome}"

    def is_valid_on(self, day: dt.date) -> bool:
        """Whether it counts on `day`: it names a referral, and `day` is from the CETR's date (or the
        override's) to `valid_until`."""
        start = self.held_on or timezone.localdate(self.recorded_at)
        return (
            self.referral_id is not None and self.valid_until is not None and start <= day <= self.valid_until
        )

    @property
    def validity(self) -> str:
        """What the pages say of its reach: "For referral 12, valid until 31 August 2026"."""
        if self.referral_id is None:
            return "Recorded before a CETR named its referral: it counts for none"
        verb = "valid until" if self.is_valid_on(timezone.localdate()) else "no longer valid: it ran to"
        until = f"{self.valid_until:%-d %B %Y}" if self.valid_until else "no date"
        return f"For referral {self.referral_id}, {verb} {until}"


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


class AuditEvent(models.Model):
    """Append-only record of every write (a PostgreSQL trigger refuses UPDATE and DELETE)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    child = models.ForeignKey(
        Child, on_delete=models.DO_NOTHING, null=True, db_constraint=False, related_name="+"
    )
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["child", "-at"], name="audit_child_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type} {self.object_id}"


class ChildViewLog(models.Model):
    """Append-only record of every view of a child's record, by page or API."""

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    channel = models.CharField(max_length=20, default="page")
    path = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["child", "-at"], name="viewlog_child_at"),
            models.Index(fields=["user", "-at"], name="viewlog_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} viewed child {self.child_id}"


class Notification(models.Model):
    """An in-app notice for one person; the same notice is e-mailed (casework/tasks.py)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=2000, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.subject


class ReminderSent(models.Model):
    """One reminder to one person about one deadline. The unique row is claimed in the same
    transaction as the notice, so a reminder goes once even when two sweeps run at once."""

    kind = models.CharField(max_length=50)
    subject_key = models.CharField(max_length=100, help_text='What it is about, e.g. "meeting:12"')
    due_on = models.DateField(help_text="The deadline it reminds of; a moved deadline is a new reminder")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key", "due_on", "user"], name="reminder_once_per_deadline_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_key} due {self.due_on} to {self.user_id}"


class ChildListViewLog(models.Model):
    """Append-only record of every list or search that showed children's names, by page or API.

    One row per request: who, the search terms, and the ids of the children on the page they saw,
    so "who saw child X" is one GIN-indexed query (`child_ids @> [X]`).
    """

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=20, default="page")
    path = models.CharField(max_length=300, blank=True)
    query = models.CharField(max_length=200, blank=True, help_text="The search terms, cut to 200 characters")
    child_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            GinIndex(fields=["child_ids"], name="listviewlog_child_ids_gin"),
            models.Index(fields=["user", "-at"], name="listviewlog_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} listed {len(self.child_ids)} children"


class JobStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BackgroundJob(models.Model):
    """One piece of work a change owes the outside world (an e-mail, a pack, a paper), written in
    the same transaction as the change (a transactional outbox, casework/outbox.py).

    The row, not the broker, is the record of work to do: queueing to Celery after the commit is a
    speed-up, and the relay queues again anything waiting past its time or whose lease expired. A run
    claims the job with a lease (`lease_expires_at`, renewed by long work), so one runner at a time;
    `attempts` counts the claims and is the fencing token a runner's result must match."""

    kind = models.CharField(max_length=50, help_text="The registered handler, e.g. notice.email")
    object_id = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.WAITING)
    partnership = models.CharField(max_length=200, blank=True, help_text="Whose administrators see it")
    summary = models.CharField(max_length=300, blank=True, help_text="What it is, for administrators")
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(default=timezone.now, help_text="Backoff: not run before this")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Work asked for twice while still to do is one job.
            models.UniqueConstraint(
                fields=["kind", "object_id"],
                condition=Q(status__in=["waiting", "running"]),
                name="job_once_while_open",
            )
        ]
        indexes = [
            # The relay's scan: open jobs only, by when they may run.
            models.Index(
                fields=["not_before"], condition=Q(status__in=["waiting", "running"]), name="job_open_due"
            ),
            models.Index(fields=["partnership", "status", "-created_at"], name="job_partnership_status"),
            # A record's latest job in any state (the pack page: what happened to this version).
            models.Index(fields=["kind", "object_id"], name="job_kind_object"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} ({self.status})"


class Heartbeat(models.Model):
    """When a background process last showed it was alive (the relay, run by beat on a worker),
    for the administrators' "Background work" page and the health check."""

    name = models.CharField(max_length=50, primary_key=True)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} at {self.at}"
