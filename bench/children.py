"""Server time and query counts of the child list, search and child page at national size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench .venv/bin/python bench/children.py

Needs the data set from bench/generate.py. Signs in (force_login) as a social worker of one large
council and times requests in-process with django.test.Client: the list, a name-prefix search, an
NHS number search, a date-of-birth search and a child page, beside a bare view (healthz: middleware,
session and one SELECT 1) as the floor, so "p95 / floor p95" compares across machines of different
speed. The selectors are also timed alone (page of 25, then COUNT) to separate database time from
template time. --explain prints EXPLAIN (ANALYZE, BUFFERS) for the list and name-search queries.

Refuses to run unless the database name ends in "_bench". The child page writes a view-log row per
request (as it should); nothing else is written.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from benchdb import bench_database_url, setup_django

TARGET_MS = 100.0
PAGE_SIZE = 25


@dataclass
class Row:
    label: str
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    note: str = ""
    available: bool = True
    targeted: bool = False  # list and search rows: p95 must be under TARGET_MS
    last_sql: list[tuple[float, str]] = field(default_factory=list)

    def pct(self, p: float) -> float:
        ordered = sorted(self.times_ms)
        # Nearest-rank percentile: p95 of 50 samples is the 48th slowest, not an interpolation.
        return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def measure(label: str, call: Callable[[], object], *, runs: int, warmup: int, targeted: bool = False) -> Row:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    row = Row(label, targeted=targeted)
    timings: list[float] = []

    def timed(execute, sql, params, many, context):
        # Django's query log rounds to whole milliseconds; this keeps the SQL time exact.
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append((time.perf_counter() - started) * 1000)

    try:
        for _ in range(warmup):
            call()
        for _ in range(runs):
            timings.clear()
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
                started = time.perf_counter()
                call()
                elapsed = time.perf_counter() - started
            row.times_ms.append(elapsed * 1000)
            row.queries.append(len(captured.captured_queries))
            row.sql_ms.append(sum(timings))
            row.last_sql = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    except Exception as exc:  # noqa: BLE001 - a page being written may fail; report it, keep going
        row.available = False
        row.note = f"error: {type(exc).__name__}: {str(exc)[:80]}"
    return row


def page_call(client, path: str, must_contain: str | None) -> Callable[[], object]:
    def call():
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        if must_contain and must_contain.encode() not in response.content:
            raise RuntimeError(f"{path} did not show {must_contain!r}")
        return response

    return call


def pick_agency(kind: str, size: str):
    """The council (or ICB, SEN service) with the most, median or fewest current involvements."""
    from django.db.models import Count

    from casework.models import Agency, Involvement

    today = time.strftime("%Y-%m-%d")
    counts = list(
        Involvement.objects.filter(agency__kind=kind, started_on__lte=today, ended_on__isnull=True)
        .values("agency_id")
        .annotate(n=Count("id"))
        .order_by("-n", "agency_id")
    )
    if not counts:
        sys.exit("No agencies of that kind with children: run bench/generate.py first")
    chosen = {"largest": counts[0], "median": counts[len(counts) // 2], "smallest": counts[-1]}[size]
    return Agency.objects.get(pk=chosen["agency_id"])


def unapplied_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def prepare_django(url: str) -> None:
    """Django set up against the bench database for timing requests in this process, as production
    answers them, after checking the database has every migration."""
    # WhiteNoise warns once that collectstatic has not run; static files are not part of this.
    warnings.filterwarnings("ignore", message="No directory at")
    setup_django(url)
    from django.conf import settings

    # As in production: no query log kept by DEBUG. CaptureQueriesContext still counts queries.
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    pending = unapplied_migrations()
    if pending:
        sys.exit(
            f"The bench database lacks {len(pending)} migration(s), e.g. {pending[0]}: run bench/generate.py"
        )


def machine() -> str:
    """Cores and load: on a shared machine the absolute figures move, the ratios less so."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load}"


