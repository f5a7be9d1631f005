"""Every write a partnership administrator makes to their partnership's agencies, teams, people and
service accounts. Adding an agency, a team or a person is casework.services (agency_create,
team_create, user_create); changing them is here.

Each service is keyword-only, atomic, checks that the actor administers the partnership (a platform
operator or a loader, actor None, may too, as for the create services), validates with
full_clean() and writes an audit event. Nobody raises their own privileges: an administrator's
own roles, limit, agency, teams and active flag are changed by another administrator. No service
here sets is_superuser or is_staff, and none moves anyone into another partnership.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from casework import access
from casework.audit import diff, record_event, snapshot
from casework.leavers import leaver_handover, mover_handover
from casework.models import Agency, Child, Role, Team, User
from casework.services import InvalidTransition, user_create
from casework.services.common import _require_partnership_admin

AGENCY_FIELDS = ("name", "kind", "ods_code")
PERSON_FIELDS = ("full_name", "job_title", "roles", "delegated_limit")


def _require_administers(actor: User | None, account: User, *, doing: str) -> None:
    """The actor administers the account's partnership (the same rule as the create services)."""
    if account.is_superuser or account.is_staff or account.agency is None:
        raise access.NotAllowed("Platform operators are not administered here")
    _require_partnership_admin(actor, partnership=account.agency.partnership, doing=doing)


def _check_roles(roles: Iterable[str], *, service_account: bool) -> list[str]:
    roles = sorted(set(roles))
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError({"roles": [f"Unknown roles: {', '.join(sorted(unknown))}"]})
    if service_account and Role.PARTNERSHIP_ADMINISTRATOR in roles:
        raise ValidationError({"roles": ["A service account cannot be a partnership administrator"]})
    return roles


def _check_email_free(email: str) -> None:
    # E-mail addresses are unique across the service, so a taken one is refused whichever
    # partnership holds it; the message names no partnership, agency or person.
    if User.objects.filter(email__iexact=(email or "").strip()).exists():
        raise ValidationError({"email": ["An account with this e-mail address already exists"]})


# --- Agencies and teams ---------------------------------------------------------------------------


@transaction.atomic
def agency_update(*, actor: User | None, agency: Agency, name: str, kind: str, ods_code: str = "") -> Agency:
    """Change an agency's name, kind and ODS code. Its partnership never changes: an agency moved
    between partnerships would carry its people and children with it."""
    _require_partnership_admin(actor, partnership=agency.partnership, doing="change an agency")
    locked = Agency.objects.select_for_update().get(pk=agency.pk)
    before = snapshot(locked, AGENCY_FIELDS)
    locked.name, locked.kind, locked.ods_code = name.strip(), kind, ods_code or ""
    if Agency.objects.filter(name__iexact=locked.name).exclude(pk=locked.pk).exists():
        raise ValidationError({"name": ["Another agency already has this name"]})
    locked.full_clean()
    changes = diff(before, snapshot(locked, AGENCY_FIELDS))
    if changes:
        locked.save(update_fields=list(changes))
        record_event(actor=actor, action="agency.updated", obj=locked, changes=changes)
    return locked


