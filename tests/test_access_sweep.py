"""The access sweep (issue 12): every URL pattern of the project, pages and API, generated from the URL
conf, asked for by every role of another partnership, of an agency of the same partnership that is
not involved, and of the record's own agencies.

One realistic Hampshire world: Amelia Hart, with the ICB involved, a referral on a circulated IRAP
agenda with evidence and an option, the meeting held with a declaration, a signed decision with its
shares and a recommendation, draft minutes, a prepared letter, an action, a ready pack, a funding
package from the decision, a Continuing Care, Section 117, Complex Lives and IFR case, an escalation,
an access request, a parent and an API token.

Another partnership (Leicester) gets 404 for every URL naming a Hampshire record, never 403: the
same answer as for a record that does not exist. Each app's URL modules are checked to be mounted
and walked (test_every_app_s_url_modules_are_swept).

Each URL's converters are filled from RECORD_FOR_KWARG (and, for "pk", the collection the path
names: RECORD_FOR_COLLECTION). A new URL with a kwarg or collection not listed fails the sweep, so
nothing can be added without being swept. Every request runs in a savepoint that is rolled back, so
an empty POST that happens to succeed changes nothing for the requests after it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, clear_url_caches, get_resolver, path, reverse

from casework import services as casework_services
from casework.cetr import cetr_record
from casework.models import (
    AccessRequest,
    AgencyKind,
    BackgroundJob,
    Involvement,
    JobStatus,
    ParentCarer,
    Role,
)
from funding import services as funding_services
from moving_in.models import ImportBatch
from panels import services as panel_services
from panels.models import AgencyRecommendation, ClosureDay, Declaration, MeetingPack, Membership
from pathways import services as escalation
from pathways import services as pathway_services
from pathways.models import EscalationAuthoriser, EscalationLevel, EscalationRoute, Seniority
from tests.factories import (
    ActionFactory,
    AgencyFactory,
    ChildFactory,
    MeetingFactory,
    PanelFactory,
    TeamFactory,
    UserFactory,
    agenda_item_for,
    attendance_for,
    signed_decision_for,
)
from tests.panels.conftest import MEETING_DAY, at, seat, submit_referral
from tests.referrals.test_journey_services import MINIMAL_PDF

pytestmark = pytest.mark.django_db

D = dt.date
ALL_ROLES = list(Role)

# --- What each converter is filled with -----------------------------------------------------------

# "pk" is named by the collection before it in the path ("referrals/<pk>/" is a referral).
RECORD_FOR_COLLECTION = {
    "children": "child",
    "referrals": "referral",
    "meetings": "meeting",
    "panels": "panel",
    "recommendations": "recommendation",
    "letters": "letter",
    "actions": "action",
    "packages": "package",
    "shares": "share",
    "cases": "case",
    "pathway-cases": "case",
    "escalations": "escalation",
    "agencies": "agency",
    "teams": "team",
    "users": "user",
    "agenda-items": "item",
    "declarations": "declaration",
    "decisions": "decision",
    "api-tokens": "token",
    "people": "user",
    "team": "user",
    "escalation-authorisers": "authoriser",
    "background-work": "background_job",
    "batches": "import_batch",
}

# Every other converter, by its name.
RECORD_FOR_KWARG = {
    "child_pk": "child",
    "meeting_pk": "meeting",
    "panel_pk": "panel",
    "request_pk": "access_request",
    "person_pk": "parent_carer",
    "record_pk": "cetr",
    "involvement_pk": "involvement",
    "option_pk": "option",
    "option_id": "option",
    "evidence_pk": "evidence",
    "evidence_id": "evidence",
    "item_pk": "item",
    "declaration_pk": "declaration",
    "decision_pk": "decision",
    "letter_pk": "letter",
    "membership_pk": "membership",
    "closure_pk": "closure_day",
    "version": "pack_version",
    "token_pk": "token",
}


def _start_kinds():
    from pathways.views.cases import START_KINDS

    return list(START_KINDS)


def _api_start_kinds():
    from pathways.api.cases import OPENERS

    return list(OPENERS)


def _case_actions():
    from pathways.api.cases import ACTIONS

    return list(ACTIONS)


def _escalation_actions():
    from pathways.api.escalations import ACTIONS

    return list(ACTIONS)


def _sections():
    from referrals.services import SECTION_FIELDS

    return list(SECTION_FIELDS)


# Converters that name a word rather than a record: every word the view knows is swept.
WORDS_FOR_KWARG = {
    "section": _sections,
    "kind": lambda name: _api_start_kinds() if name.startswith("api-") else _start_kinds(),
    "action": lambda name: _escalation_actions() if "escalation" in name else _case_actions(),
    "level": lambda name: [level.value for level in EscalationLevel],
    "format": lambda name: ["json"],
    # My work's "See all" page of one heading (casework.my_work.group_headings).
    "group": lambda name: ["your-referrals"],
    # A set-password link whose token is wrong: a page anyone may reach, naming no record.
    "uidb64": lambda name: ["MQ"],
    "token": lambda name: ["set-password-bad-token"],
}

# A pathway page for one kind of case is answered for that kind only: the case it is swept with.
CASE_FOR_URL_NAME = {
    "pathways:s117_plan": "s117_case",
    "pathways:s117_end": "s117_case",
    "pathways:mdt_add": "cl_case",
    "pathways:ifr_decision": "ifr_case",
    "pathways:ifr_information": "ifr_case",
    "pathways:ifr_appeal": "ifr_case",
}


# A few doors are for one particular record of the kind (a service account's tokens).
RECORD_FOR_URL_NAME = {
    ("administration:token_new", "pk"): "service_account",
    ("administration:token_revoke", "pk"): "service_account",
    ("administration:token_revoke", "token_pk"): "service_token",
}

MISSING_ID = "987654321"


@dataclass(frozen=True)
class Door:
    """One URL of the project filled with the Hampshire world's ids. `missing(records)` is the same
    URL with those records' ids replaced by one that does not exist: what a refusal must look like."""

    name: str
    route: str
    url: str
    kwargs: tuple[tuple[str, str, str | None], ...]  # (kwarg, value, record or None for a word)
    first_word: bool = True  # the first of the words swept for its pattern
    urlconf: object = None
    view: str = ""  # the view (and viewset action) that answers it

    @property
    def records(self) -> frozenset[str]:
        return frozenset(record for _k, _v, record in self.kwargs if record)

    def missing(self, records) -> str:
        values = {k: (MISSING_ID if record in records else v) for k, v, record in self.kwargs}
        return reverse(self.name, kwargs=values, urlconf=self.urlconf)


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace and namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner or namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def _collection_before(route: str, kwarg: str) -> str | None:
    found = re.search(rf"([A-Za-z0-9_-]+)/\^?(?:<(?:\w+:)?{kwarg}>|\(\?P<{kwarg}>)", route)
    return found.group(1) if found else None


