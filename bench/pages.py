"""Every list, search and detail page and every /api/ list at national size (issue 17, "What is
measured"), beside the bare view as the floor, for the largest and a median council and ICB.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_national_bench .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --subjects council:largest --requests 20     # one agency only
    .venv/bin/python bench/pages.py --only referrals: --show-sql                # pages whose name starts so

Needs `bench/generate.py --national` (any --scale). In-process with django.test.Client, as
bench/children.py times the child list: each person is signed in with force_login, each page gets
--warmup untimed then --requests timed requests; p50/p95 (nearest rank), queries
(CaptureQueriesContext: BEGIN/COMMIT, savepoints and the session included), SQL time, and p95 / the
floor's p95 (healthz: middleware, session and SELECT 1, timed first for each agency in the same run).

The pages come from the URL conf, not from a list kept here, so a new page is measured without a
change to this file (`routes`): every pattern without arguments but those in SKIP (forms, sign-in,
exports and PDFs timed elsewhere), and every pattern with arguments that is a record's page (it ends
with its argument: /referrals/<pk>/) or a list under a record (its last segment is in
LIST_SEGMENTS: /panels/<pk>/tracker/). Its arguments are filled from the agency's own records
(FILL): the panel's held meeting with the number of referral items nearest 20, its panel, a referral
item with a decision on it, and what each person may see (referrals_visible_to and the like). Each
page is read as the first of the agency's people (PREFER, then every role) that gets a 200; My work
and its API as every one of them. A page nobody may read, or whose argument has no record in this
data set, is listed with why, not timed. QUERIES adds the filters and searches a list offers.

Writes only what reading writes: sessions, view-log rows (pages that show children) and the audit
trail's reads. Refuses to run unless the database name ends in "_bench".
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from benchdb import bench_url_or
from children import Row, explain, machine, measure, pick_agency, prepare_django
from my_work import sign_in

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/casework_national_bench"
TARGET_MS = 100.0
TARGET_RATIO = 3.0
MEETING_ITEMS = 20

# Patterns without arguments that are not a list, search or detail page, and why.
SKIP = {
    "login": "sign-in form",
    "logout": "signs out",
    "mfa_verify": "sign-in form",
    "password_reset": "form",
    "password_reset_done": "static page",
    "password_reset_complete": "static page",
    "password_change": "form",
    "mfa_overview": "account page",
    "mfa_setup": "form",
    "mfa_recovery_codes": "makes new codes",
    "accessibility": "static page",
    "healthz": "the floor",
    "notifications_read": "a POST",
    "children:register": "form",
    "children:access_request_new": "form",
    "children:access_request_sent": "static page",
    "panels:new": "form",
    "pathways:authoriser_add": "form",
    "pathways:escalation_settings": "form",
    "funding:export_csv": "export: bench/exports.py",
    "funding:export_xlsx": "export: bench/exports.py",
    "api-access-request-ask": "a POST",
    "api-schema": "the API's schema (static)",
    "api-docs": "the API's documentation (static)",
    "api-root": "the API's index (static)",
    "api-me": "the caller's own account",
    "api_token_new": "form",
    "account": "account page",
    "api_tokens": "account page",
}
# The last literal segment of a pattern with arguments that names a list or a read-only page.
LIST_SEGMENTS = {
    "agenda",
    "tracker",
    "actions",
    "minutes",
    "letters",
    "papers",
    "run",
    "tasks",
    "options",
    "evidence",
    "escalations",
    "pathway-cases",
    "recommendations",
    "reviews",
    "updates",
    "recipients",
    "pack",
    "quorum",
    "declarations",
    "letter",
}
# Patterns that LIST_SEGMENTS or their ending would take but are not pages to time, and why.
SKIP_WITH_ARGUMENTS = {
    "panels:letter_pdf": "a PDF",
    "panels:minutes_pdf": "a PDF",
    "panels:tracker_csv": "export: bench/exports.py",
    "panels:tracker_xlsx": "export: bench/exports.py",
    "panels:pack": "the pack: bench/pack.py",
    "api-meeting-pack": "the pack: bench/pack.py",
    "panels:meeting_calendar": "a calendar file",
    "password_reset_confirm": "sign-in form",
    "referrals:section": "a form (the load test saves one)",
    "children:parent_carer_edit": "form",
    "referrals:option_edit": "form",
    "referrals:evidence_download": "a file",
    "pathways:start": "form",
    "pathways:escalation_escalate": "form",
    "api-pathway-case-start": "a POST",
    "api-pathway-case-action": "a POST",
    "api-escalation-action": "a POST",
    "referral-section-unknown": "a refusal",
    "referral-evidence-download": "a file",
    "referral-evidence-item": "a file's record",
    "referral-option": "one option",
    "referral-evidence": "POST uploads (the list is on the referral)",
    "panels:recommendation_respond": "form",
    "api-item-declarations": "a POST",
    "api-meeting-declarations": "a POST",
    "api-escalation-meetings": "a POST",
    "api-escalation-reports": "a POST",
    "api-action-updates": "a POST",
    "api-pathway-case-reviews": "a POST",
    "letter-recipients": "a POST",
}
# Who reads a page first (then every other person of the agency), by URL name or its prefix.
PREFER = {
    "referrals:mine": ["social worker", "nurse"],
    "referrals:awaiting": ["team manager"],
    "referrals:all": ["service manager", "nurse"],
    "referrals:meeting": ["panel administrator"],
    "panels:run": ["panel chair"],
    "panels:": ["panel administrator", "panel chair"],
    "funding:": ["finance approver", "service manager"],
    "api-funding": ["finance approver", "service manager"],
    "api-": ["panel administrator", "social worker", "nurse"],
    "": ["social worker", "nurse", "panel administrator"],
}
# My work is everyone's first page: read as each person.
EVERY_PERSON = {"home", "my_work", "api-my-work"}
# The filters and searches a list offers, beside its plain page ({panel} and {year} are filled).
QUERIES = {
    "children:list": ["?q=Smi"],
    "referrals:all": ["?status=decided", "?status=decided&panel={panel}", "?pathway=joint_package"],
    "funding:commitments": ["?year={year}", "?year={last_year}"],
    "funding:list": ["?status=active"],
}


@dataclass
class Route:
    name: str
    template: str  # with each argument as {name}
    arguments: tuple[tuple[str, str], ...]  # (the literal segment before it, its name)
    detail: bool  # a record's own page (ends with its argument), not a list

    @property
    def api(self) -> bool:
        return self.template.lstrip("^").startswith("api/")


def _walk(resolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    from django.urls import URLPattern, URLResolver

    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin" or str(pattern.pattern).startswith("admin"):
                continue  # the Django admin (DJANGO_ADMIN_PATH) is not the service's pages
            inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + str(pattern.pattern), f"{namespace}:{pattern.name}" if namespace else pattern.name


def routes() -> tuple[list[Route], dict[str, str]]:
    """The pages to time, from the URL conf, and the patterns left out with why."""
    from django.urls import get_resolver

    chosen, left_out = [], {}
    for joined, name in _walk(get_resolver()):
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", joined))
        template = template.replace("^", "").replace("$", "")
        arguments, segment = [], ""
        for piece in template.split("/"):
            literal = re.sub(r"[\\.?]", "", piece.split("{", 1)[0])
            segment = literal or segment
            arguments.extend((segment, arg) for arg in re.findall(r"{(\w+)}", piece))
        ends_with_argument = template.rstrip("/").endswith("}")
        last_literal = next((p for p in reversed(template.rstrip("/").split("/")) if "{" not in p), "")
        if name in SKIP or name in SKIP_WITH_ARGUMENTS:
            left_out[name] = SKIP.get(name) or SKIP_WITH_ARGUMENTS[name]
        elif re.search(r"\.\w+$", template):
            left_out[name] = "a file (exports: bench/exports.py; PDFs, calendars)"
        elif not arguments or ends_with_argument or last_literal in LIST_SEGMENTS:
            detail = bool(arguments) and ends_with_argument and name != "my_work_group"
            chosen.append(Route(name, template, tuple(arguments), detail))
        else:
            left_out[name] = "a form or an action (not a list or a record's page)"
    return chosen, left_out


# --- The agency, its people and its records ---------------------------------------------------


@dataclass
class Subject:
    label: str
    agency: object
    people: dict[str, object]  # kind -> User
    panel: object | None
    meeting: object | None
    item: object | None
    notes: list[str] = field(default_factory=list)
    _cache: dict = field(default_factory=dict)


def subject_for(kind: str, size: str) -> Subject:
    from django.db.models import Count, Q

    from casework.models import AgencyKind, Role, User
    from panels.models import AgendaItem, Meeting, Membership, Panel

    agency_kind = {"council": AgencyKind.CHILDRENS_SERVICES, "icb": AgencyKind.ICB}[kind]
    agency = pick_agency(agency_kind, size)

    def first(role: str):
        return (
            User.objects.filter(agency=agency, roles__contains=[role], is_active=True).order_by("pk").first()
        )

    people = {
        "social worker": first(Role.SOCIAL_WORKER),
        "team manager": first(Role.TEAM_MANAGER),
        "service manager": first(Role.SERVICE_MANAGER),
        "nurse": first(Role.HEALTH_ASSESSOR),
        "finance approver": first(Role.FINANCE_APPROVER),
        "auditor": first(Role.AUDITOR),
    }
    # The panel: the council's own with the most meetings held, or the ICB's partnership panel.
    panels = Panel.objects.filter(is_active=True)
    if kind == "council":
        panels = panels.filter(host_agency=agency)
    else:
        panels = panels.filter(partnership=agency.partnership)
    panel = (
        panels.annotate(held=Count("meetings", filter=Q(meetings__agenda_items__decisions__isnull=False)))
        .order_by("-held", "pk")
        .first()
    )
    meeting = item = None
    if panel is not None:
        seats = Membership.objects.current().filter(panel=panel).order_by("pk")
        for role, label in (("chair", "panel chair"), ("administrator", "panel administrator")):
            seat = seats.filter(role=role).select_related("person").first()
            people[label] = seat.person if seat else None
        sizes = (
            Meeting.objects.filter(panel=panel, agenda_items__decisions__isnull=False)
            .annotate(
                items=Count("agenda_items", filter=Q(agenda_items__referral__isnull=False), distinct=True)
            )
            .values_list("pk", "items")
        )
        best = min(sizes, key=lambda m: (abs(m[1] - MEETING_ITEMS), -m[0]), default=None)
        if best is not None:
            meeting = Meeting.objects.get(pk=best[0])
            item = (
                AgendaItem.objects.filter(meeting=meeting, referral__isnull=False, decisions__isnull=False)
                .order_by("pk")
                .first()
            )
    people = {k: v for k, v in people.items() if v is not None}
    return Subject(f"{size} {kind}: {agency.name}", agency, people, panel, meeting, item)


def _fill(subject: Subject, user, segment: str, argument: str):
    """A value for one argument of a pattern, as `user` would reach it; None when there is none."""
    key = (user.pk, segment, argument)
    if key not in subject._cache:
        subject._cache[key] = _find(subject, user, segment, argument)
    return subject._cache[key]


def _find(subject: Subject, user, segment: str, argument: str):  # noqa: C901, PLR0911 - one case a kind
    from casework import selectors as casework_selectors
    from casework.my_work import group_headings
    from funding.access import packages_visible_to
    from panels.models import Action, AgencyRecommendation, Decision, DecisionLetter
    from pathways.access import cases_visible_to, escalations_visible_to
    from referrals.access import referrals_visible_to

    item, meeting = subject.item, subject.meeting
    decision = Decision.objects.filter(agenda_item=item).order_by("-pk").first() if item else None
    match (segment, argument):
        case ("meetings", "pk" | "meeting_pk"):
            return meeting and meeting.pk
        case ("items" | "agenda-items", "item_pk" | "pk"):
            return item and item.pk
        case ("decisions", "pk" | "decision_pk"):
            return decision and decision.pk
        case ("letters", "pk" | "letter_pk"):
            letter = DecisionLetter.objects.filter(decision=decision).order_by("pk").first()
            return letter and letter.pk
        case ("panels", "pk" | "panel_pk"):
            return subject.panel and subject.panel.pk
        case ("actions", "pk"):
            action = Action.objects.filter(panel=subject.panel).order_by("-pk").first()
            return action and action.pk
        case ("recommendations", "pk"):
            recommendation = AgencyRecommendation.objects.filter(agency=user.agency).order_by("-pk").first()
            return recommendation and recommendation.pk
        case ("referrals", "pk"):
            referrals = referrals_visible_to(user=user)
            referral = (
                referrals.filter(status="decided").order_by("-pk").first()
                or referrals.order_by("-pk").first()
            )
            return referral and referral.pk
        case ("children", "pk"):
            referral_pk = _fill(subject, user, "referrals", "pk")
            return (
                referral_pk
                and referrals_visible_to(user=user)
                .filter(pk=referral_pk)
                .values_list("child_id", flat=True)[0]
            )
        case ("children", "child_pk"):
            case = cases_visible_to(user=user).order_by("-pk").first()
            return case.child_id if case else _fill(subject, user, "children", "pk")
        case ("cases" | "pathway-cases", "pk"):
            case = cases_visible_to(user=user).order_by("-pk").first()
            return case and case.pk
        case ("escalations", "pk"):
            escalation = escalations_visible_to(user=user).order_by("-pk").first()
            return escalation and escalation.pk
        case ("packages", "pk"):
            package = packages_visible_to(user=user).order_by("-pk").first()
            return package and package.pk
        case ("team", "pk"):
            member = casework_selectors.team_members(manager=user).exclude(pk=user.pk).first()
            return member and member.pk
        case ("all", "group"):
            return next(iter(group_headings()))
        case ("agencies", "pk"):
            return user.agency_id
        case ("teams", "pk"):
            team = user.teams.order_by("pk").first()
            return team and team.pk
        case ("users", "pk"):
            return user.pk
    return None


def path_for(route: Route, subject: Subject, user) -> str | None:
    from django.urls import reverse

    kwargs = {}
    for segment, argument in route.arguments:
        value = _fill(subject, user, segment, argument)
        if value is None:
            return None
        kwargs[argument] = value
    return reverse(route.name, kwargs=kwargs)


def preferred(route: Route, subject: Subject) -> list[str]:
    prefix = max((p for p in PREFER if route.name.startswith(p)), key=len)
    first = [k for k in PREFER[prefix] if k in subject.people]
    return first + [k for k in subject.people if k not in first]


# --- Measuring -------------------------------------------------------------------------------


@dataclass
class Result:
    subject: str
    route: Route
    label: str  # the page with its filter
    who: str
    row: Row


def answered(client, path: str) -> int:
    response = client.get(path)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response.status_code


def get_call(client, path: str) -> Callable[[], object]:
    def call():
        status = answered(client, path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")

    return call


def measure_subject(
    subject: Subject, chosen: list[Route], *, runs: int, warmup: int, log: Callable[[str], None]
) -> tuple[Row, list[Result], dict[str, str]]:
    """The floor, then each page as the first person it answers (every person for My work)."""
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    clients = {}
    for kind, user in subject.people.items():
        clients[kind] = Client()
        sign_in(clients[kind], user)
    anyone = next(iter(clients.values()))
    floor = measure("floor: GET healthz", get_call(anyone, reverse("healthz")), runs=runs, warmup=warmup)
    year = timezone.localdate().year - (1 if timezone.localdate().month < 4 else 0)
    results, not_timed = [], {}
    for route in chosen:
        tried = []
        for kind in preferred(route, subject):
            user = subject.people[kind]
            path = path_for(route, subject, user)
            if path is None:
                tried.append(f"{kind}: no record")
                continue
            status = answered(clients[kind], path)
            if status != 200:
                tried.append(f"{kind}: {status}")
                continue
            variants = [""] + [
                q.format(panel=subject.panel.pk if subject.panel else "", year=year, last_year=year - 1)
                for q in QUERIES.get(route.name, [])
            ]
            for query in variants:
                label = f"{path}{query}"
                # The request that found the reader was the plain page's first warm-up.
                warm = warmup - 1 if not query and warmup else warmup
                row = measure(label, get_call(clients[kind], path + query), runs=runs, warmup=warm)
                results.append(Result(subject.label, route, label, kind, row))
                log(
                    f"  {route.name:<34} {kind:<20} p95 {row.pct(95) if row.available else float('nan'):7.1f} ms"
                )
            if route.name not in EVERY_PERSON:
                break
        else:
            if not any(r.route is route for r in results):
                not_timed[route.name] = "; ".join(tried) or "nobody to read it"
    return floor, results, not_timed


def over_target(row: Row, floor: Row) -> list[str]:
    reasons = []
    if row.pct(95) >= TARGET_MS:
        reasons.append(f"p95 {row.pct(95):.0f} ms")
    if row.pct(95) > TARGET_RATIO * floor.pct(95):
        reasons.append(f"{row.pct(95) / floor.pct(95):.1f}x floor")
    return reasons


def report(subject: Subject, floor: Row, results: list[Result], not_timed: dict[str, str]) -> list[str]:
    lines = [f"\n## {subject.label}"]
    if subject.meeting is not None:
        lines.append(f"panel {subject.panel}, meeting #{subject.meeting.pk} ({subject.meeting.date})")
    lines += subject.notes
    header = f"{'page':<58} {'as':<20} {'p50':>6} {'p95':>6} {'queries':>7} {'SQL p50':>7} {'p95/floor':>9}"
    lines += [header, "-" * len(header)]
    floor_p95 = floor.pct(95)
    lines.append(
        f"{'floor: healthz':<58} {'':<20} {floor.pct(50):>6.1f} {floor_p95:>6.1f} "
        f"{min(floor.queries):>7} {statistics.median(floor.sql_ms):>7.1f} {1.0:>8.1f}x"
    )
    for r in results:
        if not r.row.available:
            lines.append(f"{r.label:<58} {r.who:<20} {r.row.note}")
            continue
        q = r.row.queries
        queries = str(min(q)) if min(q) == max(q) else f"{min(q)}-{max(q)}"
        flag = " *" if over_target(r.row, floor) else ""
        lines.append(
            f"{r.label[:58]:<58} {r.who:<20} {r.row.pct(50):>6.1f} {r.row.pct(95):>6.1f} {queries:>7} "
            f"{statistics.median(r.row.sql_ms):>7.1f} {r.row.pct(95) / floor_p95:>8.1f}x{flag}"
        )
    for name, why in sorted(not_timed.items()):
        lines.append(f"not timed: {name} ({why})")
    return lines


def run(
    *,
    subjects: list[tuple[str, str]],
    runs: int,
    warmup: int,
    only: str = "",
    log: Callable[[str], None] = print,
) -> dict:
    """Time every page for each (kind, size); in-process, for main() and tests/bench."""
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 403s and 404s of trying people
    chosen, left_out = routes()
    chosen = [r for r in chosen if r.name.startswith(only)]
    out = {"left_out": left_out, "subjects": []}
    for kind, size in subjects:
        subject = subject_for(kind, size)
        log(f"{subject.label}: {', '.join(f'{k} {u.email}' for k, u in subject.people.items())}")
        floor, results, not_timed = measure_subject(subject, chosen, runs=runs, warmup=warmup, log=log)
        out["subjects"].append(
            {"subject": subject, "floor": floor, "results": results, "not_timed": not_timed}
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument(
        "--subjects",
        nargs="+",
        default=["council:largest", "council:median", "icb:largest", "icb:median"],
        help="kind:size, kind council or icb, size largest, median or smallest",
    )
    parser.add_argument("--only", default="", help="only the URL names starting with this")
    parser.add_argument("--show-sql", action="store_true", help="print the queries of the pages over target")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="EXPLAIN (ANALYZE, BUFFERS) the slowest query of each page over target",
    )
    args = parser.parse_args()

    prepare_django(bench_url_or(DEFAULT_DATABASE_URL))
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM referrals_referral")
        (referrals,) = cursor.fetchone()
    print(f"Database {settings.DATABASES['default']['NAME']}: {referrals:,} referrals")
    print(f"{args.requests} timed requests after {args.warmup} warm-up each; {machine()}")
    started = time.monotonic()
    out = run(
        subjects=[tuple(s.split(":", 1)) for s in args.subjects],
        runs=args.requests,
        warmup=args.warmup,
        only=args.only,
    )
    over = []
    for s in out["subjects"]:
        print("\n".join(report(s["subject"], s["floor"], s["results"], s["not_timed"])))
        for r in s["results"]:
            if r.row.available and (reasons := over_target(r.row, s["floor"])):
                over.append((s["subject"].label, r, reasons))
    print(f"\nPages over the targets (p95 < {TARGET_MS:.0f} ms and <= {TARGET_RATIO:.0f}x floor):")
    for label, r, reasons in over:
        print(f"  {label}: {r.label} as {r.who}: {', '.join(reasons)} ({max(r.row.queries)} queries)")
        if args.show_sql:
            for ms, sql in sorted(r.row.last_sql, reverse=True)[:3]:
                print(f"      {ms:7.1f} ms  {sql[:240]}")
        if args.explain:
            explain(f"{r.label} as {r.who}", max(r.row.last_sql)[1])
    print(f"\nLeft out of the URL conf: {len(out['left_out'])} patterns (forms, actions, files)")
    print(f"Took {time.monotonic() - started:.0f} s; afterwards: {machine()}")


if __name__ == "__main__":
    main()
