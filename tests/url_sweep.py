"""The project's URLs, walked from the URL conf and filled with real records, for the sweeps that
must reach every URL (tests/casework/test_no_store.py, tests/test_bad_input.py).

The records are the demo data (casework/demo.py) plus the few kinds it lacks, loaded once per test
module and rolled back after it. A pattern whose arguments cannot be filled fails
`test_every_url_pattern_can_be_filled`, so a new URL cannot escape the sweeps: add its path
segment to FILL below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client, override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from config.middleware import CACHEABLE_PREFIXES
from tests.demo_clock import while_a_meeting_fits

HIOW = "Hampshire and Isle of Wight"
NOWHERE = "999999"


# --- The URL conf, walked ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    template: str  # the joined pattern with each argument as {name}
    name: str  # namespaced name, for reverse()
    arguments: tuple[tuple[str, str], ...]  # (path segment before it, argument name)


_ROUTE_ARG = re.compile(r"<(?:\w+:)?(\w+)>")
_REGEX_ARG = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, object]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name, pattern


def project_routes() -> list[Route]:
    routes = []
    for joined, name, _pattern in _walk(get_resolver()):
        template = _ROUTE_ARG.sub(r"{\1}", _REGEX_ARG.sub(r"{\1}", joined))
        # Each argument is known by the literal path segment nearest before it ("referrals/{pk}").
        arguments, segment = [], ""
        for piece in template.split("/"):
            literal = re.sub(r"[\^$\\.?]", "", piece.split("{", 1)[0])
            segment = literal or segment
            arguments.extend((segment, arg) for arg in re.findall(r"{(\w+)}", piece))
        routes.append(Route(template=template, name=name or "", arguments=tuple(arguments)))
    return routes


def is_cacheable(template: str) -> bool:
    path = "/" + template.lstrip("^")
    return path.startswith(CACHEABLE_PREFIXES)


# --- Real records to fill the patterns with ------------------------------------------------------


@dataclass
class World:
    records: dict[str, object]
    people: dict[str, object]

    def __getitem__(self, key: str) -> object:
        return self.records[key]


def _pk(key: str) -> Callable[[World], str]:
    return lambda world: str(world[key].pk)


# (path segment before the argument, argument name) -> its value. "*" matches any segment.
FILL: dict[tuple[str, str], Callable[[World], str]] = {
    ("*", "format"): lambda world: "json",
    ("api-tokens", "pk"): _pk("api_token"),
    ("agencies", "pk"): _pk("agency"),
    ("teams", "pk"): _pk("team"),
    ("users", "pk"): _pk("user"),
    ("children", "pk"): _pk("child"),
    ("children", "child_pk"): _pk("child"),
    ("parents-carers", "person_pk"): _pk("parent_carer"),
    ("cetr", "record_pk"): _pk("cetr"),
    ("agencies", "involvement_pk"): _pk("involvement"),
    ("access-requests", "request_pk"): _pk("access_request"),
    ("referrals", "pk"): _pk("referral"),
    ("evidence", "evidence_pk"): _pk("evidence"),
    ("evidence", "evidence_id"): _pk("evidence"),
    ("options", "option_pk"): _pk("option"),
    ("options", "option_id"): _pk("option"),
    ("sections", "section"): lambda world: world["section"],
    ("meetings", "pk"): _pk("meeting"),
    ("meetings", "meeting_pk"): _pk("meeting"),
    ("items", "item_pk"): _pk("agenda_item"),
    ("agenda-items", "pk"): _pk("agenda_item"),
    ("pack", "version"): lambda world: str(world["pack"].version),
    ("letters", "pk"): _pk("letter"),
    ("letters", "letter_pk"): _pk("letter"),
    ("decisions", "pk"): _pk("decision"),
    ("decisions", "decision_pk"): _pk("decision"),
    ("declarations", "pk"): _pk("declaration"),
    ("declarations", "declaration_pk"): _pk("declaration"),
    ("recommendations", "pk"): _pk("recommendation"),
    ("actions", "pk"): _pk("action"),
    ("panels", "pk"): _pk("panel"),
    ("panels", "panel_pk"): _pk("panel"),
    ("members", "membership_pk"): _pk("membership"),
    ("closure-days", "closure_pk"): _pk("closure_day"),
    ("packages", "pk"): _pk("package"),
    ("shares", "pk"): _pk("share"),
    ("cases", "pk"): _pk("pathway_case"),
    ("pathway-cases", "pk"): _pk("pathway_case"),
    ("pathway-cases", "kind"): lambda world: "continuing-care",
    ("pathway-cases", "action"): lambda world: world["pathway_action"],
    ("start", "kind"): lambda world: "continuing-care",
    ("escalations", "pk"): _pk("escalation"),
    ("escalations", "action"): lambda world: world["escalation_action"],
    ("escalate", "level"): lambda world: "jsp",
    ("escalation-authorisers", "pk"): _pk("escalation_authoriser"),
    ("people", "pk"): _pk("user"),
    ("team", "pk"): _pk("user"),
    ("all", "group"): lambda world: "your-referrals",
    ("tokens", "token_pk"): _pk("api_token"),
    ("background-work", "pk"): _pk("background_job"),
    ("batches", "pk"): _pk("import_batch"),
    ("set-password", "uidb64"): lambda world: urlsafe_base64_encode(force_bytes(world["user"].pk)),
    ("set-password", "token"): lambda world: default_token_generator.make_token(world["user"]),
}
# Arguments that name a kind of thing rather than a record keep their value in the 404 pass.
NOT_IDS = {"format", "section", "kind", "action", "level", "group"}


def fill(route: Route, world: World, *, missing: bool = False) -> str:
    kwargs = {}
    for segment, arg in route.arguments:
        make = FILL.get((segment, arg)) or FILL.get(("*", arg))
        if make is None:
            raise LookupError(f"{route.template}: no record to fill <{arg}> after '{segment}/'")
        kwargs[arg] = NOWHERE if missing and arg not in NOT_IDS else make(world)
    try:
        return reverse(route.name, kwargs=kwargs)
    except NoReverseMatch:
        # A pattern for the words a view does not know ("unknown section"): a made-up word.
        return reverse(
            route.name, kwargs={k: "no-such-word" if k in NOT_IDS else v for k, v in kwargs.items()}
        )


def _build_world() -> World:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from casework import services as casework_services
    from casework.cetr import cetr_record
    from casework.demo import email_for
    from casework.models import (
        AccessRequest,
        Agency,
        BackgroundJob,
        Child,
        JobStatus,
        ParentCarer,
        Team,
        User,
    )
    from config.demo import load_demo
    from funding.models import FundingPackage, ShareLine
    from moving_in.models import ImportBatch
    from panels.models import (
        Action,
        AgencyRecommendation,
        AgendaItem,
        ClosureDay,
        Decision,
        DecisionLetter,
        Declaration,
        MeetingPack,
        Membership,
    )
    from panels.services import letters
    from pathways.api import cases as pathways_api
    from pathways.api import escalations as escalation_api
    from pathways.models import Escalation, EscalationAuthoriser, PathwayCase
    from referrals import services as referral_services
    from referrals.models import Evidence, Referral
    from tests.referrals.test_journey_services import MINIMAL_PDF

    load_demo()
    people = {
        key: User.objects.get(email=email_for(local, agency))
        for key, local, agency in [
            ("social_worker", "social.worker", "hants"),
            ("panel_chair", "panel.chair", "hants"),
            ("panel_admin", "panel.admin", "hants"),
            ("finance", "finance", "hants"),
            ("sen_officer", "sen.officer", "hants-sen"),
            ("administrator", "admin", "hants"),
            ("service_manager", "service.manager", "hants"),
        ]
    }
    worker = people["social_worker"]
    evidence = Evidence.objects.filter(referral__child__owning_agency=worker.agency).first()
    referral = (
        evidence.referral if evidence else Referral.objects.filter(child__owning_agency=worker.agency).first()
    )
    child = referral.child
    item = AgendaItem.objects.filter(meeting__panel__partnership=HIOW, referral__isnull=False).first()
    meeting = item.meeting
    records = {
        "agency": worker.agency,
        "team": Team.objects.filter(agency=worker.agency).first(),
        "user": worker,
        "child": child,
        "parent_carer": ParentCarer.objects.filter(child=child).first(),
        "involvement": child.involvements.exclude(agency=child.owning_agency).first(),
        "referral": referral,
        "evidence": evidence,
        "option": referral.options.first(),
        "section": referral_services.SECTIONS[0][0],
        "meeting": meeting,
        "agenda_item": item,
        "panel": meeting.panel,
        "membership": Membership.objects.filter(panel=meeting.panel).first(),
        "pack": _built(MeetingPack.objects.filter(meeting__panel__partnership=HIOW).first()),
        "decision": Decision.objects.filter(agenda_item__meeting__panel__partnership=HIOW).first(),
        "letter": letters.letter_store_pdf(
            letter_id=DecisionLetter.objects.filter(
                decision__agenda_item__meeting__panel__partnership=HIOW, sent_at__isnull=False
            )
            .values_list("pk", flat=True)
            .first()
        ),
        "declaration": Declaration.objects.filter(agenda_item__meeting__panel__partnership=HIOW).first(),
        "recommendation": AgencyRecommendation.objects.filter(
            decision__agenda_item__meeting__panel__partnership=HIOW
        ).first(),
        "action": Action.objects.filter(panel__partnership=HIOW).first(),
        "package": FundingPackage.objects.filter(child__owning_agency__partnership=HIOW).first(),
        "share": ShareLine.objects.filter(package__child__owning_agency__partnership=HIOW).first(),
        "pathway_case": PathwayCase.objects.filter(child__owning_agency__partnership=HIOW).first(),
        "pathway_action": next(iter(pathways_api.ACTIONS)),
        "escalation_action": next(iter(escalation_api.ACTIONS)),
        # The demo has none of these four: made here, straight to the tables.
        "closure_day": ClosureDay.objects.create(panel=meeting.panel, day=meeting.date, reason="Sweep"),
        "escalation": Escalation.objects.create(
            child=child, route="placement_breakdown", level="rsg", summary="Placement ended", opened_by=worker
        ),
        "access_request": AccessRequest.objects.create(
            child=child,
            requested_by=people["sen_officer"],
            requesting_agency=people["sen_officer"].agency,
            owning_agency=child.owning_agency,
            reason="Working with the family",
        ),
        "api_token": casework_services.api_token_create(actor=worker, user=worker, name="Sweep")[0],
        "background_job": BackgroundJob.objects.create(
            kind="notice.email", object_id=0, partnership=HIOW, status=JobStatus.FAILED, summary="Sweep"
        ),
        # An import of children waiting at its dry run (moving_in): made straight in the table.
        "import_batch": ImportBatch.objects.create(
            agency=people["administrator"].agency,
            partnership=HIOW,
            file_name="sweep.csv",
            file_size=1,
            file_sha256="0" * 64,
            file_type="csv",
            status="checked",
            created_by=people["administrator"],
        ),
        # A CETR with its report (casework.cetr): the demo records none.
        "cetr": cetr_record(
            actor=worker,
            child=child,
            referral=referral,
            held_on=timezone.localdate(),
            outcome="Sweep",
            report=SimpleUploadedFile("cetr.pdf", MINIMAL_PDF),
        ),
        "escalation_authoriser": EscalationAuthoriser.objects.filter(user__agency=worker.agency).first()
        or EscalationAuthoriser.objects.create(
            user=people["service_manager"],
            seniority="service_group_manager",
            job_title="Service Group Manager",
        ),
    }
    empty = [key for key, value in records.items() if value is None]
    assert not empty, f"the demo data has none of: {empty}"
    assert Agency.objects.filter(pk=worker.agency_id).exists() and Child.objects.exists()
    return World(records=records, people=people)


def _built(pack):
    """The demo queues its pack for a worker after commit, which never comes inside a test."""
    from panels.pack import build_pack

    build_pack(pack.pk)
    pack.refresh_from_db()
    return pack


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """The demo data, loaded once for the module (so today's meeting is in it at any
    hour) and rolled back after it (stored files go to a temporary folder)."""
    files = override_settings(PRIVATE_STORAGE_ROOT=tmp_path_factory.mktemp("private"))
    with files, django_db_blocker.unblock(), transaction.atomic():
        with while_a_meeting_fits():
            built = _build_world()
        yield built
        transaction.set_rollback(True)


def client_for(person) -> Client:
    client = Client()
    client.force_login(person)
    return client