def _record_for(route: str, name: str, kwarg: str) -> str | None:
    if (name, kwarg) in RECORD_FOR_URL_NAME:
        return RECORD_FOR_URL_NAME[(name, kwarg)]
    if kwarg != "pk":
        return RECORD_FOR_KWARG.get(kwarg)
    record = RECORD_FOR_COLLECTION.get(_collection_before(route, "pk") or "")
    if record == "case":
        record = CASE_FOR_URL_NAME.get(name, "cc_case")
    return record


def _view_of(entry: URLPattern) -> str:
    actions = getattr(entry.callback, "actions", None) or {}
    return f"{entry.lookup_str} {sorted(actions.items())}"


def one_per_view(made: list[Door]) -> list[Door]:
    """The first door of each view: people whose role changes nothing about the scoping ask these."""
    seen: set[str] = set()
    return [door for door in made if not (door.view in seen or seen.add(door.view))]


def doors(world, urlconf=None) -> tuple[list[Door], list[str]]:
    """Every URL of the URL conf filled with the world's ids, and the patterns that could not be."""
    made: list[Door] = []
    unknown: list[str] = []
    for route, namespace, entry in _walk(get_resolver(urlconf).url_patterns):
        if entry.name is None:
            unknown.append(f"{route}: has no name")
            continue
        name = f"{namespace}:{entry.name}" if namespace else entry.name
        kwargs_in_route = [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)]
        choices: list[list[tuple[str, str, str | None]]] = [[]]
        problem = None
        for kwarg in kwargs_in_route:
            record = _record_for(route, name, kwarg)
            if record is not None:
                value = str(getattr(world.ids, record))
                choices = [[*chosen, (kwarg, value, record)] for chosen in choices]
            elif kwarg in WORDS_FOR_KWARG:
                words = WORDS_FOR_KWARG[kwarg]
                values = words() if kwarg == "section" else words(name)
                choices = [[*chosen, (kwarg, word, None)] for chosen in choices for word in values]
            else:
                problem = f"{route} ({name}): no Hampshire record for <{kwarg}>"
                break
        if problem:
            unknown.append(problem)
            continue
        found = []
        for chosen in choices:
            try:
                found.append((reverse(name, kwargs={k: v for k, v, _r in chosen}, urlconf=urlconf), chosen))
            except NoReverseMatch:
                continue  # a word this pattern does not take (it has its own pattern)
        if not found:
            # A pattern for the words the view does not know ("unknown section"): one made-up word.
            chosen = [(k, v if r else "no-such-word", r) for k, v, r in choices[0]]
            found.append((reverse(name, kwargs={k: v for k, v, _r in chosen}, urlconf=urlconf), chosen))
        for number, (url, chosen) in enumerate(found):
            made.append(
                Door(
                    name=name,
                    route=route,
                    url=url,
                    kwargs=tuple(chosen),
                    first_word=number == 0,
                    urlconf=urlconf,
                    view=_view_of(entry),
                )
            )
    return made, unknown


# --- The Hampshire world ----------------------------------------------------------------------------


def _one_of_each_role(agency, place: str, domain: str) -> list:
    return [
        UserFactory(
            email=f"{role.value}@{domain}",
            full_name=f"{place} {role.label}",
            agency=agency,
            roles=[role],
            delegated_limit=Decimal("1000000.00") if role == Role.FINANCE_APPROVER else None,
        )
        for role in Role
    ]


def _tiny_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[SimpleNamespace]:
    """The Hampshire world, built once for the module (the sweep's parts below share it) and rolled
    back after it. Every request of the sweep runs in a savepoint that is rolled back (`ask`), so no
    part sees what another part's requests did. The clock stands at 16:00 on the meeting's day for
    the whole module; stored files go to the module's own folder."""
    files = override_settings(PRIVATE_STORAGE_ROOT=tmp_path_factory.mktemp("sweep") / "private")
    traveller = time_machine.travel(at(D(2026, 3, 2)), tick=False)
    with files, django_db_blocker.unblock(), transaction.atomic():
        clock = traveller.start()
        try:
            yield _build_world(clock)
        finally:
            traveller.stop()
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def private_storage():
    """Not a folder per test (tests/conftest.py): the module's world keeps its files for the module."""
    return settings.PRIVATE_STORAGE_ROOT


