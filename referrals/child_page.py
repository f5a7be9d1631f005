"""The referrals on the child's page (casework/child_page.py): those this person may open."""

from __future__ import annotations

from typing import Any

from casework.child_page import child_page_part
from casework.models import Child, User
from referrals.selectors import child_referrals


@child_page_part
def referrals(*, user: User, child: Child) -> dict[str, Any]:
    return {"referrals": child_referrals(user=user, child_id=child.pk)}
