"""Every write to the core domain. Pages, API, admin, commands and tasks all call these.

Each service is keyword-only, atomic, validates with full_clean(), checks the actor's role and
writes an audit event. Nothing changes without an actor.

One module per part of the domain: children (a child's record, parents and carers, involved
agencies), access_requests (asking another agency for a record), organisations (agencies, teams,
people, notices), api_tokens; common holds InvalidTransition (409) and the actor checks. Callers
name them all from here (`from casework import services`, `casework.services.InvalidTransition`).
"""

from __future__ import annotations

from casework.services.access_requests import (
    ACCESS_ASK_ANSWER,
    ACCESS_ASKED,
    AccessAsk,
    AccessAskOutcome,
    access_ask_limit_message,
    access_request_ask,
    access_request_create,
    access_request_decline,
    access_request_from_ask,
    access_request_grant,
)
from casework.services.api_tokens import api_token_create, api_token_revoke
from casework.services.children import (
    CHILD_FIELDS,
    PARENT_CARER_FIELDS,
    DuplicateNHSNumber,
    NHSNumberHeldElsewhere,
    child_grant_view,
    child_register,
    child_revoke_view,
    child_update,
    involvement_add,
    involvement_add_for_funding,
    involvement_end,
    parent_carer_add,
    parent_carer_remove,
    parent_carer_update,
)
from casework.services.common import InvalidTransition
from casework.services.organisations import (
    agency_create,
    notifications_mark_read,
    record_admin_change,
    team_create,
    user_create,
)

__all__ = [
    "ACCESS_ASKED",
    "ACCESS_ASK_ANSWER",
    "CHILD_FIELDS",
    "PARENT_CARER_FIELDS",
    "AccessAsk",
    "AccessAskOutcome",
    "DuplicateNHSNumber",
    "InvalidTransition",
    "NHSNumberHeldElsewhere",
    "access_ask_limit_message",
    "access_request_ask",
    "access_request_create",
    "access_request_decline",
    "access_request_from_ask",
    "access_request_grant",
    "agency_create",
    "api_token_create",
    "api_token_revoke",
    "child_grant_view",
    "child_register",
    "child_revoke_view",
    "child_update",
    "involvement_add",
    "involvement_add_for_funding",
    "involvement_end",
    "notifications_mark_read",
    "parent_carer_add",
    "parent_carer_remove",
    "parent_carer_update",
    "record_admin_change",
    "team_create",
    "user_create",
]