def _personas() -> SimpleNamespace:
    """The people of tests/conftest.py and tests/panels/conftest.py this world needs, made once for
    the module rather than per test (their fixtures are function-scoped)."""
    hampshire = AgencyFactory(
        name="Hampshire County Council Children's Services",
        kind=AgencyKind.CHILDRENS_SERVICES,
        partnership="Hampshire and Isle of Wight",
    )
    hiow_icb = AgencyFactory(
        name="NHS Hampshire and Isle of Wight ICB",
        kind=AgencyKind.ICB,
        ods_code="QRL",
        partnership="Hampshire and Isle of Wight",
    )
    leicester = AgencyFactory(
        name="Leicester City Council Children's Services",
        kind=AgencyKind.CHILDRENS_SERVICES,
        partnership="Leicester, Leicestershire and Rutland",
    )
    team = TeamFactory(agency=hampshire, name="Children with Disabilities Team (North)")

    def person(email, name, agency, *roles, limit=None, teams=()):
        made = UserFactory(
            email=email, full_name=name, agency=agency, roles=list(roles), delegated_limit=limit
        )
        made.teams.add(*teams)
        return made

    hants, nhs = "hants.example.gov.uk", "hiow.example.nhs.uk"
    people = SimpleNamespace(
        hampshire=hampshire,
        hiow_icb=hiow_icb,
        leicester=leicester,
        social_worker=person(
            f"sam.okafor@{hants}", "Sam Okafor", hampshire, Role.SOCIAL_WORKER, teams=[team]
        ),
        team_manager=person(f"tara.bell@{hants}", "Tara Bell", hampshire, Role.TEAM_MANAGER, teams=[team]),
        service_manager=person(f"sunita.rao@{hants}", "Sunita Rao", hampshire, Role.SERVICE_MANAGER),
        panel_chair=person(
            f"peter.chair@{hants}", "Peter Hale", hampshire, Role.PANEL_CHAIR, Role.PANEL_MEMBER
        ),
        auditor=person(f"audrey.check@{hants}", "Audrey Check", hampshire, Role.AUDITOR),
        council_finance=person(
            f"fiona.cash@{hants}", "Fiona Cash", hampshire, Role.FINANCE_APPROVER, limit=Decimal("100000.00")
        ),
        icb_finance=person(
            f"ian.ledger@{nhs}", "Ian Ledger", hiow_icb, Role.FINANCE_APPROVER, limit=Decimal("250000.00")
        ),
        clinician=person(f"nadia.nurse@{nhs}", "Nadia Khan", hiow_icb, Role.HEALTH_ASSESSOR),
        outsider=person(
            "olive.stranger@leicester.example.gov.uk",
            "Olive Stranger",
            leicester,
            Role.SOCIAL_WORKER,
            Role.TEAM_MANAGER,
            Role.SERVICE_MANAGER,
            Role.AUDITOR,
        ),
        panel_admin=person(f"adam.clerk@{hants}", "Adam Clerk", hampshire, Role.PANEL_ADMINISTRATOR),
        council_member=person(f"paula.member@{hants}", "Paula Member", hampshire, Role.PANEL_MEMBER),
        icb_member=person(f"irene.grant@{nhs}", "Irene Grant", hiow_icb, Role.PANEL_MEMBER),
        second_icb_member=person(f"ivan.moss@{nhs}", "Ivan Moss", hiow_icb, Role.PANEL_MEMBER),
    )
    for name, given, family in (("child", "Amelia", "Hart"), ("another_child", "Ben", "Lowe")):
        setattr(
            people,
            name,
            ChildFactory(
                given_name=given,
                family_name=family,
                owning_agency=hampshire,
                created_by=people.social_worker,
                allocated_social_worker=people.social_worker,
                involved=[hiow_icb],
            ),
        )
    # Hampshire IRAP, quorate with two members from each of the council and the ICB.
    irap = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    irap.quorum_agencies.set([hampshire, hiow_icb])
    for member, agency, role in [
        (people.panel_chair, hampshire, "chair"),
        (people.council_member, hampshire, "member"),
        (people.icb_member, hiow_icb, "member"),
        (people.second_icb_member, hiow_icb, "member"),
        (people.panel_admin, hampshire, "administrator"),
    ]:
        Membership.objects.create(
            panel=irap, person=member, agency=agency, role=role, starts_on=D(2026, 1, 1)
        )
    people.irap = irap
    people.irap_meeting = MeetingFactory(panel=irap, date=MEETING_DAY)
    return people


