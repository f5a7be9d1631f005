"""The API keeps its published contract: Schemathesis over the whole OpenAPI schema.

Every operation of /api/schema/ is called, in process through Django's WSGI application, with
generated requests (valid ones and deliberately wrong ones), and every Schemathesis check runs on
every answer: no server error, only documented status codes and content types, bodies matching the
declared schema, invalid input refused, and so on. A Hampshire demo world exists, so most ids
resolve: about half the generated requests carry a real id in the path instead of a made-up one.

Bounded so CI is fast and deterministic: a fixed number of examples per operation, derandomized.
"""

from __future__ import annotations

import os
import re
import zlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from casework.models import Role, User
from casework.services import api_token_create

schema = schemathesis.pytest.from_fixture("api_schema")
if os.environ.get("ST_ONLY"):  # local focus while fixing: a regular expression of paths
    schema = schema.include(path_regex=os.environ["ST_ONLY"])


@pytest.fixture
def api_world(db):
    """The demo world, and a Hampshire person who holds nearly every role, with a full token."""
    from casework.demo import email_for, load_demo

    load_demo()
    person = User.objects.get(email=email_for("panel.chair", "hants"))
    person.roles = sorted(set(person.roles) | {r for r in Role.values if r != Role.PARTNERSHIP_ADMINISTRATOR})
    person.save(update_fields=["roles"])
    _token, secret = api_token_create(actor=person, user=person, name="Contract test")
    return {
        "person": person,
        "headers": {"Authorization": f"Bearer {secret}"},
        "real_ids": _real_ids(person.agency.partnership),
    }


@pytest.fixture
def wsgi_app(db):
    """Django's own WSGI application, called in this process and this test's transaction.

    Like Django's test client, it must not close the database connection when a request ends: the
    connection holds the test's transaction, and with it the world above.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(request, api_world, wsgi_app):
    # Schemathesis 4.32 renames the running test after each operation through `_nodeid`, which
    # pytest 9.2 no longer has (it keeps `_id`): give it one so its lazy loader can run.
    request.node._nodeid = request.node.nodeid
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=api_world["headers"])


def _real_ids(partnership: str) -> dict[str, list[dict[str, str]]]:
    """For each path shape, a few sets of path parameters naming records of the partnership, with
    nested ids that belong together (an option of that referral, an item of that meeting)."""
    from django.apps import apps

    def rows(label: str, scope: str, **fields: str) -> list[dict[str, str]]:
        model = apps.get_model(label)
        found = model.objects.filter(**{scope: partnership}).order_by("-pk")[:3]
        return [{param: str(getattr(row, attr)) for param, attr in fields.items()} for row in found]

    child = "child__owning_agency__partnership"
    panel = "meeting__panel__partnership"
    return {
        "agencies": rows("casework.Agency", "partnership", id="pk"),
        "teams": rows("casework.Team", "agency__partnership", id="pk"),
        "users": rows("casework.User", "agency__partnership", id="pk"),
        "children": rows("casework.Child", "owning_agency__partnership", id="pk", child_pk="pk"),
        "referrals": rows("referrals.Referral", child, id="pk"),
        "options": rows("referrals.Option", f"referral__{child}", id="referral_id", option_id="pk"),
        "evidence": rows("referrals.Evidence", f"referral__{child}", id="referral_id", evidence_id="pk"),
        "panels": rows("panels.Panel", "partnership", panel_pk="pk"),
        "meetings": rows("panels.Meeting", "panel__partnership", id="pk"),
        "items": rows("panels.AgendaItem", panel, id="meeting_id", item_pk="pk"),
        "agenda-items": rows("panels.AgendaItem", panel, id="pk"),
        "declarations": rows("panels.Declaration", f"agenda_item__{panel}", id="pk"),
        "decisions": rows("panels.Decision", f"agenda_item__{panel}", id="pk"),
        "recommendations": rows("panels.AgencyRecommendation", f"decision__agenda_item__{panel}", id="pk"),
        "letters": rows("panels.DecisionLetter", f"decision__agenda_item__{panel}", id="pk"),
        "actions": rows("panels.Action", "panel__partnership", id="pk"),
        "pack": rows("panels.MeetingPack", panel, id="meeting_id", version="version"),
        "packages": rows("funding.FundingPackage", child, id="pk"),
        "shares": rows("funding.ShareLine", f"version__package__{child}", id="pk"),
        "pathway-cases": rows("pathways.PathwayCase", child, id="pk"),
        "escalations": rows("pathways.Escalation", child, id="pk"),
    }


def _with_real_ids(case, real_ids) -> None:
    """Two requests in three name real records (deterministically: by the generated values), so the
    operation's work is reached, not only its 404. A path made deliberately invalid is left alone."""
    from schemathesis.core.parameters import ParameterLocation

    meta = case.meta
    path_info = meta.components.get(ParameterLocation.PATH) if meta is not None else None
    if not case.path_parameters or (path_info is not None and not path_info.mode.is_positive):
        return
    seed = zlib.crc32(repr(sorted(case.path_parameters.items())).encode())
    if seed % 3 == 0:
        return
    segments = case.operation.path.strip("/").split("/")
    # The innermost resource decides: /meetings/{id}/agenda/items/{item_pk}/ is an item's path.
    for position in range(len(segments) - 1, 0, -1):
        if segments[position].startswith("{") and segments[position - 1] in real_ids:
            choices = real_ids[segments[position - 1]]
            if choices:
                chosen = choices[seed % len(choices)]
                case.path_parameters.update(
                    {name: value for name, value in chosen.items() if name in case.path_parameters}
                )
            return


