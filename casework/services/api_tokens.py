"""API tokens: made by a person for themselves or a service account they administer, shown once,
revoked at once."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework import access
from casework.audit import record_event
from casework.models import ApiToken, TokenScope, User
from casework.services.common import InvalidTransition


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    user: User,
    name: str,
    expires_in_days: int | None = None,
    scope: str = TokenScope.FULL,
    operations: list[str] | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for `user` and return it with its secret, which is shown once and never stored.

    People make their own tokens; a partnership administrator makes them for a service account of
    their partnership. A service account's token is never of full scope.
    """
    from casework.tokens import digest_of, new_secret

    if not access.is_usable(actor) or actor.is_service_account:
        raise access.NotAllowed("Only a person may make API tokens")
    if user.pk != actor.pk and not access.can_administer_account(actor=actor, account=user):
        raise access.NotAllowed("You may only make tokens for yourself or a service account you administer")
    if user.pk != actor.pk and not user.is_service_account:
        raise access.NotAllowed("Only the person themselves may make a token for their own account")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Enter a name for the token, like “Finance system export”"]
    elif len(name) > 100:
        errors["name"] = ["Name must be 100 characters or fewer"]
    days = settings.API_TOKEN_DEFAULT_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        errors["expires_in_days"] = [f"Enter a number of days from 1 to {settings.API_TOKEN_MAX_DAYS}"]
    if scope not in TokenScope.values:
        errors["scope"] = ["Choose what the token may do"]
    elif user.is_service_account and scope == TokenScope.FULL:
        errors["scope"] = ["A service account's token is read only or limited to named operations"]
    operations = sorted(set(operations or []))
    if scope == TokenScope.OPERATIONS:
        from casework.tokens import api_operation_names

        unknown = set(operations) - api_operation_names()
        if not operations:
            errors["operations"] = ["Choose at least one operation"]
        elif unknown:
            errors["operations"] = [f"Unknown operations: {', '.join(sorted(unknown))}"]
    else:
        operations = []
    if errors:
        raise ValidationError(errors)
    secret = new_secret()
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        digest=digest_of(secret),
        scope=scope,
        operations=operations,
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    record_event(
        actor=actor,
        action="api_token.created",
        obj=token,
        changes={
            "user": [None, user.pk],
            "name": [None, name],
            "scope": [None, scope],
            "operations": [None, operations],
            "expires_at": [None, token.expires_at.isoformat()],
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token at once. Revoking twice is refused (409): the first revocation stands."""
    if token.user_id != actor.pk and not access.can_administer_account(actor=actor, account=token.user):
        raise access.NotAllowed("You may only revoke your own tokens or a service account's")
    now = timezone.now()
    if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    ):
        raise InvalidTransition("This token has already been revoked")
    token.revoked_at, token.revoked_by = now, actor
    record_event(
        actor=actor, action="api_token.revoked", obj=token, changes={"revoked_at": [None, now.isoformat()]}
    )
    return token