def _build_world(clock) -> SimpleNamespace:
    from casework.pdf import store_pdf

    made = _personas()
    hampshire, hiow_icb, leicester = made.hampshire, made.hiow_icb, made.leicester
    child, another_child, irap, irap_meeting = made.child, made.another_child, made.irap, made.irap_meeting
    panel_admin, panel_chair, council_member = made.panel_admin, made.panel_chair, made.council_member
    icb_member, social_worker, team_manager = made.icb_member, made.social_worker, made.team_manager
    service_manager, council_finance, icb_finance = (
        made.service_manager,
        made.council_finance,
        made.icb_finance,
    )
    clinician, auditor, outsider = made.clinician, made.auditor, made.outsider

    def make_submitted(*, child=child):
        return submit_referral(
            child=child,
            meeting=irap_meeting,
            social_worker=social_worker,
            team_manager=team_manager,
            service_manager=service_manager,
            hampshire=hampshire,
            hiow_icb=hiow_icb,
        )

    sen = AgencyFactory(
        name="Hampshire County Council SEN", kind=AgencyKind.SEN, partnership=hampshire.partnership
    )
    referral = make_submitted()
    other_referral = make_submitted(child=another_child)
    item = agenda_item_for(referral=referral, meeting=irap_meeting, actor=panel_admin, position=1)
    agenda_item_for(referral=other_referral, meeting=irap_meeting, actor=panel_admin, position=2)
    irap_meeting.refresh_from_db()
    panel_services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=irap_meeting.version)
    stored = store_pdf(_tiny_pdf())
    # Circulating queued a pack; it is made ready here without rendering the papers (slow).
    pack, _ = MeetingPack.objects.update_or_create(
        meeting=irap_meeting,
        version=1,
        defaults={
            "fingerprint": "sweep",
            "status": "ready",
            "pdf_name": stored.name,
            "pdf_sha256": stored.sha256,
            "page_count": 1,
            "requested_by": panel_admin,
        },
    )
    closure = ClosureDay.objects.create(panel=irap, day=D(2026, 12, 29), reason="Christmas shutdown")

    clock.move_to(at(MEETING_DAY, 16), tick=False)
    attendance_for(irap_meeting, panel_chair, council_member, icb_member, recorded_by=panel_admin)
    declaration = Declaration.objects.create(
        agenda_item=item,
        membership=seat(irap, council_member),
        interest="Knows the family through a school governors' board",
        action="no_part_in_decision",
        recorded_by=panel_admin,
    )
    decision = signed_decision_for(
        item,
        chair=panel_chair,
        shares=[(hampshire, "50", "743.20"), (hiow_icb, "50", "743.20")],
        lead_agency=hampshire,
        key_worker=social_worker,
        option=referral.options.first(),
        starts_on=D(2026, 5, 1),
    )
    recommendation = AgencyRecommendation.objects.create(
        decision=decision, agency=hiow_icb, due_on=D(2026, 4, 14)
    )
    minutes = panel_services.minutes_draft(actor=panel_admin, meeting=irap_meeting)
    letter = panel_services.letter_prepare(actor=panel_admin, decision=decision)
    # Their PDFs as if rendered (WeasyPrint is slow and tested elsewhere).
    for made in (minutes, letter):
        type(made).objects.filter(pk=made.pk).update(pdf_name=stored.name, pdf_sha256=stored.sha256)
    action = ActionFactory(panel=irap, meeting=irap_meeting, owners=[social_worker], created_by=panel_admin)
    package = funding_services.package_create_from_decision(actor=panel_admin, decision=decision)
    share = package.share_lines.get(agency=hampshire)

    cc_case = pathway_services.cc_open(
        actor=social_worker,
        child=child,
        lead_agency=hiow_icb,
        case_worker=clinician,
        referral_received_on=D(2026, 4, 1),
    )
    s117_case = pathway_services.s117_open(
        actor=social_worker,
        child=child,
        lead_agency=hampshire,
        case_worker=social_worker,
        fields={
            "detention_section": "3",
            "detained_on": D(2025, 11, 3),
            "discharged_on": D(2026, 1, 12),
            "cto_in_force": False,
            "responsible_icb": hiow_icb,
            "responsible_council": hampshire,
            "ordinary_residence": "Basingstoke, with her mother",
        },
    )
    cl_case = pathway_services.complex_lives_open(
        actor=social_worker,
        child=child,
        lead_agency=hampshire,
        case_worker=social_worker,
        unmet_need="Sleep disorder with no commissioned service",
        # Needed while her Continuing Care case is open (pathways.services.complex_lives_open).
        reason="Continuing Care assesses her health needs; the sleep disorder has no service",
    )
    ifr_case = pathway_services.ifr_submit(
        actor=clinician, child=child, treatment="Off-licence drug X", exceptionality="Unique presentation"
    )
    EscalationAuthoriser.objects.create(
        user=service_manager, seniority=Seniority.SERVICE_GROUP_MANAGER, job_title="Service Group Manager"
    )
    found_escalation = escalation.escalation_open(
        actor=social_worker,
        child=child,
        route=EscalationRoute.EMERGENCY,
        summary="In A&E since Saturday; no safe placement to go to",
        level=EscalationLevel.RSG,
        authorised_by=service_manager,
        reason="No placement can be found through usual routes",
        chair=clinician,
    )
    parent = ParentCarer.objects.create(child=child, name="Jo Hartwell-Parent", relationship="Mother")
    access_request = AccessRequest.objects.create(
        child=child,
        requested_by=outsider,
        requesting_agency=leicester,
        owning_agency=hampshire,
        reason="Moved to Leicester last week",
    )
    token, _secret = casework_services.api_token_create(actor=social_worker, user=social_worker, name="Sweep")
    cetr = cetr_record(
        actor=social_worker,
        child=child,
        referral=referral,
        held_on=dt.date(2026, 2, 20),
        outcome="Community placement with 2:1 support",
        report=SimpleUploadedFile("cetr-report.pdf", MINIMAL_PDF),
    )
    authoriser = EscalationAuthoriser.objects.get(user=service_manager)
    partnership_admin = UserFactory(
        email="pat.admin@hants.example.gov.uk",
        full_name="Pat Steward",
        agency=hampshire,
        roles=[Role.PARTNERSHIP_ADMINISTRATOR],
    )
    # Records the IFR panel's decisions: an administrator of an NHS body (pathways.access).
    ifr_admin = UserFactory(
        email="imogen.reed@hiow.example.nhs.uk",
        full_name="Imogen Reed",
        agency=hiow_icb,
        roles=[Role.PANEL_ADMINISTRATOR],
    )
    service_account = UserFactory(
        email="finance-system@hants.example.gov.uk",
        full_name="Hampshire finance system",
        agency=hampshire,
        roles=[Role.FINANCE_APPROVER],
        is_service_account=True,
    )
    service_token, _secret = casework_services.api_token_create(
        actor=partnership_admin, user=service_account, name="Ledger", scope="read_only"
    )

    ids = SimpleNamespace(
        child=child.pk,
        referral=referral.pk,
        meeting=irap_meeting.pk,
        panel=irap.pk,
        recommendation=recommendation.pk,
        letter=letter.pk,
        action=action.pk,
        package=package.pk,
        share=share.pk,
        cc_case=cc_case.pk,
        s117_case=s117_case.pk,
        cl_case=cl_case.pk,
        ifr_case=ifr_case.pk,
        escalation=found_escalation.pk,
        agency=hampshire.pk,
        team=social_worker.teams.first().pk,
        user=social_worker.pk,
        item=item.pk,
        declaration=declaration.pk,
        decision=decision.pk,
        token=token.pk,
        access_request=access_request.pk,
        parent_carer=parent.pk,
        cetr=cetr.pk,
        involvement=Involvement.objects.get(child=child, agency=hiow_icb).pk,
        option=referral.options.first().pk,
        evidence=referral.evidence.first().pk,
        membership=seat(irap, icb_member).pk,
        closure_day=closure.pk,
        pack_version=pack.version,
        authoriser=authoriser.pk,
        service_account=service_account.pk,
        service_token=service_token.pk,
        background_job=BackgroundJob.objects.create(
            kind="notice.email",
            object_id=0,
            partnership=hampshire.partnership,
            status=JobStatus.FAILED,
            summary="Hampshire's e-mail",
        ).pk,
        # An import of Hampshire's children at its dry run (moving_in), made straight in the table.
        import_batch=ImportBatch.objects.create(
            agency=hampshire,
            partnership=hampshire.partnership,
            file_name="hampshire.csv",
            file_size=1,
            file_sha256="0" * 64,
            file_type="csv",
            status="checked",
            created_by=partnership_admin,
        ).pk,
    )
    # What must never reach anyone outside: the children's names, NHS and case numbers.
    secrets = []
    for kid in (child, another_child):
        secrets += [
            rf"\b{re.escape(kid.given_name)}\b",
            rf"\b{re.escape(kid.family_name)}\b",
            re.escape(kid.nhs_number),
            re.escape(f"{kid.nhs_number[:3]} {kid.nhs_number[3:6]} {kid.nhs_number[6:]}"),
            re.escape(kid.case_number),
        ]
    return SimpleNamespace(
        ids=ids,
        secrets=re.compile("|".join(secrets).encode()),
        hampshire=hampshire,
        hiow_icb=hiow_icb,
        sen=sen,
        leicester=leicester,
        people=SimpleNamespace(
            social_worker=social_worker,
            team_manager=team_manager,
            service_manager=service_manager,
            panel_admin=panel_admin,
            panel_chair=panel_chair,
            council_finance=council_finance,
            icb_finance=icb_finance,
            clinician=clinician,
            auditor=auditor,
            icb_member=icb_member,
            partnership_admin=partnership_admin,
            ifr_admin=ifr_admin,
            outsider=outsider,
        ),
        leicester_people=[outsider, *_one_of_each_role(leicester, "Leicester", "leicester.example.gov.uk")],
        sen_people=_one_of_each_role(sen, "Hampshire SEN", "hants-sen.example.gov.uk"),
    )


