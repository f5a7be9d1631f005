"""Who may see which panels and meetings.

Panels are partnership forums: anyone signed in to an agency of the partnership may see the panel
and its meeting dates (not its papers; the referrals and papers rules live in referrals/access.py).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from casework.access import NOT_FOUND_MESSAGE
from casework.models import User
from panels.models import Meeting, Panel


def panels_visible_to(*, user: User | None) -> QuerySet[Panel]:
    if user is None or not user.is_authenticated or not user.is_active or not user.agency_id:
        return Panel.objects.none()
    return Panel.objects.filter(partnership=user.agency.partnership, is_active=True)


def meetings_visible_to(*, user: User | None) -> QuerySet[Meeting]:
    return Meeting.objects.filter(panel__in=panels_visible_to(user=user))


def get_panel_for_user(*, user: User, pk: object) -> Panel:
    try:
        pk_int = int(str(pk))
    except (TypeError, ValueError):
        raise Http404(NOT_FOUND_MESSAGE) from None
    panel = panels_visible_to(user=user).filter(pk=pk_int).first()
    if panel is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return panel
