"""What every page needs about referrals: the navigation's "awaiting my sign-off" count."""

from __future__ import annotations

from functools import cached_property

from casework.models import User
from referrals import access, selectors


class ReferralsNav:
    """Computed only when a page shows it, once per request, in one query, and only for people
    who sign referrals (for anyone else it is 0 without asking the database)."""

    def __init__(self, user: User):
        self.user = user

    @cached_property
    def awaiting_count(self) -> int:
        if not self.user.has_role(*access.TEAM_MANAGER_SIGNERS, *access.SERVICE_MANAGER_SIGNERS):
            return 0
        return selectors.awaiting_my_sign_off_count(user=self.user)

    @cached_property
    def can_create(self) -> bool:
        return access.can_create(user=self.user)


def referrals(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"referrals_nav": ReferralsNav(user)}
