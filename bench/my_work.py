"""Server time and query counts of My work at national size (issue 16).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_mywork_bench \
        .venv/bin/python bench/generate.py --children 500000 --work
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_mywork_bench .venv/bin/python bench/my_work.py

Needs the data set from `bench/generate.py --work` (the work items of bench/work_data.py). Signs in
(force_login) as the people of the largest council and the largest ICB whose lists are longest: a
social worker with many drafts and returned referrals, a team manager, a service manager, the
chair and the administrator of the council's partnership panel, and the ICB's finance approver;
times My work (/), the "See all" page of their largest group (/my-work/all/<group>/), the API
(/api/my-work/), the team view (/my-work/team/, for the managers) and the panel view
(/my-work/panels/, for the panel's people) in-process with django.test.Client, beside
healthz as the floor, as bench/children.py does. --show-sql prints each page's queries by time
(last run), --explain the EXPLAIN (ANALYZE, BUFFERS) of each page's slowest query.

Refuses to run unless the database name ends in "_bench". Nothing is written but sessions and, for
those whose sign-in needs a code, an authenticator device.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass

from benchdb import bench_database_url, setup_django
from children import (
    TARGET_MS,
    Row,
    explain,
    machine,
    measure,
    page_call,
    pick_agency,
    print_table,
    unapplied_migrations,
)


@dataclass
class Persona:
    label: str
    user: object
    pages: list[str]


def personas() -> list[Persona]:
    from django.db.models import Count

    from casework.models import Role, User
    from panels.models import Membership
    from referrals.models import Referral

    council = pick_agency("childrens_services", "largest")
    icb = pick_agency("icb", "largest")
    unsubmitted = [
        "draft",
        "returned",
        "awaiting_team_manager",
        "awaiting_service_manager",
        "ready_to_submit",
    ]
    busiest = (
        Referral.objects.filter(referrer_agency=council, status__in=unsubmitted)
        .values("referrer_id")
        .annotate(n=Count("id"))
        .order_by("-n", "referrer_id")
        .first()
    )
    if busiest is None:
        sys.exit("No referrals in the bench database: run bench/generate.py --work")

    def first(agency, role):
        found = (
            User.objects.filter(agency=agency, roles__contains=[role], is_active=True).order_by("pk").first()
        )
        if found is None:
            sys.exit(f"{agency} has no active {role}")
        return found

    seats = (
        Membership.objects.current()
        .filter(panel__partnership=council.partnership, panel__is_active=True)
        .select_related("person")
    )
    chair = seats.filter(role="chair").order_by("pk").first()
    admin = seats.filter(role="administrator").order_by("pk").first()
    if chair is None or admin is None:
        sys.exit(f"The panel of {council.partnership} has no chair or administrator: run generate.py --work")
    mine, api, team, panels = "/", "/api/my-work/", "/my-work/team/", "/my-work/panels/"
    found = [
        Persona("social worker", User.objects.get(pk=busiest["referrer_id"]), [mine, api]),
        Persona("team manager", first(council, Role.TEAM_MANAGER), [mine, api, team]),
        Persona("service manager", first(council, Role.SERVICE_MANAGER), [mine, api, team, panels]),
        Persona("panel chair", chair.person, [mine, api, panels]),
        Persona("panel administrator", admin.person, [mine, api, panels]),
        Persona("finance approver (ICB)", first(icb, Role.FINANCE_APPROVER), [mine, api, panels]),
    ]
    # Only a panel's own people see its meetings; the others are told they sit on none.
    seated = set(seats.values_list("person_id", flat=True))
    for persona in found:
        if persona.user.pk not in seated and panels in persona.pages:
            persona.pages.remove(panels)
    return found


def sign_in(client, user) -> None:
    """force_login, and for a person whose sign-in needs a code (casework/mfa.py: chairs, finance
    approvers) a session marked verified, as entering the code does (tests/mfa_helpers.py). Gives
    such a person a confirmed authenticator device in the bench database if they have none."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from casework import mfa

    client.force_login(user)
    if not (mfa.role_requires_mfa(user) or mfa.has_authenticator(user)):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=mfa.AUTHENTICATOR_NAME, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[mfa.HAS_DEVICE_SESSION_KEY] = True
    session.save()


def signed_in_call(client, user, path: str):
    """GET `path` as `user`, signing in again when the session has ended: bench/load.py gives the
    personas a new password each run, which ends their sessions (the session keeps the password's
    hash) while this runs against the same database. The request after the new sign-in is the one
    timed, with the sign-in's own queries (rare: once per load run)."""

    def call():
        response = client.get(path)
        if response.status_code in (302, 401):
            user.refresh_from_db()
            sign_in(client, user)
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        return response

    return call


def data_size() -> dict[str, int]:
    from django.db import connection

    tables = {
        "children": "casework_child",
        "users": "casework_user",
        "panels": "panels_panel",
        "meetings": "panels_meeting",
        "referrals": "referrals_referral",
        "decisions": "panels_decision",
        "packages": "funding_fundingpackage",
        "shares": "funding_shareline",
        "recommendations": "panels_agencyrecommendation",
        "actions": "panels_action",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables.values()))  # noqa: S608
        return dict(zip(tables, cursor.fetchone(), strict=True))