# --- Asking -----------------------------------------------------------------------------------------

# Records that belong to a child: an agency of the partnership that is not involved gets 404.
CHILD_RECORDS = {
    "child",
    "referral",
    "option",
    "evidence",
    "package",
    "share",
    "cc_case",
    "s117_case",
    "cl_case",
    "ifr_case",
    "escalation",
    "parent_carer",
    "cetr",
    "involvement",
    "access_request",
    "decision",
    "letter",
    "recommendation",
    "item",
    "declaration",
    "pack_version",
}
# Records another partnership may read: none. Even the directory of agencies and teams is the
# partnership's own (tests/casework/test_api.py::test_agencies_and_teams_are_the_partnership_s_directory).
DIRECTORY_RECORDS: set[str] = set()
# The API's other methods (the pages take GET and POST only).
WRITES = ("post", "put", "patch", "delete")
# Signing out would end the sweeping person's session for the doors after it.
NOT_POSTED = {"logout"}


def ask(client: Client, method: str, url: str, **extra):
    """One request in a savepoint that is rolled back: an empty POST that succeeds changes nothing.
    The body is read inside, so a streamed file is read while its rows still exist."""
    with transaction.atomic():
        response = getattr(client, method)(url, **extra)
        response.body = (
            b"".join(response.streaming_content)
            if getattr(response, "streaming", False)
            else response.content
        )
        transaction.set_rollback(True)
    return response


