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
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from casework.models import Role, User
from casework.services import api_token_create

schema = schemathesis.pytest.from_fixture("api_schema")
if os.environ.get("ST_ONLY"):  # local focus while fixing: a regular expression of paths
    schema = schema.include(path_regex=os.environ["ST_ONLY"])


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker) -> Iterator[dict]:
    """The demo world, and a Hampshire person who holds nearly every role, with a full token.

    Loaded once for the module and rolled back after it: each part below runs in its own savepoint
    inside it (`db`, through `wsgi_app`), so what one part's requests change is gone for the next,
    as if the world had been loaded afresh."""
    from casework.demo import email_for
    from tests.demo_clock import load_demo_for_sweeps

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo_for_sweeps()
        person = User.objects.get(email=email_for("panel.chair", "hants"))
        person.roles = sorted(
            set(person.roles) | {r for r in Role.values if r != Role.PARTNERSHIP_ADMINISTRATOR}
        )
        person.save(update_fields=["roles"])
        _open_an_escalation(person)
        _token, secret = api_token_create(actor=person, user=person, name="Contract test")
        yield {
            "person": person,
            "headers": {"Authorization": f"Bearer {secret}"},
            "real_ids": _real_ids(person.agency.partnership),
        }
        transaction.set_rollback(True)


def _open_an_escalation(person: User) -> None:
    """The demo has no escalation: open one at a Rapid Solutions Group, authorised and chaired by the
    person, for a child of an agency they belong to, so the ladder's steps are reached too."""
    from casework.models import Child
    from pathways.models import EscalationAuthoriser, Seniority
    from pathways.services import escalation_open

    EscalationAuthoriser.objects.update_or_create(
        user=person, defaults={"seniority": Seniority.DIRECTOR, "job_title": "Director", "active": True}
    )
    child = Child.objects.filter(
        involvements__agency=person.agency, involvements__ended_on__isnull=True
    ).first()
    escalation_open(
        actor=person,
        child=child,
        route="placement_breakdown",
        summary="Placement ended at short notice",
        level="rsg",
        authorised_by=person,
        reason="No placement found",
        chair=person,
    )


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
    """The schema, read from /api/schema/ by the module's first part and kept for the others (each
    part's requests still go to its own test's WSGI application)."""
    # Schemathesis 4.32 renames the running test after each operation through `_nodeid`, which
    # pytest 9.2 no longer has (it keeps `_id`): give it one so its lazy loader can run.
    request.node._nodeid = request.node.nodeid
    if "schema" not in api_world:
        api_world["schema"] = schemathesis.openapi.from_wsgi(
            "/api/schema/", wsgi_app, headers=api_world["headers"]
        )
    api_world["schema"].app = wsgi_app
    return api_world["schema"]


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


