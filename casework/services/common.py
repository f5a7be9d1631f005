"""What every core service shares: the refusal of a state change no longer allowed (409), and the
two checks of who is acting."""

from __future__ import annotations

from casework import access
from casework.models import User


class InvalidTransition(Exception):
    """A state change that is no longer allowed (HTTP 409)."""


def _require_partnership_admin(actor: User | None, *, partnership: str, doing: str) -> None:
    """Organisations and people change by a partnership administrator of that partnership, the
    platform operator (Django admin), or a loader (actor None: seed_demo, bootstrap commands)."""
    if actor is None or access.is_platform_operator(actor):
        return
    if not access.is_partnership_administrator(actor) or access.agency_of(actor).partnership != partnership:
        raise access.NotAllowed(
            f"Only a partnership administrator of {partnership or 'this partnership'} may {doing}"
        )


def _require_role(actor: User, *roles: str, doing: str) -> None:
    if not (actor.is_active and actor.has_role(*roles)):
        raise access.NotAllowed(f"Your role does not allow you to {doing}")
