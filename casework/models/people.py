"""People who sign in (each of one agency, with their roles) and their API tokens."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from casework.models.agencies import Agency, Team


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
    # When a closed account was last reopened: the daily job (casework.leavers) counts a dormant
    # account's quiet time from here too, so an account reopened for someone back from leave is not
    # closed again that night.
    reopened_at = models.DateTimeField(null=True, blank=True, editable=False)

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