def _as(person) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(person)
    return client


@dataclass
class Sweep:
    """Asks doors as someone and collects what answered wrongly."""

    world: SimpleNamespace
    failures: list[str] = field(default_factory=list)

    def refuse(self, who, client, doors_to_ask, hidden, methods=("get", "post"), *, strict=False, **extra):
        """Each door naming a `hidden` record answers as if that record did not exist: 404, or the
        403 / 405 the view gives before it looks the record up. `strict` (another partnership): 404,
        never 403; only a method the URL does not take at all may answer 405. No door shows a
        Hampshire child."""
        alike_statuses = {405} if strict else {403, 405}
        for door in doors_to_ask:
            asked = methods
            if len(methods) > 1 and door.url.startswith("/api/"):
                asked = ("get", *WRITES)
            for method in asked:
                if method == "post" and door.name in NOT_POSTED:
                    continue
                response = ask(client, method, door.url, **extra)
                status = response.status_code
                where = f"{who} {method.upper()} {door.url} ({door.name})"
                if status >= 500:
                    self.failures.append(f"{where}: {status}")
                if self.world.secrets.search(response.body):
                    self.failures.append(f"{where}: {status} shows a Hampshire child's name or number")
                names = door.records & hidden
                if not names or status == 404:
                    continue
                alike = status in alike_statuses and (
                    ask(client, method, door.missing(names), **extra).status_code == status
                )
                if not alike:
                    self.failures.append(f"{where}: {status}, not the answer for a missing record (404)")

    def assert_none(self):
        assert not self.failures, f"{len(self.failures)} wrong answers:\n" + "\n".join(self.failures)


def test_every_url_pattern_is_swept():
    """A new URL whose converter names no Hampshire record fails here: add it to the mappings."""
    any_id = SimpleNamespace(**{record: 1 for record in _ALL_RECORDS})
    made, unknown = doors(SimpleNamespace(ids=any_id))
    assert not unknown, "Add these to RECORD_FOR_COLLECTION / RECORD_FOR_KWARG:\n" + "\n".join(unknown)
    assert len({door.name for door in made}) > 200
    answered_by = {door.view.split(".", 1)[0] for door in made}
    assert answered_by >= set(SWEPT_APPS), f"no swept URL of {set(SWEPT_APPS) - answered_by}"


# Every app's URL modules (pages and API): each pattern in them must be one the sweep walks.
SWEPT_APPS = ("casework", "referrals", "panels", "funding", "pathways", "reporting", "moving_in", "config")


def _url_modules() -> dict[str, list[str]]:
    root = Path(settings.BASE_DIR)
    return {
        app: [
            ".".join(file.relative_to(root).with_suffix("").parts)
            for file in sorted((root / app).rglob("*urls.py"))
        ]
        for app in SWEPT_APPS
    }


def test_every_app_s_url_modules_are_swept():
    """Each URL module of every app (casework's pages and administration, referrals, panels,
    funding, pathways and their APIs, config's project and /api/ URL confs) is mounted and walked:
    a pattern the project's URL conf does not reach through the walk, or a URL module not mounted,
    fails here rather than escaping the sweep."""
    swept = {_view_of(entry) for _route, _ns, entry in _walk(get_resolver().url_patterns)}
    modules = _url_modules()
    assert all(modules.values()), f"an app without URL modules: {modules}"
    escaped = [
        f"{module}: {route} ({entry.name})"
        for names in modules.values()
        for module in names
        for route, _ns, entry in _walk(import_module(module).urlpatterns)
        if not _is_admin(entry) and _view_of(entry) not in swept
    ]
    assert not escaped, "URL patterns the sweep does not walk:\n" + "\n".join(escaped)


_ALL_RECORDS = {
    *RECORD_FOR_COLLECTION.values(),
    *RECORD_FOR_KWARG.values(),
    *CASE_FOR_URL_NAME.values(),
    *RECORD_FOR_URL_NAME.values(),
    "cc_case",
}


@pytest.fixture
def quick_sessions(settings):
    """The sweep asks thousands of times: re-saving the session on each answer checks nothing."""
    settings.SESSION_SAVE_EVERY_REQUEST = False


@pytest.fixture(scope="module")
def gate(world) -> SimpleNamespace:
    """The doors, made once for the module: every door (`made`), the first word of each pattern
    (`firsts`) and the first door of each view (`per_view`)."""
    made, _unknown = doors(world)
    firsts = [door for door in made if door.first_word]
    return SimpleNamespace(made=made, firsts=firsts, per_view=one_per_view(firsts))


# The refusal sweep (issue 12), one pytest item per person who asks (and, for those who ask the most,
# per part of their doors: every PARTS-th door from the part's own), so a parallel run (pytest-xdist)
# shares it between its workers. The parts of one person's doors together are all of them.
#
# Leicester, another partnership: people of every role (the partnership administrator too) and the
# outsider through an API token get, for every Hampshire record, 404: never 403, 200 or 500 (405
# only for a method the URL does not take at all). Hampshire SEN, of the same partnership but not
# involved with Amelia: people of every role get the answer for a record that does not exist (404,
# or the 403 their role gets before any record is looked up) for everything of hers. Nobody signed
# in: sent to sign in (pages) or 401 (API). No answer to any of them shows a Hampshire child.
#
# To stay quick (2 cores in CI), the outsider (four roles) asks GET and POST of every URL, her token
# of every API pattern, Leicester's partnership administrator of every pattern and SEN's of every
# pattern naming Amelia's records; each other role asks GET of each view.
OUTSIDER_PARTS = 3
ADMINISTRATOR_PARTS = 3
TOKEN_PARTS = 2
SEN_ADMINISTRATOR_PARTS = 2
PA = Role.PARTNERSHIP_ADMINISTRATOR


