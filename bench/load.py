"""Load test (issue 17): gunicorn with production settings on loopback, driven by locust.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_mywork_bench .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --smoke                # 3 users for 10 s: does the scenario run at all
    .venv/bin/python bench/load.py --users 50 --workers 5 --run-time 2m
    .venv/bin/python bench/load.py --pool django          # psycopg's pool only (default: off, then django)

Needs the data set of `bench/generate.py --children 500000 --work` (panels, meetings, referrals,
packages: bench/README.md "My work"). For each number of users (default 50, then 200), and for
each DATABASE_POOL (default: off, then django, back to back), it:

1. picks that many people (`pick_personas`): for each ICB partnership in turn, largest host council
   first, a team of ten: the panel's chair and administrator, the ICB's finance approver and a nurse,
   the host council's service manager, a team manager and four social workers;
2. gives them a password made for this run (one PBKDF2 hash, as production stores it), an
   authenticator device with a known secret for those whose role needs a code (casework/mfa.py),
   a read-only API token for one day (through `api_token_create`, so audited), and the ids of the
   records they may open (their children, referrals, meetings, packages), written to
   bench/results/load/<run>/personas.json for the locustfile;
3. starts gunicorn (`--workers N`, sync workers as in the Dockerfile) with ENVIRONMENT=production
   on 127.0.0.1 (SECURE_SSL_REDIRECT and SECURE_COOKIES off: plain HTTP on loopback; no REDIS_URL,
   so a task would run in-process, and the mix queues none), waits for /healthz, runs
   `locust --headless` bounded by --run-time, counts the database's connections (pg_stat_activity)
   and the CPU time of the workers and their database backends every half second, then stops
   gunicorn;
4. prints requests, failures by status, p50/p95/p99 per page, requests/s, the peak connections and
   the CPU per request, and writes the same to summary.md beside locust's CSV files.

Writes to the bench database: the personas' passwords, devices and tokens (above), sessions, the
sign-in records of django-axes, the audit trail's view log (pages that show children log them) and
the social workers' "Assessed needs" section of their own drafts (saved again, the one write in the
mix). Refuses to run unless the database name ends in "_bench".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchdb import ROOT, bench_database_url, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/casework_mywork_bench"
RESULTS = ROOT / "bench" / "results" / "load"
LOCUSTFILE = ROOT / "bench" / "load" / "locustfile.py"
GUNICORN_CONF = ROOT / "bench" / "load" / "gunicorn_conf.py"
VENV_BIN = Path(sys.executable).parent
APPLICATION_NAME = "casework-load"
TEAM = (
    "panel chair",
    "panel administrator",
    "finance approver",
    "nurse",
    "service manager",
    "team manager",
    "social worker",
    "social worker",
    "social worker",
    "social worker",
)


# --- The personas (Django, in this process) -------------------------------------------------------


@dataclass
class Persona:
    kind: str
    user: object
    panel: object | None = None
    data: dict = field(default_factory=dict)


def pick_personas(count: int) -> list[Persona]:
    """`count` people, ten to a partnership, largest host council first (see the module docstring)."""
    from django.db.models import Count, Q

    from casework.models import AgencyKind, Role, User
    from panels.models import Membership, Panel

    panels = list(
        Panel.objects.filter(is_active=True)
        .select_related("host_agency")
        .annotate(
            children=Count(
                "host_agency__involvements",
                filter=Q(host_agency__involvements__ended_on__isnull=True),
            )
        )
        .order_by("-children", "pk")
    )
    if not panels:
        sys.exit("No panels in the bench database: run bench/generate.py --work")

    def people(agency_filter: Q, role: str, n: int) -> list:
        return list(
            User.objects.filter(agency_filter, roles__contains=[role], is_active=True).order_by("pk")[:n]
        )

    chosen: list[Persona] = []
    for panel in panels:
        seats = Membership.objects.current().filter(panel=panel)
        chair = seats.filter(role="chair").order_by("pk").first()
        admin = seats.filter(role="administrator").order_by("pk").first()
        icb = Q(agency__kind=AgencyKind.ICB, agency__partnership=panel.partnership)
        host = Q(agency=panel.host_agency)
        team = {
            "panel chair": [chair.person] if chair else [],
            "panel administrator": [admin.person] if admin else [],
            "finance approver": people(icb, Role.FINANCE_APPROVER, 1),
            "nurse": people(icb, Role.HEALTH_ASSESSOR, 1),
            "service manager": people(host, Role.SERVICE_MANAGER, 1),
            "team manager": people(host, Role.TEAM_MANAGER, 1),
            "social worker": people(host, Role.SOCIAL_WORKER, 4),
        }
        taken: dict[str, int] = {}
        for kind in TEAM:
            i = taken.get(kind, 0)
            taken[kind] = i + 1
            if i < len(team[kind]):
                chosen.append(Persona(kind, team[kind][i], panel))
            if len(chosen) == count:
                return chosen
    sys.exit(f"Only {len(chosen)} people found for {count} users")


def prepare(personas: list[Persona], *, run_dir: Path) -> Path:
    """Passwords, devices, tokens and the records each persona opens; written to personas.json."""
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from casework import mfa
    from casework.models import Involvement, TokenScope, User
    from casework.services import api_token_create
    from funding.access import packages_visible_to
    from panels.models import Meeting
    from referrals.access import referrals_visible_to
    from referrals.models import Referral

    password = secrets.token_urlsafe(18)
    User.objects.filter(pk__in=[p.user.pk for p in personas]).update(password=make_password(password))
    out = []
    for p in personas:
        user = p.user
        device = None
        if mfa.role_requires_mfa(user) or mfa.has_authenticator(user):
            device = TOTPDevice.objects.filter(
                user=user, confirmed=True
            ).first() or TOTPDevice.objects.create(
                user=user, name=mfa.AUTHENTICATOR_NAME, key=mfa.new_secret(), confirmed=True
            )
            # Each code signs in once (last_t): forget an earlier run's, so this run's first code
            # works. And the drift django-otp learnt from an earlier run's late checks: an
            # overloaded server checking codes a minute late moves it (bench/README.md "Load test").
            TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, drift=0, throttling_failure_count=0)
        _token, secret = api_token_create(
            actor=user, user=user, name="Load test", expires_in_days=1, scope=TokenScope.READ_ONLY
        )
        children = list(
            Involvement.objects.filter(agency_id=user.agency_id, ended_on__isnull=True)
            .order_by("?")
            .values_list("child_id", "child__nhs_number")[:30]
        )
        referrals = list(referrals_visible_to(user=user).order_by("?").values_list("pk", flat=True)[:20])
        drafts = list(
            Referral.objects.filter(referrer=user, status="draft")
            .order_by("pk")
            .values_list("pk", flat=True)[:5]
        )
        seated = p.kind in {"panel chair", "panel administrator", "finance approver", "service manager"}
        meetings = (
            list(Meeting.objects.filter(panel=p.panel).order_by("-date").values_list("pk", flat=True)[:12])
            if seated
            else []
        )
        packages = (
            list(packages_visible_to(user=user).order_by("?").values_list("pk", flat=True)[:10])
            if p.kind in {"finance approver", "service manager", "panel administrator"}
            else []
        )
        out.append(
            {
                "kind": p.kind,
                "email": user.email,
                "totp_key": device.key if device else None,
                "token": secret,
                "children": [c for c, _n in children],
                "nhs_numbers": [n for _c, n in children if n],
                "referrals": referrals,
                "drafts": drafts,
                "panel": p.panel.pk if seated else None,
                "meetings": meetings,
                "packages": packages,
            }
        )
    path = run_dir / "personas.json"
    path.write_text(json.dumps({"password": password, "personas": out}, indent=1))
    path.chmod(0o600)
    return path


# --- The server and the run --------------------------------------------------------------------


def production_env(url: str, *, port: int, pool: str | None) -> dict[str, str]:
    # The caller's DATABASE_POOL_MIN_SIZE / _MAX_SIZE / _TIMEOUT_SECONDS pass through (to try a pool
    # of another size); nothing else of theirs that settings read.
    env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith("DATABASE_POOL_")
        or not k.startswith(("DJANGO_", "DATABASE_", "DB_", "TESTING", "DEBUG", "REDIS_", "CELERY_"))
    }
    env.update(
        ENVIRONMENT="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=url,
        # Plain HTTP on loopback: no TLS proxy in front, so no redirect to https and cookies that
        # travel over http. Everything else is production's default (DEBUG off, manifest static
        # files, HSTS header, axes, two-step verification).
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        BEHIND_TLS_PROXY="false",
        LOG_LEVEL="WARNING",
        SITE_URL=f"http://127.0.0.1:{port}",
    )
    if pool is not None:
        env["DATABASE_POOL"] = pool
    return env


def collectstatic(env: dict[str, str]) -> None:
    """Production serves hashed static names from a manifest (whitenoise): build it, as the image
    does, unless the one there is newer than every static file."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    newest = max((f.stat().st_mtime for f in (ROOT / "static").rglob("*") if f.is_file()), default=0)
    if manifest.exists() and manifest.stat().st_mtime > newest:
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def wait_for_health(port: int, timeout: float = 180) -> None:
    """Workers import the whole project as they start: minutes on a busy 2-core machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer /healthz on port {port} within {timeout} s")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (/proc/<pid>/stat), None once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def child_pids(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class ConnectionSampler(threading.Thread):
    """Every half second: counts connections (the server's, by application_name; the bench
    database's; the whole PostgreSQL server's, other people's test databases included), and reads
    the CPU time of gunicorn's workers and of the server's database backends. CPU seconds per
    request do not depend on what else the shared machine is doing, so they say what a core
    serves when the response times cannot."""

    def __init__(self, url: str, gunicorn_pid: int):
        super().__init__(daemon=True)
        self.url, self.gunicorn_pid = url, gunicorn_pid
        self.stop = threading.Event()
        self.samples: list[tuple[int, int, int, int]] = []
        self.max_connections = 0
        # pid -> (CPU seconds when first seen, latest)
        self.web: dict[int, tuple[float, float]] = {}
        self.db: dict[int, tuple[float, float]] = {}

    @staticmethod
    def _note(seen: dict[int, tuple[float, float]], pids: list[int], *, first_is_zero: bool) -> None:
        for pid in pids:
            now = cpu_seconds(pid)
            if now is None:
                continue
            first = seen[pid][0] if pid in seen else (0.0 if first_is_zero else now)
            seen[pid] = (first, now)

    def run(self) -> None:
        import psycopg

        started = False
        with psycopg.connect(self.url, autocommit=True) as conn:
            self.max_connections = int(conn.execute("SHOW max_connections").fetchone()[0])  # type: ignore[index]
            while not self.stop.is_set():
                row = conn.execute(
                    """
                    SELECT count(*) FILTER (WHERE application_name = %(name)s),
                           count(*) FILTER (WHERE application_name = %(name)s AND state = 'active'),
                           count(*) FILTER (WHERE datname = current_database() AND pid <> pg_backend_pid()),
                           count(*) FILTER (WHERE backend_type = 'client backend'),
                           array_agg(pid) FILTER (WHERE application_name = %(name)s)
                    FROM pg_stat_activity
                    """,
                    {"name": APPLICATION_NAME},
                ).fetchone()
                assert row is not None
                self.samples.append((row[0], row[1], row[2], row[3]))
                # Workers and connections there before the run count from the run's start;
                # later ones (a replaced worker, a new connection) from their own.
                self._note(self.web, child_pids(self.gunicorn_pid), first_is_zero=started)
                self._note(self.db, list(row[4] or []), first_is_zero=started)
                started = True
                self.stop.wait(0.5)

    @property
    def peak(self) -> dict[str, int]:
        names = ("server", "server_active", "database", "all")
        peaks = {n: max((s[i] for s in self.samples), default=0) for i, n in enumerate(names)}
        return {**peaks, "max_connections": self.max_connections}

    @property
    def cpu(self) -> dict[str, float]:
        return {
            "web": sum(last - first for first, last in self.web.values()),
            "db": sum(last - first for first, last in self.db.values()),
        }


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_stage(
    *,
    url: str,
    users: int,
    spawn_rate: float,
    run_time: str,
    workers: int,
    port: int,
    pool: str | None,
    run_dir: Path,
    personas_path: Path,
) -> dict:
    label = f"{users}u" + (f"-pool-{pool}" if pool else "")
    # The server's connections carry a name of their own, so other people's on the same database
    # are not counted.
    server_url = url + ("&" if "?" in url else "?") + f"application_name={APPLICATION_NAME}"
    env = production_env(server_url, port=port, pool=pool)
    cpu_log = run_dir / f"{label}-cpu.log"
    env["LOAD_CPU_LOG"] = str(cpu_log)
    result_path = run_dir / f"{label}.json"
    with (
        (run_dir / f"{label}-gunicorn.log").open("w") as log,
        (run_dir / f"{label}-locust.log").open("w") as out,
    ):
        gunicorn = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
                "--config",
                str(GUNICORN_CONF),
                # Its own control socket, not the shared default in ~/.gunicorn.
                "--control-socket",
                str(run_dir / f"{label}-gunicorn.ctl"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        sampler = ConnectionSampler(url, gunicorn.pid)
        try:
            wait_for_health(port)
            load_before = loadavg()
            sampler.start()
            started = time.monotonic()
            subprocess.run(
                [
                    str(VENV_BIN / "locust"),
                    "-f",
                    str(LOCUSTFILE),
                    "--headless",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "-u",
                    str(users),
                    "-r",
                    str(spawn_rate),
                    "--run-time",
                    run_time,
                    "--stop-timeout",
                    "10",
                    "--csv",
                    str(run_dir / label),
                    "--only-summary",
                ],
                cwd=ROOT,
                env={**os.environ, "LOAD_PERSONAS": str(personas_path), "LOAD_RESULT": str(result_path)},
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,  # locust exits 1 when any request failed: the report says which
            )
            elapsed = time.monotonic() - started
            load_after = loadavg()
        finally:
            sampler.stop.set()
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
                gunicorn.wait()
            if sampler.is_alive():
                sampler.join(timeout=5)
    if not result_path.exists():
        sys.exit(f"locust wrote no result: see {run_dir / f'{label}-locust.log'}")
    return {
        "label": label,
        "users": users,
        "workers": workers,
        "pool": pool,
        "elapsed": elapsed,
        "load_before": load_before,
        "load_after": load_after,
        "connections": sampler.peak,
        "cpu": sampler.cpu,
        "cpu_pages": cpu_by_page(cpu_log),
        **json.loads(result_path.read_text()),
    }


SIGN_IN = {
    ("GET", "/sign-in/"): "sign-in: form",
    ("POST", "/sign-in/"): "sign-in: password",
    ("GET", "/sign-in/code/"): "sign-in: code form",
    ("POST", "/sign-in/code/"): "sign-in: code",
}


def page_name(method: str, path: str, query: str) -> str:
    """The locustfile's name for a request the server logged."""
    if (method, path) in SIGN_IN:
        return SIGN_IN[(method, path)]
    if path == "/":
        return "/ (My work)"
    if path == "/children/" and query.startswith("q="):
        return "/children/?q=" + ("[NHS number]" if query[2:].isdigit() else "[name prefix]")
    name = re.sub(r"/\d+(?=/)", "/[id]", path)
    return name + " (save)" if method == "POST" and name.endswith("/sections/needs/") else name


def cpu_by_page(path: Path) -> dict[str, list[float]]:
    """Each page's CPU milliseconds in its worker, from gunicorn_conf.py's log (healthz left out).

    A worker's first request for a page is left out: it also compiles the page's templates and
    loads what the page imports, once per worker (a few hundred requests over 5 fresh workers and
    25 pages would otherwise be mostly first requests; production's workers live for days)."""
    pages: dict[str, list[float]] = {}
    if not path.exists():
        return pages
    seen: set[tuple[str, str]] = set()
    for line in path.read_text().splitlines():
        method, target, _status, cpu_ms, pid = line.split(" ")
        url, _sep, query = target.partition("?")
        if url == "/healthz":
            continue
        name = f"{method} {page_name(method, url, query)}"
        if (pid, name) not in seen:
            seen.add((pid, name))
            continue
        pages.setdefault(name, []).append(float(cpu_ms))
    return pages


def report(stage: dict) -> str:
    total = stage["total"]
    peak = stage["connections"]
    cpu = stage["cpu"]
    n = max(1, total["requests"])
    by_status: dict[str, int] = {}
    for error in stage["errors"]:
        by_status[error["status"]] = by_status.get(error["status"], 0) + error["occurrences"]
    failures = ", ".join(f"{status}: {n}" for status, n in sorted(by_status.items())) or "none"
    lines = [
        f"### {stage['users']} users, {stage['workers']} gunicorn workers"
        + (f", DATABASE_POOL={stage['pool']}" if stage["pool"] else "")
        + "".join(
            f", {name}={os.environ[name]}"
            for name in ("DATABASE_POOL_MIN_SIZE", "DATABASE_POOL_MAX_SIZE")
            if stage["pool"] == "django" and os.environ.get(name)
        ),
        "",
        f"{total['requests']} requests, {total['failures']} failed ({failures}), {total['rps']:.1f} requests/s "
        f"over {stage['elapsed']:.0f} s. Database connections at the peak: the server's {peak['server']} "
        f"({peak['server_active']} running a query at once), the database's {peak['database']}, "
        f"the whole PostgreSQL server's {peak['all']} of {peak['max_connections']}. "
        f"CPU: gunicorn's workers {cpu['web']:.0f} s, their database backends {cpu['db']:.0f} s, "
        f"{1000 * cpu['web'] / n:.0f} + {1000 * cpu['db'] / n:.0f} ms a request. "
        f"Load average before {stage['load_before']}, after {stage['load_after']}.",
        "",
        "```",
        f"{'page':44} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'CPU p50':>7} {'CPU p95':>7} (CPU: ms in the worker, its first request of each page left out)",
    ]
    cpu_pages = stage["cpu_pages"]
    everything = sorted(ms for values in cpu_pages.values() for ms in values)
    for row in [*stage["pages"], {**total, "method": "", "name": "all"}]:
        name = f"{row['method']} {row['name']}".strip()
        cpu = everything if name == "all" else sorted(cpu_pages.get(name, []))
        cpu_p50 = f"{cpu[len(cpu) // 2]:.0f}" if cpu else "-"
        cpu_p95 = f"{cpu[min(len(cpu) - 1, int(len(cpu) * 0.95))]:.0f}" if cpu else "-"
        lines.append(
            f"{name[:44]:44} {row['requests']:>8} {row['failures']:>6} {row['p50']:>7} {row['p95']:>7} "
            f"{row['p99']:>7} {row['max']:>7} {cpu_p50:>7} {cpu_p95:>7}"
        )
    lines.append("```")
    if stage["errors"]:
        lines += ["", "Failures:", ""]
        lines += [f"- {e['method']} {e['name']}: {e['status']} ({e['occurrences']})" for e in stage["errors"]]
    return "\n".join(lines)


def pool_setting_available() -> bool:
    return "DATABASE_POOL" in (ROOT / "config" / "settings.py").read_text()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, nargs="+", default=[50, 200], help="one run per number")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started a second")
    parser.add_argument("--run-time", default="2m", help="each run's length, locust's syntax (2m, 90s)")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers (2 x cores + 1)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--pool",
        choices=["off", "django", "both"],
        default="both",
        help="DATABASE_POOL for the server: off (a connection per worker, kept DB_CONN_MAX_AGE), django "
        "(psycopg's pool in each worker, production's default) or both, one run each (default)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="3 users for 10 s: the scenario works end to end"
    )
    args = parser.parse_args()
    if args.smoke:
        args.users, args.run_time, args.spawn_rate = [3], "10s", 3
        args.pool = "django" if args.pool == "both" else args.pool

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    url = bench_database_url()
    setup_django(url)
    from django.conf import settings

    dbname = settings.DATABASES["default"]["NAME"]
    pools: list[str | None] = ["off", "django"] if args.pool == "both" else [args.pool]
    if not pool_setting_available():
        print("config/settings.py does not read DATABASE_POOL: one run with its connections as they are")
        pools = [None]

    run_dir = RESULTS / time.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    collectstatic(production_env(url, port=args.port, pool=None))
    print(f"collectstatic {time.monotonic() - started:.0f} s", flush=True)
    sections = [
        f"Load test {time.strftime('%Y-%m-%d %H:%M')} against {dbname}, {os.cpu_count()} cores; "
        f"spawn {args.spawn_rate:g}/s, run {args.run_time} each"
    ]
    print(sections[0], flush=True)
    # Each number of users with and without the pool back to back, so that the shared machine's
    # load is as alike as it can be for the two.
    for users in args.users:
        for pool in pools:
            started = time.monotonic()
            personas_path = prepare(pick_personas(users), run_dir=run_dir)
            print(f"{users} personas prepared in {time.monotonic() - started:.0f} s", flush=True)
            from django.db import connection

            connection.close()  # the sampler and the server count connections: hold none here
            stage = run_stage(
                url=url,
                users=users,
                spawn_rate=args.spawn_rate,
                run_time=args.run_time,
                workers=args.workers,
                port=args.port,
                pool=pool,
                run_dir=run_dir,
                personas_path=personas_path,
            )
            text = report(stage)
            print(text, flush=True)
            sections.append(text)
    (run_dir / "summary.md").write_text("\n\n".join(sections) + "\n")
    print(f"\nCSV files and summary.md in {run_dir}")


if __name__ == "__main__":
    main()
