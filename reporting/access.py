"""Who may see the reports (issue 18). The one place this rule lives.

Where cases wait is for the people who chase the next step across agencies: team and service
managers, panel chairs and administrators, finance approvers, and partnership administrators (the
nearest role today to the issue's "partnership leads"). Each sees the waits of the children their
agency is involved with, never more (reporting.selectors): the role opens the page, not more rows.
Anyone else gets the same 404 as a missing page, and no link to it.
"""

from __future__ import annotations

from django.http import Http404

from casework.access import NOT_FOUND_MESSAGE, is_usable
from casework.models import Role, User

REPORT_READERS = (
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.PANEL_CHAIR,
    Role.PANEL_ADMINISTRATOR,
    Role.FINANCE_APPROVER,
    Role.PARTNERSHIP_ADMINISTRATOR,
)


def can_see_reports(*, user) -> bool:
    return is_usable(user) and not user.is_service_account and user.has_role(*REPORT_READERS)


def can_call_reports_api(*, user) -> bool:
    """The API's callers: the same people, and service accounts given one of the roles."""
    return is_usable(user) and user.has_role(*REPORT_READERS)


def require_report_reader(user: User, *, api: bool = False) -> None:
    allowed = can_call_reports_api(user=user) if api else can_see_reports(user=user)
    if not allowed:
        raise Http404(NOT_FOUND_MESSAGE)
