"""Every write to a referral. Pages, API, admin and tasks call these.

Each status change is one service that checks the starting state by compare-and-swap (a change no
longer allowed raises InvalidTransition → 409), writes a StatusChange row and an audit event, and
queues notices after the commit. Sources: seeds 002 (request form sections; "all referrals must be
approved by a service manager or panel member prior to being submitted"; papers 7 working days
before the meeting, Joint Funding Panel 3.7; 3.12 closing only once provision is accessed or no
longer needed).

One module per part of the journey: state (what is missing, the content's fingerprint),
transitions (what every change shares), drafting, sign_off, submission, and agenda (the panel's
side). Callers import from `referrals.services`, which names every service here.
"""

from __future__ import annotations

# What the services need from panels (a referral is submitted into a panel's meeting and sits on
# its agenda), imported here once: pyproject's import contract declares these exceptions for
# `referrals.services`, and the modules below take them from this package.
from panels.access import can_chair, panels_visible_to
from panels.models import CHAIRING_ROLES, Meeting, MeetingStatus, Membership, Panel, meeting_deadlines
from referrals.models import EDITABLE_STATUSES, SIGN_OFF_STATUSES
from referrals.services.agenda import (
    PANEL_OUTCOME_STATUSES,
    referral_place_on_agenda,
    referral_record_outcome,
    referral_take_off_agenda,
)
from referrals.services.drafting import (
    evidence_add,
    evidence_record_download,
    evidence_remove,
    option_recommend,
    option_remove,
    option_save,
    referral_create,
    referral_update_section,
    split_agencies,
)
from referrals.services.reassign import REASSIGNABLE_STATUSES, referrals_reassign, referrals_to_reassign
from referrals.services.sign_off import (
    referral_last_move,
    referral_return,
    referral_send_for_sign_off,
    referral_sign,
    signer_stage,
)
from referrals.services.state import (
    ALL_SECTION_FIELDS,
    FINAL_STATUSES,
    OPTION_FIELDS,
    SECTION_FIELDS,
    SECTION_TITLES,
    SECTIONS,
    completeness,
    content_hash,
    current_signatures,
    option_problems,
    section_problems,
    split_problem,
)
from referrals.services.submission import (
    CloseReason,
    _panel_chairs,
    referral_accept_late,
    referral_close,
    referral_move_to_meeting,
    referral_submit,
    referral_withdraw,
    require_closer,
    submission_deadline,
)
from referrals.services.transitions import _service_managers_for, _team_managers_for

__all__ = [
    "ALL_SECTION_FIELDS",
    "CHAIRING_ROLES",
    "EDITABLE_STATUSES",
    "FINAL_STATUSES",
    "OPTION_FIELDS",
    "PANEL_OUTCOME_STATUSES",
    "REASSIGNABLE_STATUSES",
    "SECTIONS",
    "SECTION_FIELDS",
    "SECTION_TITLES",
    "SIGN_OFF_STATUSES",
    "CloseReason",
    "Meeting",
    "MeetingStatus",
    "Membership",
    "Panel",
    "_panel_chairs",
    "_service_managers_for",
    "_team_managers_for",
    "can_chair",
    "completeness",
    "content_hash",
    "current_signatures",
    "evidence_add",
    "evidence_record_download",
    "evidence_remove",
    "meeting_deadlines",
    "option_problems",
    "option_recommend",
    "option_remove",
    "option_save",
    "panels_visible_to",
    "referral_accept_late",
    "referral_close",
    "referral_create",
    "referral_last_move",
    "referral_move_to_meeting",
    "referral_place_on_agenda",
    "referral_record_outcome",
    "referral_return",
    "referral_send_for_sign_off",
    "referral_sign",
    "referral_submit",
    "referral_take_off_agenda",
    "referral_update_section",
    "referral_withdraw",
    "referrals_reassign",
    "referrals_to_reassign",
    "require_closer",
    "section_problems",
    "signer_stage",
    "split_agencies",
    "split_problem",
    "submission_deadline",
]