def _dealt(doors_to_ask: list[Door], part: int, parts: int) -> list[Door]:
    return doors_to_ask[part::parts]


def _everything() -> set[str]:
    return {*_ALL_RECORDS} - DIRECTORY_RECORDS


def _of_role(people: list, role: Role):
    [person] = [person for person in people if person.roles == [role]]
    return person


@pytest.mark.parametrize("part", range(OUTSIDER_PARTS))
def test_no_door_opens_to_the_outsider(world, gate, quick_sessions, part):
    """Olive Stranger of Leicester (four roles): GET and POST of every URL, every word of each (and
    GET, POST, PUT, PATCH and DELETE of every API URL), 404 for whatever names a Hampshire record."""
    sweep = Sweep(world)
    outsider = world.people.outsider
    asked = _dealt(gate.made, part, OUTSIDER_PARTS)
    sweep.refuse(outsider.full_name, _as(outsider), asked, _everything(), strict=True)
    sweep.assert_none()


@pytest.mark.parametrize("part", range(ADMINISTRATOR_PARTS))
def test_no_door_opens_to_another_partnership_s_administrator(world, gate, quick_sessions, part):
    """Leicester's partnership administrator: every method of the first word of every pattern."""
    sweep = Sweep(world)
    person = _of_role(world.leicester_people, PA)
    asked = _dealt(gate.firsts, part, ADMINISTRATOR_PARTS)
    sweep.refuse(person.full_name, _as(person), asked, _everything(), strict=True)
    sweep.assert_none()


@pytest.mark.parametrize("role", [role for role in Role if role != PA], ids=str)
def test_no_door_opens_to_another_partnership(world, gate, quick_sessions, role):
    """A Leicester person of each other role: GET of each view naming a Hampshire record."""
    sweep = Sweep(world)
    person = _of_role(world.leicester_people, role)
    hampshire_views = [door for door in gate.per_view if door.records - DIRECTORY_RECORDS]
    sweep.refuse(person.full_name, _as(person), hampshire_views, _everything(), ("get",), strict=True)
    sweep.assert_none()