def data_size() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM casework_agency), (SELECT count(*) FROM casework_user),
                   (SELECT count(*) FROM casework_child), (SELECT count(*) FROM casework_involvement),
                   (SELECT count(*) FROM casework_involvement WHERE ended_on IS NULL)
            """
        )
        agencies, users, children, involvements, current = cursor.fetchone()
    return {
        "agencies": agencies,
        "users": users,
        "children": children,
        "involvements": involvements,
        "current involvements": current,
    }


def explain(label: str, sql: str) -> None:
    from django.db import connection

    print(f"\n--- EXPLAIN (ANALYZE, BUFFERS): {label}\n{sql}\n")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        for (line,) in cursor.fetchall():
            print(line)


def captured_sql(call: Callable[[], object]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"] for q in captured.captured_queries]


def print_table(rows: list[Row], floor: Row) -> None:
    floor_p95 = floor.pct(95) if floor.available else float("nan")
    header = f"{'measurement':<44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8} {'SQL p50':>8} {'p95/floor':>9}"
    print(header)
    print("-" * len(header))
    for row in rows:
        if not row.available:
            print(f"{row.label:<44} {'not available':>26}   {row.note}")
            continue
        queries = (
            min(row.queries)
            if min(row.queries) == max(row.queries)
            else f"{min(row.queries)}-{max(row.queries)}"
        )
        print(
            f"{row.label:<44} {row.pct(50):>8.1f} {row.pct(95):>8.1f} {max(row.times_ms):>8.1f} "
            f"{queries!s:>8} {statistics.median(row.sql_ms):>8.1f} {row.pct(95) / floor_p95:>8.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=50, help="timed requests per measurement (default 50)"
    )
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first (default 5)")
    parser.add_argument(
        "--kind",
        default="childrens_services",
        choices=["childrens_services", "sen", "icb"],
        help="agency kind",
    )
    parser.add_argument(
        "--size", default="largest", choices=["largest", "median", "smallest"], help="which one"
    )
    parser.add_argument("--name", default="Smi", help="name prefix to search for (default Smi)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the list")
    parser.add_argument("--show-sql", action="store_true", help="print each page's queries with their times")
    args = parser.parse_args()

    prepare_django(bench_database_url())
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from casework import access, selectors
    from casework.models import Role, User

    agency = pick_agency(args.kind, args.size)
    role = Role.HEALTH_ASSESSOR if args.kind == "icb" else Role.SOCIAL_WORKER
    user = User.objects.filter(agency=agency, roles__contains=[role], is_active=True).order_by("id").first()
    if user is None:
        sys.exit(f"{agency} has no active {role} to sign in as")
    visible = access.children_visible_to(user=user)
    visible_count = visible.count()
    ordered = visible.order_by("family_name", "given_name", "id")
    sample = ordered.exclude(nhs_number=None)[visible_count // 2 : visible_count // 2 + 1].get()
    first_child = ordered.first()

    size = data_size()
    print(f"Database {settings.DATABASES['default']['NAME']} on {connection.pg_version // 10000}.x")
    print("Data size: " + ", ".join(f"{v:,} {k}" for k, v in size.items()))
    print(
        f"Signed in as {user.full_name} ({user.email}), {role.label}, {agency.name} ({args.size} {args.kind})"
    )
    print(f"The agency sees {visible_count:,} children ({visible_count / size['children']:.1%} of all)")
    nhs = f"{sample.nhs_number[:3]} {sample.nhs_number[3:6]} {sample.nhs_number[6:]}"
    dob = sample.date_of_birth.strftime("%d/%m/%Y")
    print(f"Searches: name {args.name!r}, NHS number {nhs}, date of birth {dob}; child page #{sample.pk}")
    print(f"{args.requests} timed runs after {args.warmup} warm-up runs each; {machine()}\n")

    runs = {"runs": args.requests, "warmup": args.warmup}
    client = Client()
    client.force_login(user)
    searches = [("list", ""), (f"name {args.name!r}", args.name), ("NHS number", nhs), ("date of birth", dob)]

    rows: list[Row] = []
    floor = measure("floor: GET healthz (bare view)", page_call(client, reverse("healthz"), "ok"), **runs)
    rows.append(floor)

    # Pages. They may not exist yet while the list and child page are being written.
    try:
        list_path = reverse("children:list")
    except NoReverseMatch:
        list_path = None
    for label, query in searches:
        row_label = f"page: child list{'' if not query else ' search ' + label}"
        if list_path is None:
            rows.append(Row(row_label, available=False, note="children:list not in urls"))
            continue
        path = list_path + (f"?q={query.replace(' ', '+')}" if query else "")
        expect = first_child.family_name.upper() if not query else sample.family_name.upper()
        if query == args.name:
            expect = None  # which child comes first depends on the prefix: only the status is checked
        rows.append(measure(row_label, page_call(client, path, expect), targeted=True, **runs))
    try:
        detail_path = reverse("children:detail", args=[sample.pk])
    except NoReverseMatch:
        rows.append(Row("page: child page", available=False, note="children:detail not in urls"))
    else:
        rows.append(measure("page: child page", page_call(client, detail_path, sample.given_name), **runs))

    def count_as_the_page_does(query):
        children, search = selectors.child_search(user=user, query=query)
        if hasattr(selectors, "child_list_count"):  # the list page's own count, where it has one
            return selectors.child_list_count(user=user, search=search, children=children)
        return children.count()

    # The selectors alone: the same querysets the pages use, without middleware or templates.
    for label, query in searches:

        def page_of_25(query=query):
            return list(selectors.child_search(user=user, query=query)[0][:PAGE_SIZE])

        def count(query=query):
            return count_as_the_page_does(query)

        def both(query=query):
            return page_of_25(query), count(query)

        rows.append(measure(f"selector {label}: page of 25 + COUNT", both, targeted=True, **runs))
        rows.append(measure(f"selector {label}: page of 25", page_of_25, **runs))
        rows.append(measure(f"selector {label}: COUNT", count, **runs))
    rows.append(
        measure("selector child_detail", lambda: selectors.child_detail(user=user, pk=sample.pk), **runs)
    )

    print_table(rows, floor)
    print(f"\nAfterwards: {machine()}")
    for row in rows:
        if row.targeted and row.available:
            verdict = "under" if row.pct(95) < TARGET_MS else "MISSES"
            print(f"{row.label}: p95 {row.pct(95):.1f} ms {verdict} the {TARGET_MS:.0f} ms target")

    if args.show_sql:
        for row in rows:
            if row.available and row.label.startswith("page:"):
                print(f"\n--- queries of {row.label} (last run)")
                for ms, sql in row.last_sql:
                    print(f"{ms:8.1f} ms  {sql[:300]}")

    if args.explain:
        for label, query in searches[:2]:
            queries = captured_sql(
                lambda query=query: (
                    list(selectors.child_search(user=user, query=query)[0][:PAGE_SIZE]),
                    count_as_the_page_does(query),
                )
            )
            # Pick them by shape: the access rule may add small lookups of its own.
            page_sql = next(q for q in queries if q.rstrip().endswith(f"LIMIT {PAGE_SIZE}"))
            count_sql = next(q for q in queries if q.startswith("SELECT COUNT(*)"))
            explain(f"{label}: page of 25", page_sql)
            explain(f"{label}: COUNT", count_sql)


if __name__ == "__main__":
    main()
