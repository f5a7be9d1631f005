"""People's pages for referrals: start, the task list and its section pages, options and costs,
evidence, sign-off, submission to a meeting, the chair's late-paper decisions, and the lists.

Thin, like casework/views.py: parse input, check access, call a service, render. Referrals are
fetched only through referrals/access.py, first, so anyone who may not see one gets a 404 for every
URL, GET or POST (POST-only and GET-only pages check the method after access). InvalidTransition (someone else changed
it first, a double-submitted form) becomes the 409 page and NotAllowed the 403 page in
config.middleware.DomainErrorMiddleware. State-changing forms carry the status the page showed
("status"): a form posted against a referral that has moved on is a 409, never a second action.

One module per part of the journey (lists, record, drafting, options, evidence, sign_off,
submission), with what they share in common; urls.py finds every page here.
"""

from __future__ import annotations

# What the pages need from panels (the panels a user may choose, a meeting's papers deadline),
# imported here once: pyproject's import contract declares these exceptions for `referrals.views`,
# and the modules below take them from this package.
from panels import access as panels_access
from panels.models import meeting_deadlines
from panels.selectors import closures_by_panel, meetings_to_submit_to
from referrals.views.drafting import referral_details, referral_section, referral_start, referral_tasks
from referrals.views.evidence import evidence_download, evidence_list, evidence_remove
from referrals.views.lists import all_referrals, awaiting_sign_off, meeting_referrals, my_referrals
from referrals.views.options import option_edit, option_list, option_recommend, option_remove
from referrals.views.record import referral_detail
from referrals.views.sign_off import referral_send, referral_sign
from referrals.views.submission import (
    referral_accept_late,
    referral_close,
    referral_move,
    referral_submit,
    referral_withdraw,
)

__all__ = [
    "all_referrals",
    "awaiting_sign_off",
    "closures_by_panel",
    "evidence_download",
    "evidence_list",
    "evidence_remove",
    "meeting_deadlines",
    "meeting_referrals",
    "my_referrals",
    "option_edit",
    "option_list",
    "option_recommend",
    "option_remove",
    "panels_access",
    "referral_accept_late",
    "referral_close",
    "referral_detail",
    "referral_details",
    "referral_move",
    "referral_section",
    "referral_send",
    "referral_sign",
    "referral_start",
    "referral_submit",
    "referral_tasks",
    "referral_withdraw",
    "meetings_to_submit_to",
]