@pytest.mark.parametrize("part", range(TOKEN_PARTS))
def test_no_door_opens_to_another_partnership_s_token(world, gate, quick_sessions, part):
    """The outsider's API token: every method of the first word of every API pattern."""
    sweep = Sweep(world)
    _token, secret = casework_services.api_token_create(
        actor=world.people.outsider, user=world.people.outsider, name="Sweep"
    )
    api = _dealt([door for door in gate.firsts if door.url.startswith("/api/")], part, TOKEN_PARTS)
    bearer = Client(raise_request_exception=False)
    sweep.refuse(
        "outsider's token", bearer, api, _everything(), strict=True, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    sweep.assert_none()


@pytest.mark.parametrize("part", range(SEN_ADMINISTRATOR_PARTS))
def test_no_door_opens_to_an_agency_not_involved_s_administrator(world, gate, quick_sessions, part):
    """Hampshire SEN, not involved with Amelia: its partnership administrator asks every method of
    the first word of every pattern naming her records."""
    sweep = Sweep(world)
    person = _of_role(world.sen_people, PA)
    child_doors = [door for door in gate.firsts if door.records & CHILD_RECORDS]
    asked = _dealt(child_doors, part, SEN_ADMINISTRATOR_PARTS)
    sweep.refuse(person.full_name, _as(person), asked, CHILD_RECORDS)
    sweep.assert_none()


@pytest.mark.parametrize("role", [role for role in Role if role != PA], ids=str)
def test_no_door_opens_to_an_agency_not_involved(world, gate, quick_sessions, role):
    """Hampshire SEN, not involved with Amelia: a person of each other role asks GET of each view
    naming her records."""
    sweep = Sweep(world)
    person = _of_role(world.sen_people, role)
    child_views = [door for door in gate.per_view if door.records & CHILD_RECORDS]
    sweep.refuse(person.full_name, _as(person), child_views, CHILD_RECORDS, ("get",))
    sweep.assert_none()


def test_no_door_opens_to_anyone_not_signed_in(world, gate):
    """Nobody signed in, GET and POST of each view naming a record: sent to sign in, or 401 (API)."""
    sweep = Sweep(world)
    anonymous = Client(raise_request_exception=False)
    for door in gate.per_view:
        if not door.records:
            continue
        for method in ("get", "post"):
            response = ask(anonymous, method, door.url)
            where = f"anonymous {method.upper()} {door.url}"
            if world.secrets.search(response.body):
                sweep.failures.append(f"{where}: shows a Hampshire child")
            if door.url.startswith("/api/"):
                if response.status_code != 401:
                    sweep.failures.append(f"{where}: {response.status_code}, not 401")
            elif response.status_code != 302 or not response["Location"].startswith(reverse("login")):
                sweep.failures.append(f"{where}: {response.status_code}, not sent to sign in")
    sweep.assert_none()


# --- The positive control: the sweep is not vacuous --------------------------------------------------

# Who answers for each part of the service in the Hampshire world (by URL name prefix; the first
# that matches). The owner of a URL must get it: 200, a redirect, or a 409 for a step the
# referral's late state no longer allows; never the 404 the others get.
OWNER_BY_NAME = [
    ("pathways:cc_dst", "clinician"),
    ("pathways:cc_recommend", "clinician"),
    ("pathways:ifr_decision", "ifr_admin"),
    ("pathways:ifr_", "clinician"),
    ("api-pathway-case-start-ifr", "clinician"),
    ("pathways:authoriser", "partnership_admin"),
    ("pathways:escalation_settings", "partnership_admin"),
    ("pathways:", "social_worker"),
    ("api-pathway", "social_worker"),
    ("api-escalation", "social_worker"),
    ("referrals:meeting", "panel_admin"),
    ("referrals:move", "panel_chair"),
    ("referral-return", "team_manager"),
    ("referral-sign", "team_manager"),
    ("panels:recommendation_respond", "icb_member"),
    ("api-recommendation-respond", "icb_member"),
    ("panels:run_decision_sign", "panel_chair"),
    ("api-decision-sign", "panel_chair"),
    ("panels:minutes_approve", "panel_chair"),
    ("meeting-minutes-approve", "panel_chair"),
    ("funding:", "council_finance"),
    ("api-funding", "council_finance"),
    ("api-my-work-team", "team_manager"),
    ("panels:", "panel_admin"),
    ("api-", "panel_admin"),
    ("meeting-", "panel_admin"),
    ("letter-", "panel_admin"),
    ("decision-letter", "panel_admin"),
    ("administration:", "partnership_admin"),
    ("children:access_request", "team_manager"),
    ("my_work_team", "team_manager"),
    ("my_work_group", "social_worker"),
    ("reporting:", "panel_admin"),
    ("moving_in:", "partnership_admin"),
    ("", "social_worker"),
]
OWNER_ANSWERS = {200, 302, 409}


def _owner_of(door: Door) -> str:
    return next(persona for prefix, persona in OWNER_BY_NAME if door.name.startswith(prefix))


def test_the_records_own_people_get_every_door(world, gate, quick_sessions):
    """Each URL naming a Hampshire record answers its owner: GET 200 (or a redirect, or 409 for a
    step no longer open); a door that takes only POST answers the owner's empty POST with anything
    but 404 (a 400 for the missing fields, usually). Each POST is rolled back."""
    clients: dict[str, Client] = {}
    shut: dict[str, list[str]] = {}  # by URL name: a pattern passes if any of its words answers
    for door in gate.made:
        if not door.records:
            continue
        persona = _owner_of(door)
        client = clients.get(persona) or clients.setdefault(persona, _as(getattr(world.people, persona)))
        method, response = "get", ask(client, "get", door.url)
        for write in WRITES:
            if response.status_code != 405:
                break
            method, response = write, ask(client, write, door.url)
        if method == "get":
            opened = response.status_code in OWNER_ANSWERS
        else:
            opened = response.status_code not in {403, 404, 405} and response.status_code < 500
        problems = shut.setdefault(door.name, [])
        if opened:
            problems.append("")
        else:
            problems.append(f"{persona} {method.upper()} {door.url} ({door.name}): {response.status_code}")
    failures = [problems[0] for problems in shut.values() if "" not in problems]
    assert not failures, f"{len(failures)} doors shut to their owners:\n" + "\n".join(failures)


# --- The Django admin ---------------------------------------------------------------------------------

ADMIN_PATH = "ops-sweep-4c1e"
urlpatterns: list = []  # the project's URLs with the operator's admin mounted, for mounted_admin


@pytest.fixture
def mounted_admin():
    """The URL conf as it is with DJANGO_ADMIN_PATH set (config/urls.py mounts it the same way)."""
    global urlpatterns
    from config.urls import urlpatterns as project

    urlpatterns = [*project, path(f"{ADMIN_PATH}/", admin.site.urls)]
    clear_url_caches()
    with override_settings(ROOT_URLCONF=__name__):
        yield
    clear_url_caches()


def _is_admin(entry: URLPattern) -> bool:
    return entry.lookup_str.startswith("django.contrib.admin")


def test_the_django_admin_is_not_mounted_in_the_service(world):
    assert not settings.DJANGO_ADMIN_PATH
    assert not [route for route, _ns, entry in _walk(get_resolver().url_patterns) if _is_admin(entry)]
    for person in (world.people.partnership_admin, world.leicester_people[-1], world.people.social_worker):
        assert _as(person).get("/admin/").status_code == 404


def test_the_mounted_admin_refuses_everyone_who_signs_in_to_the_service(world, mounted_admin, quick_sessions):
    """With DJANGO_ADMIN_PATH set, every admin page sends every person of the service (partnership
    administrators of both partnerships included) to the admin's own sign-in, showing nothing."""
    admin_urls = [reverse("admin:index")] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]
    assert all(url.startswith(f"/{ADMIN_PATH}/") for url in admin_urls)
    people = [*vars(world.people).values(), *world.leicester_people, *world.sen_people]
    failures = []
    for person in people:
        client = _as(person)
        for url in admin_urls:
            response = ask(client, "get", url)
            if response.status_code != 302 or not response["Location"].startswith(reverse("admin:login")):
                failures.append(f"{person.full_name} GET {url}: {response.status_code}")
            if world.secrets.search(response.body):
                failures.append(f"{person.full_name} GET {url}: shows a Hampshire child")
    assert not failures, "\n".join(failures)