# What an OpenAPI schema cannot say, so a schema-valid request may still be refused with a 400 for
# it. Every other 400 for schema-valid input is a failure (the schema promised too much). Each pattern
# is one whole message; each rule is also written in its operation's description, for clients.
UNEXPRESSIBLE_RULES = [
    # A referenced id names a record that exists, that the caller can see, and that may be used here
    # (an agency of the panel's partnership, one involved with the child, a senior enough authoriser):
    # a schema types an id, never what it names.
    re.compile(r'Invalid pk ".*" - object does not exist\.'),
    re.compile(r"No \w+ with id .* was found among those you can see"),
    # A decimal sent as a string ("12.50") is typed by a pattern: OpenAPI 3.0 cannot bound the number
    # a string holds, so DRF's min_value/max_value refusals (hours a week from 0.01) are not in it.
    re.compile(r"Ensure this value is (greater|less) than or equal to -?[0-9.]+\."),
    re.compile(r"There is no \w+ with that id that you can see"),
    re.compile(r"No \w+ with that id"),
    re.compile(r"No member with id .* on this panel"),
    re.compile(r"No agency with id .* in the panel's partnership"),
    re.compile(r"There is no referral with this number for you"),
    re.compile(r"Choose a current member of this panel"),
    re.compile(r"Choose one from your agency: no record with id .* was found"),
    re.compile(r"Choose a (social worker|team) from the registering agency"),
    re.compile(r"Choose a key worker from an agency of the panel's partnership"),
    # Giving a person's work (/api/my-work/team/<person>/give/): the receiver is one the caller
    # manages, whose role and reach fit the work given.
    re.compile(r"Choose who to give the work to from the list"),
    re.compile(r".*'s role does not allow (writing referrals|recording funding packages)"),
    re.compile(r".* cannot see \d+ of these (children|packages): choose someone else"),
    re.compile(r".*'s agency is not of the partnership of \d+ of these panels"),
    re.compile(r"Choose (an agency|agencies) of the panel's partnership"),
    re.compile(r"Choose one of this referral's options"),
    re.compile(r"Choose one of the child's funding packages that you can see"),
    re.compile(r"Choose a referral for .*"),
    re.compile(r"Choose an earlier referral for the same child"),
    re.compile(r"Choose a panel of your partnership"),
    re.compile(r"Choose a meeting of (the panel this referral is for|the same panel that is still to come)"),
    re.compile(
        r".* cannot share this cost: choose agencies involved with the child or the panel's host agency"
    ),
    re.compile(r".* is not in this child's partnership: choose an agency of it"),
    re.compile(r"Choose an agency for every line"),
    re.compile(r"Your own agency must pay a share of a package you record"),
    re.compile(r"Choose an agency involved with the child as the lead agency"),
    re.compile(r"Continuing Care is led by an ICB: choose the child's ICB as the lead agency"),
    re.compile(r"Choose a case worker from an agency involved with the child"),
    re.compile(r"Choose agencies involved with .*"),
    re.compile(r"The responsible (ICB|council) must be involved with the child: add it first"),
    re.compile(r"Choose (someone|a chair) from an agency involved with .*"),
    re.compile(r".* is not recorded as a .* or more senior: .* needs one"),
    re.compile(r"Choose a Joint Solutions Panel of .*'s partnership"),
    re.compile(r"Choose the responsible (ICB|council)"),
    re.compile(r"Your agency must be involved with the child to submit an IFR"),
    re.compile(r"There is no such DST care domain"),
    # Two query parameters compared (a report's months: their order and the period's length, at most
    # 24 months, which keeps Attendance's live read bounded) cannot be stated in a schema.
    re.compile(r"Choose \d+ months or fewer"),
    re.compile(r"Must be the same as or after month_from"),
    # Text is trimmed before it is judged, with Python's idea of white space (which takes in U+0085
    # and the other separators that JSON Schema's minLength and ECMAScript's \s do not): text that is
    # only white space is blank. A truly empty string is refused by the schema's minLength already.
    re.compile(r"This field may not be blank\."),
    # An uploaded file really is the kind of document its name claims, and opens: that is in its bytes.
    re.compile(r"The selected file must be .*"),
    re.compile(r"The selected file is damaged and cannot be opened"),
    # An NHS number's check digit (Modulus 11), its issuing ranges and the placeholder numbers are
    # arithmetic over the digits; the schema's pattern gives their format only.
    re.compile(r"Enter a real NHS number: this one is a placeholder"),
    re.compile(r"Enter a valid NHS number: the check digit does not match"),
    re.compile(r"Enter an NHS number issued in England or Wales"),
    # Dates relative to today or to the record: OpenAPI 3.0 has no "today", and a bound that is
    # another stored date (the detention, the action's creation, the meeting) is not in the request.
    re.compile(r"Date of birth must be today or in the past"),
    re.compile(r"Date of birth must be within the last 25 years: .*"),
    re.compile(r"EHC plan date must be today or in the past"),
    re.compile(r"The date completed must be (today or in the past|on or after .*)"),
    re.compile(r"The review date must be after the meeting"),
    re.compile(r"The (end|review) date must be on or after the start date"),
    re.compile(r"The change must take effect after the current version's date .*"),
    re.compile(r"The change cannot take effect before the package starts"),
    re.compile(r"The review date must be today or in the past"),
    re.compile(r"The discharge date must be on or after the date of detention"),
    re.compile(r"The review date must be on or after the date .*"),
    re.compile(r"The checklist cannot be completed before the referral was received"),
    re.compile(r"The decision cannot be before the referral was received"),
    re.compile(r"The package cannot start before the decision .*"),
    re.compile(r"Choose a meeting that is still to come"),
    re.compile(r"The meeting must have been held: the date and time must be now or in the past"),
    re.compile(r"The meeting cannot be before the group was set up .*"),
    re.compile(r"An Exceptional Resourcing Group meets at most once every \d+ days: .*"),
    re.compile(r"The review must have been held: the date must be today or in the past"),
    re.compile(r"The date must be today or in the past"),
    re.compile(r"Decisions are recorded on the day of the meeting or after: this meeting is on .*"),
    # casework.cetr: a CETR held, or a senior person's override (whitespace is no answer).
    re.compile(r"The date the CETR was held must be today or in the past"),
    re.compile(r".* is not a service manager or panel chair: going ahead without a CETR needs one"),
    re.compile(
        r".* is not named by the partnership as a .* or more senior: going ahead without a CETR needs one"
    ),
    re.compile(r"Enter the CETR's outcome and recommendations"),
    re.compile(r"Enter their role, for example Service Group Manager"),
    re.compile(r"Enter why the CETR is being overridden"),
    re.compile(r"The report cannot be before the group was established"),
    # Rules between fields: what one field needs depends on another's value (the outcome, the share's
    # basis, the cost and its period); OpenAPI 3.0 has no "if".
    re.compile(r"Remove the EHC plan date, or say the child has an EHC plan"),
    re.compile(r"Enter the (rationale for the decision|reasons for declining)"),
    re.compile(r"Enter the conditions of the agreement"),
    re.compile(r"This referral has no recommended option: choose the preferred option"),
    re.compile(r"Agreed as recommended means the recommended option .*"),
    re.compile(r"Choose the (option agreed|lead agency)"),
    re.compile(r"Enter the (agreed cost|review date)"),
    re.compile(r"Choose how often the cost is paid"),
    re.compile(r"Say which agencies pay what share( of the cost)?"),
    re.compile(r"Name each agency once"),
    re.compile(r"Give each agency one line only"),
    re.compile(r"Use either percentages or amounts for every agency, not both"),
    re.compile(r"No percentage can be more than 100%"),
    re.compile(r"The percentages add up to .*%, not 100%"),
    re.compile(r"The amounts add up to £.*, not the (agreed )?cost of £.*"),
    re.compile(r"Choose the earlier referral whose funding this reviews"),
    re.compile(r"That (comes to £.* a year, more than|is more than) £.*: check the figure"),
    # An option's cost, or its hours a week and hourly rate together (issue 15).
    re.compile(
        r"Enter the (cost, or the hours a week and the hourly rate|hourly rate, or leave the hours a week "
        r"blank|hours a week, or leave the hourly rate blank)"
    ),
    re.compile(r"Say why the change is backdated"),
    re.compile(r"Nothing has changed: change the cost, split, dates or provider"),
    re.compile(r"Choose a level of need for .*"),
    re.compile(r".* cannot be scored .*: choose .*"),
    re.compile(r"The DST prompt suggests .*: give a reason for recommending otherwise"),
    re.compile(r"Give the reasons the request was declined"),
    re.compile(r"Say what more information the panel needs"),
    # The record's state: what is already there decides (an agenda with no item, a referral with a
    # section still to write, an item that is not a referral, one side's confirmation already given).
    re.compile(r"Add at least one item to the agenda before circulating it"),
    re.compile(r"Decisions are made on referrals on the agenda"),
    re.compile(r"Complete section .*"),
    re.compile(r"Enter your relationship to the child"),
    re.compile(r"Enter the IRO's comments on the proposed plan: the child is looked after"),
    re.compile(
        r"Say whether (this might change the school placement or affect the child's education|"
        r"the child has an EHC plan|this has been discussed with the SEN team|"
        r"the school is mainstream, special or other)"
    ),
    re.compile(r"Enter the SEN team's comments"),
    re.compile(r"Enter the current school, or 'not in school'"),
    re.compile(r"Enter (the reason for referral|a summary of the circumstances)"),
    re.compile(r"Add at least one option with its cost"),
    re.compile(r"Choose the option you recommend"),
    re.compile(r"Option \d+: .*"),
    re.compile(r"Attach at least one piece of evidence"),
    re.compile(r"The (council|ICB) has already confirmed: the other agency must confirm too"),
    re.compile(r"Aftercare cannot end while a community treatment order is in force"),
    re.compile(r"Score every DST care domain first\. Not yet scored: .*"),
    re.compile(
        r".*: record the Care, Education and Treatment Review first, or give the reason for a senior override"
    ),
    re.compile(r"Escalating without a CETR is a senior override: it needs a .* or more senior"),
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


# The schema in parts, one test each, so that a parallel run (pytest-xdist) shares the work between
# its workers: one test over every operation would keep one worker busy for most of the run. Each part
# holds a handful of operations (about ten seconds of requests); every operation is in exactly one
# (test_every_operation_is_in_exactly_one_part).
PARTS = {
    "me_and_my_work": r"^/api/(me|my-work|reports)/",
    "directory": r"^/api/(agencies|teams|users|access-requests)/",
    "children": r"^/api/children/(?![^/]+/(escalations|pathway-cases|cetr)/)",
    "children_s_cetr": r"^/api/children/[^/]+/cetr/",
    "children_s_cases": r"^/api/children/[^/]+/(escalations|pathway-cases)/",
    "referrals": r"^/api/referrals/(?![^/]+/(sections|close|return|send-for-sign-off|sign|submit|withdraw)/)",
    "referral_sections": r"^/api/referrals/[^/]+/sections/",
    "referral_steps": r"^/api/referrals/[^/]+/(close|return|send-for-sign-off|sign|submit|withdraw)/",
    "panels_and_actions": r"^/api/(panels|actions)/",
    "meeting_agenda": r"^/api/meetings/(?![^/]+/(attendance|quorum|declarations|letters|minutes|pack)/)",
    "meeting_day": r"^/api/meetings/[^/]+/(attendance|quorum|declarations|letters)/",
    "meeting_minutes_and_pack": r"^/api/meetings/[^/]+/(minutes|pack)/",
    "items_and_declarations": r"^/api/(agenda-items|declarations)/",
    "decisions": r"^/api/decisions/",
    "letters_and_recommendations": r"^/api/(letters|recommendations)/",
    "funding": r"^/api/funding/(?!shares/)",
    "funding_shares": r"^/api/funding/shares/",
    "pathway_cases": r"^/api/pathway-cases/(?![^/]+/(ifr-|aftercare-plan/|end-aftercare/|mdt/))",
    "ifr_s117_and_complex_lives": r"^/api/pathway-cases/[^/]+/(ifr-|aftercare-plan/|end-aftercare/|mdt/)",
    "escalations": r"^/api/escalations/",
}
_BOUNDED = settings(max_examples=10, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))


def _keeps_its_contract(case, api_world) -> None:
    _with_real_ids(case, api_world["real_ids"])
    case.call_and_validate(
        headers=api_world["headers"],
        excluded_checks=[positive_data_acceptance],
        additional_checks=[schema_valid_input_is_accepted],
    )


def _contract_test_for(part: str):
    """test_<part>_api_keeps_its_contract: every operation of the part, through Schemathesis."""

    def test(case, api_world):
        _keeps_its_contract(case, api_world)

    test.__name__ = test.__qualname__ = f"test_{part}_api_keeps_its_contract"
    return schema.include(path_regex=PARTS[part]).parametrize()(_BOUNDED(test))


for _part in PARTS:
    globals()[f"test_{_part}_api_keeps_its_contract"] = _contract_test_for(_part)


def test_every_operation_is_in_exactly_one_part():
    """A new kind of path in the API is checked too: it must be given to one part above."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert len(paths) > 100
    unplaced = {path: [name for name, rule in PARTS.items() if re.match(rule, path)] for path in paths}
    assert {path: parts for path, parts in unplaced.items() if len(parts) != 1} == {}