# What an OpenAPI schema cannot say, so a schema-valid request may still be refused with a 400
# for it: that a referenced id names a record that exists and that the caller can see, and that an
# uploaded file really is the kind of document its name claims. Every other 400 for schema-valid
# input is a failure (the schema promised too much). Each pattern is one whole message.
UNEXPRESSIBLE_RULES = [
    re.compile(r'Invalid pk ".*" - object does not exist\.'),
    re.compile(r"No \w+ with id .* was found among those you can see"),
    re.compile(r"There is no \w+ with that id that you can see"),
    re.compile(r"No \w+ with that id"),
    re.compile(r"No member with id .* on this panel"),
    re.compile(r"No agency with id .* in the panel's partnership"),
    re.compile(r"There is no referral with this number for you"),
    re.compile(r"Choose a current member of this panel"),
    re.compile(r"The selected file must be .*"),
]


def _messages(body) -> list[str]:
    if isinstance(body, str):
        return [body]
    if isinstance(body, dict):
        return [m for value in body.values() for m in _messages(value)]
    if isinstance(body, list):
        return [m for value in body for m in _messages(value)]
    return [repr(body)]


def schema_valid_input_is_accepted(ctx, response, case):
    """Schemathesis's positive_data_acceptance, less the refusals in UNEXPRESSIBLE_RULES."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        try:
            messages = _messages(response.json())
        except ValueError:
            messages = []
        if messages and all(any(rule.fullmatch(m) for rule in UNEXPRESSIBLE_RULES) for m in messages):
            return None
        raise


# Not yet clean (issue 12). Fixed: text and yes/no fields refuse other types, id lists refuse
# objects, empty list filters mean no filter, every 400 shape is the shared one, the NHS number's
# format, money as a bounded string or number, one operation per referral section and per pathway
# kind and step, whole-body PATCHes (letters, minutes) with their required fields. Still failing at
# the last full run (a schema-valid body refused with a 400 unless noted):
# - rules relative to today or to the record: a child's date of birth (25 years), an action's
#   completed_on, a decision's review_date, funding ends_on, Section 117 discharged_on and
#   review held_on (PATCH /api/children/{id}/, POST /api/actions/{id}/close/, POST
#   /api/funding/packages/{id}/end/, POST /api/pathway-cases/{id}/aftercare-plan/ and /reviews/);
# - rules between fields: ehc_plan_date without has_ehc_plan; a decision's fields by outcome
#   (rationale, lead_agency, shares; POST /api/agenda-items/{id}/decision/, PATCH
#   /api/decisions/{id}/, POST /api/decisions/{id}/correct/); a review without review_of (PATCH
#   /api/referrals/{id}/sections/details/); an option's yearly cost over the ceiling;
# - required in fact but not in the schema: PATCH /api/actions/{id}/ `version`, POST
#   /api/referrals/{id}/withdraw/ `reason`, funding `shares` (at least one), DST `scores` (at
#   least one), no NUL characters in text;
# - the record's state: an empty agenda (POST /api/meetings/{id}/circulate/, pinned as a 400 by
#   tests/panels/test_agenda_api.py), an incomplete referral (send-for-sign-off), Section 117
#   end-aftercare already confirmed by one side;
# - GET /api/panels/{panel_pk}/tracker/?meeting_to= (an empty date filter accepted).
# Remove this mark once the run is clean, so it stays that way.
@pytest.mark.xfail(reason="the API contract is not yet clean (issue 12)", strict=False)
@schema.parametrize()
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_its_contract(case, api_world):
    _with_real_ids(case, api_world["real_ids"])
    case.call_and_validate(
        headers=api_world["headers"],
        excluded_checks=[positive_data_acceptance],
        additional_checks=[schema_valid_input_is_accepted],
    )
