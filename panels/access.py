"""Who may see which panels and meetings.

Panels are partnership forums: anyone signed in to an agency of the partnership may see the panel
and its meeting dates (not its papers; the referrals and papers rules live in referrals/access.py).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from casework.access import NOT_FOUND_MESSAGE, is_usable, record_id
from casework.models import User
from panels.models import Meeting, Panel


def panels_visible_to(*, user: User | None) -> QuerySet[Panel]:
    if not is_usable(user):
        return Panel.objects.none()
    return Panel.objects.filter(partnership=user.agency.partnership, is_active=True)


def meetings_visible_to(*, user: User | None) -> QuerySet[Meeting]:
    return Meeting.objects.filter(panel__in=panels_visible_to(user=user))


def get_panel_for_user(*, user: User, pk: object) -> Panel:
    pk_int = record_id(pk)
    panel = panels_visible_to(user=user).filter(pk=pk_int).first()
    if panel is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return panel


def can_administer(*, user: User, panel: Panel) -> bool:
    """Panel settings, membership and meetings are run by the panel's chair, vice-chair and
    administrators, panel administrators of the host agency, and system administrators."""
    from casework.models import Role
    from panels.models import CHAIRING_ROLES, MemberRole, Membership

    if not is_usable(user):
        return False
    if user.has_role(Role.SYSTEM_ADMINISTRATOR) and user.agency.partnership == panel.partnership:
        return True
    if user.has_role(Role.PANEL_ADMINISTRATOR) and user.agency_id == panel.host_agency_id:
        return True
    return (
        Membership.objects.current()
        .filter(panel=panel, person=user, role__in=[*CHAIRING_ROLES, MemberRole.ADMINISTRATOR])
        .exists()
    )


def get_meeting_for_user(*, user: User, pk: object) -> Meeting:
    pk_int = record_id(pk)
    meeting = meetings_visible_to(user=user).select_related("panel").filter(pk=pk_int).first()
    if meeting is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return meeting
