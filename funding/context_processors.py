"""The finance approver's tray count for the navigation, and whether the person records funding
packages (the child's record offers "Record an existing funding arrangement" to them only)."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from funding import access


def awaiting_approval_count(request):
    """{"funding_awaiting_count": n}: shares awaiting this finance approver (lazy: one COUNT query,
    only when a template uses it, and only for finance approvers)."""
    user = getattr(request, "user", None)
    can_record = bool(user is not None and access.can_manage(user=user))
    if not access.is_finance_approver(user):
        return {"funding_awaiting_count": 0, "funding_can_record": can_record}

    def count() -> int:
        from funding.selectors import awaiting_for

        return awaiting_for(user=user).count()

    return {"funding_awaiting_count": SimpleLazyObject(count), "funding_can_record": can_record}