def count_costs(persona: Persona, runs: int) -> None:
    """The header's My work count on a page other than My work (casework.my_work.count_sql): building
    its SQL from the person's feeds (what a process pays when it has not kept it), reading the kept
    SQL from Redis (what the shared cache costs instead), and running it. Medians of `runs`, ms."""
    import pickle
    import statistics
    import time

    from django.core.cache.backends.redis import RedisCache
    from django.db import connection

    from casework import my_work

    def median_ms(call) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    user = persona.user
    build = median_ms(lambda: my_work._build_count_sql(user))
    sql, params = my_work._build_count_sql(user)
    redis = RedisCache("redis://127.0.0.1:6379", {"KEY_PREFIX": "bench_my_work"})
    redis.set("count_sql", (sql, params), 60)
    read = median_ms(lambda: redis.get("count_sql"))
    redis.delete("count_sql")

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {sql}", params)  # noqa: S608 - our querysets' SQL
            cursor.fetchone()

    ran = median_ms(run)
    size = len(pickle.dumps((sql, params)))
    print(
        f"    header count: build the SQL {build:.1f} ms, read it from Redis {read:.2f} ms "
        f"({size:,} bytes), run it {ran:.1f} ms (medians of {runs})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument(
        "--team-requests",
        type=int,
        default=5,
        help="timed requests of the team view (default 5: seconds each)",
    )
    parser.add_argument(
        "--only", nargs="*", default=[], help="only personas whose label contains one of these"
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="print each page's queries by time (last run)"
    )
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) each page's slowest query"
    )
    parser.add_argument(
        "--count",
        action="store_true",
        help="also time the header's count: building its SQL, reading it from Redis, running it",
    )
    parser.add_argument("--no-pages", action="store_true", help="skip the pages (with --count)")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", message="No directory at")
    setup_django(bench_database_url())
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils.text import slugify

    from casework.my_work import my_work_count, my_work_items

    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    pending = unapplied_migrations()
    if pending:
        sys.exit(
            f"The bench database lacks {len(pending)} migration(s), e.g. {pending[0]}: run bench/generate.py"
        )

    size = data_size()
    print(f"Database {settings.DATABASES['default']['NAME']} on {connection.pg_version // 10000}.x")
    print("Data size: " + ", ".join(f"{v:,} {k}" for k, v in size.items()))
    print(f"{args.requests} timed runs after {args.warmup} warm-up runs each; {machine()}\n")

    runs = {"runs": args.requests, "warmup": args.warmup}
    chosen = [p for p in personas() if not args.only or any(o in p.label for o in args.only)]
    rows: list[Row] = []
    floor: Row | None = None
    for persona in chosen:
        items = my_work_items(user=persona.user)
        overdue = sum(1 for i in items if i.overdue)
        kinds: dict[str, int] = {}
        for item in items:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        print(
            f"{persona.label}: {persona.user.full_name} ({persona.user.email}), {persona.user.agency}: "
            f"{len(items)} items ({overdue} overdue; count query says {my_work_count(user=persona.user)})"
        )
        print("    " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])))
        # The "See all" page of the person's largest group (My work lists each group's first items).
        groups: dict[str, int] = {}
        for item in items:
            groups[item.group] = groups.get(item.group, 0) + 1
        if groups:
            largest = max(groups, key=lambda heading: groups[heading])
            persona.pages.append(reverse("my_work_group", args=[slugify(largest)]))
        if args.count:
            count_costs(persona, args.requests)
        if args.no_pages:
            continue
        client = Client()
        sign_in(client, persona.user)
        if floor is None:
            floor = measure(
                "floor: GET healthz (bare view)", page_call(client, reverse("healthz"), "ok"), **runs
            )
            rows.append(floor)
        for path in persona.pages:
            page_runs = {"runs": args.team_requests, "warmup": 1} if path == "/my-work/team/" else runs
            rows.append(
                measure(
                    f"{persona.label}: {path}",
                    signed_in_call(client, persona.user, path),
                    targeted=True,
                    **page_runs,
                )
            )

    if args.no_pages:
        return
    print()
    assert floor is not None
    print_table(rows, floor)
    print(f"\nAfterwards: {machine()}")
    for row in rows:
        if row.targeted and row.available:
            verdict = "under" if row.pct(95) < TARGET_MS else "MISSES"
            print(f"{row.label}: p95 {row.pct(95):.1f} ms {verdict} the {TARGET_MS:.0f} ms target")

    if args.show_sql or args.explain:
        for row in rows:
            if not (row.targeted and row.available):
                continue
            by_time = sorted(row.last_sql, key=lambda q: -q[0])
            if args.show_sql:
                print(f"\n--- queries of {row.label} (last run, slowest first; {len(by_time)} queries)")
                for ms, sql in by_time[:15]:
                    print(f"{ms:8.1f} ms  {sql[:400]}")
            if args.explain and by_time:
                explain(f"slowest query of {row.label}", by_time[0][1])


if __name__ == "__main__":
    main()