@transaction.atomic
def team_rename(*, actor: User | None, team: Team, name: str) -> Team:
    _require_partnership_admin(actor, partnership=team.agency.partnership, doing="rename a team")
    locked = Team.objects.select_for_update().select_related("agency").get(pk=team.pk)
    old = locked.name
    locked.name = name.strip()
    if (
        Team.objects.filter(agency_id=locked.agency_id, name__iexact=locked.name)
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise ValidationError({"name": [f"{locked.agency.name} already has a team called {locked.name}"]})
    locked.full_clean()
    if locked.name != old:
        locked.save(update_fields=["name"])
        record_event(actor=actor, action="team.renamed", obj=locked, changes={"name": [old, locked.name]})
    return locked


# --- People ---------------------------------------------------------------------------------------


@transaction.atomic
def person_invite(
    *,
    actor: User,
    email: str,
    full_name: str,
    agency: Agency,
    roles: list[str],
    job_title: str = "",
    teams: list[Team] | None = None,
    delegated_limit: Decimal | None = None,
) -> User:
    """Add a person with no usable password and e-mail them a link to set one (after the commit).

    Granting the partnership administrator role to someone else is allowed and audited; nobody can
    invite themselves, since they already exist.
    """
    if actor is None or not access.is_partnership_administrator(actor):
        raise access.NotAllowed("Only a partnership administrator may invite people")
    roles = _check_roles(roles, service_account=False)
    _check_email_free(email)
    person = user_create(
        actor=actor,
        email=email,
        full_name=full_name.strip(),
        agency=agency,
        roles=roles,
        password=None,
        job_title=job_title.strip(),
        teams=teams,
        delegated_limit=delegated_limit,
    )
    if Role.PARTNERSHIP_ADMINISTRATOR in roles:
        record_event(actor=actor, action="user.partnership_administrator_granted", obj=person, changes={})
    _queue_invitation(actor=actor, person=person)
    return person


@transaction.atomic
def invitation_resend(*, actor: User, person: User) -> User:
    """A new link for someone who has not set a password yet (the first link lasts
    PASSWORD_RESET_TIMEOUT)."""
    _require_administers(actor, person, doing="invite a person")
    if person.is_service_account or not person.is_active or person.has_usable_password():
        raise InvalidTransition("This person has already set a password, or cannot sign in")
    _queue_invitation(actor=actor, person=person)
    return person


def _queue_invitation(*, actor: User, person: User) -> None:
    record_event(actor=actor, action="user.invited", obj=person, changes={"email": [None, person.email]})
    from casework import outbox
    from casework.jobs import INVITATION_EMAIL

    outbox.defer(
        kind=INVITATION_EMAIL,
        object_id=person.pk,
        partnership=person.agency.partnership if person.agency else "",
        summary=f"Invitation to {person.email}",
    )


def invitation_link(person: User) -> str:
    """The set-a-password link: Django's password reset token, which stops working once the
    password is set (the token covers the password hash) or after PASSWORD_RESET_TIMEOUT."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
            "token": default_token_generator.make_token(person),
        },
    )
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def invitation_send(*, user_id: int) -> bool:
    """E-mail the invitation (from a task, after the commit). Quietly nothing for someone gone,
    closed, a service account, or who has set a password since."""
    person = User.objects.select_related("agency").filter(pk=user_id).first()
    if (
        person is None
        or not person.is_active
        or person.is_service_account
        or person.has_usable_password()
        or person.agency_id is None
    ):
        return False
    context = {
        "person": person,
        "link": invitation_link(person),
        "service_name": settings.SERVICE_NAME,
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = render_to_string("casework/administration/email/invitation_subject.txt", context).strip()
    text = render_to_string("casework/administration/email/invitation.txt", context)
    html = render_to_string("casework/administration/email/invitation.html", context)
    message = EmailMultiAlternatives(subject, text, None, [person.email])
    message.attach_alternative(html, "text/html")
    message.send()
    return True


@transaction.atomic
def person_update(
    *,
    actor: User | None,
    person: User,
    full_name: str,
    job_title: str = "",
    roles: list[str],
    delegated_limit: Decimal | None = None,
) -> User:
    """Change a person's (or service account's) name, job title, roles and delegated limit.

    An administrator may change their own name and job title, never their own roles or limit.
    A delegated limit belongs to finance approvers only.
    """
    _require_administers(actor, person, doing="change a person's details")
    locked = User.objects.select_for_update().get(pk=person.pk)
    roles = _check_roles(roles, service_account=locked.is_service_account)
    if delegated_limit is not None:
        delegated_limit = Decimal(delegated_limit).quantize(Decimal("0.01"))
    if delegated_limit is not None and Role.FINANCE_APPROVER not in roles:
        raise ValidationError(
            {"delegated_limit": ["Only finance approvers have a delegated limit: remove it, or add the role"]}
        )
    before = snapshot(locked, PERSON_FIELDS)
    locked.full_name, locked.job_title = full_name.strip(), job_title.strip()
    locked.roles, locked.delegated_limit = roles, delegated_limit
    locked.full_clean(exclude=["password"])
    changes = diff(before, snapshot(locked, PERSON_FIELDS))
    if actor is not None and {"roles", "delegated_limit"} & set(changes):
        access.require_not_self(actor=actor, account=locked, doing="change the roles or delegated limit")
    if changes:
        locked.save(update_fields=list(changes))
        record_event(actor=actor, action="user.updated", obj=locked, changes=changes)
        if "roles" in changes:
            old, new = set(changes["roles"][0] or []), set(changes["roles"][1])
            role = Role.PARTNERSHIP_ADMINISTRATOR
            if role in new - old:
                record_event(
                    actor=actor, action="user.partnership_administrator_granted", obj=locked, changes={}
                )
            elif role in old - new:
                record_event(
                    actor=actor, action="user.partnership_administrator_removed", obj=locked, changes={}
                )
    return locked


@transaction.atomic
def person_move(*, actor: User | None, person: User, agency: Agency, teams: list[Team]) -> User:
    """Move a person to other teams of their agency, or to another agency of the same partnership.

    Never into another partnership. A move to another agency waits until the children allocated
    to them there are reallocated and their panel seats for that agency have ended, so no child is
    left with a social worker of another agency and no seat speaks for the wrong agency; once moved,
    what was theirs for the old agency's work (children they were individually let see, papers they
    were given) goes at once (casework.leavers.mover_handover, issue 20).
    """
    _require_administers(actor, person, doing="move a person")
    if actor is not None:
        access.require_not_self(actor=actor, account=person, doing="change the agency or teams")
    if agency.partnership != access.agency_of(person).partnership:
        raise access.NotAllowed("People move only between agencies of their own partnership")
    if any(team.agency_id != agency.pk for team in teams):
        raise ValidationError({"teams": [f"Choose teams of {agency.name}"]})
    locked = User.objects.select_for_update(of=("self",)).select_related("agency").get(pk=person.pk)
    old_agency = access.agency_of(locked)
    old_teams = sorted(locked.teams.values_list("pk", flat=True))
    new_teams = sorted(team.pk for team in teams)
    changes: dict[str, list] = {}
    if agency.pk != old_agency.pk:
        _check_leaving(locked, old_agency)
        locked.agency = agency
        locked.save(update_fields=["agency"])
        changes["agency"] = [old_agency.pk, agency.pk]
        mover_handover(actor=actor, person=locked)
    if new_teams != old_teams:
        locked.teams.set(teams)
        changes["teams"] = [old_teams, new_teams]
    if changes:
        record_event(actor=actor, action="user.moved", obj=locked, changes=changes)
    return locked


def _check_leaving(person: User, agency: Agency) -> None:
    allocated = Child.objects.filter(allocated_social_worker=person).count()
    if allocated:
        raise ValidationError(
            {
                "agency": [
                    f"{person.full_name} is the allocated social worker of {allocated} "
                    f"{'child' if allocated == 1 else 'children'} of {agency.name}: "
                    "ask their team manager to reallocate them first"
                ]
            }
        )
    # Looked up by name: casework imports no app above it (the ladder in STYLE.md).
    membership = apps.get_model("panels", "Membership")
    if membership.objects.filter(person=person, ends_on__isnull=True).exists():
        raise ValidationError(
            {"agency": [f"End {person.full_name}'s panel seats first: each seat speaks for {agency.name}"]}
        )


def _set_active(*, actor: User | None, person: User, active: bool) -> User:
    _require_administers(actor, person, doing="close or reopen an account")
    if actor is not None:
        access.require_not_self(actor=actor, account=person, doing="close or reopen the account")
    reopened = {"reopened_at": timezone.now()} if active else {}
    if not User.objects.filter(pk=person.pk, is_active=not active).update(is_active=active, **reopened):
        raise InvalidTransition("This account is already " + ("active" if active else "closed"))
    person.is_active = active
    record_event(
        actor=actor,
        action="user.reactivated" if active else "user.deactivated",
        obj=person,
        changes={"is_active": [not active, active]},
    )
    return person


@transaction.atomic
def person_deactivate(*, actor: User | None, person: User) -> User:
    """Close an account (a leaver, issue 20): the person can no longer sign in (their open session
    ends on its next request) and their API tokens stop working; their panel seats end today and
    their managers are told of the work left to give to someone else (casework.leavers). Their
    records and history stay."""
    closed = _set_active(actor=actor, person=person, active=False)
    leaver_handover(actor=actor, person=closed, why="closed by a partnership administrator")
    return closed


@transaction.atomic
def person_reactivate(*, actor: User | None, person: User) -> User:
    return _set_active(actor=actor, person=person, active=True)


# --- Service accounts -----------------------------------------------------------------------------


@transaction.atomic
def service_account_create(*, actor: User, name: str, email: str, agency: Agency, roles: list[str]) -> User:
    """A system integration's account: one agency, the roles its work needs, never a password.
    It is used only with API tokens of read-only or named-operations scope."""
    if actor is None or not access.is_partnership_administrator(actor):
        raise access.NotAllowed("Only a partnership administrator may add service accounts")
    roles = _check_roles(roles, service_account=True)
    _check_email_free(email)
    return user_create(
        actor=actor,
        email=email,
        full_name=name.strip(),
        agency=agency,
        roles=roles,
        password=None,
        is_service_account=True,
    )
