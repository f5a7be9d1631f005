"""Notice e-mails under real faults, at size (issue 13): how many were sent, lost and duplicated.

    .venv/bin/python bench/faults.py                       # every scenario, 1,000 notices each (~10 min)
    .venv/bin/python bench/faults.py --notices 2000 --only kill pool
    .venv/bin/python bench/faults.py --relay-every 10      # a faster relay than beat's minute

Everything is the real thing, as tests/faults/ uses it (tests/celery_worker.py): `celery worker`
processes on a redis-server of the bench's own, an SMTP server that counts every Message-ID, and
PostgreSQL (through a TCP proxy for the outage). Nothing is moved on in time: the leases, backoffs,
the broker's visibility timeout (15 minutes) are production's, and the relay runs every
`--relay-every` seconds (beat's minute by default) from this process, as beat would queue it.

Scenarios, each on data of its own (an agency with its panel administrators and people):
- kill:  a reminder sweep owing N reminders (40 panels' meetings whose papers are overdue, N/40
         administrators each) runs on a solo worker; the worker is killed -9 during the sweep (then
         started again and the sweep queued again, as beat would five minutes later), and twice
         more while it sends.
- pool:  N notices made by notify() in transactions of 50; a prefork worker with two children,
         one child killed -9 at 20%, 40%, 60% and 80% of the sends.
- db:    N notices; the worker reaches PostgreSQL through a proxy, stopped for 10 s at 20% of the
         sends and three times for 2 s at 60% (every connection cut, new ones refused).
- redis: Redis stopped; N notices made in N/10 transactions (as N/10 pages would: the time each
         commit took is shown), then Redis started, a worker started, and the relay left to it.

Per scenario: notices owed; sent (distinct Message-IDs the SMTP server accepted); lost (owed and
never accepted once everything settled, or when --timeout ran out); duplicated (copies beyond the
first); background jobs done / failed / still open; and the time from the first fault until the
last notice was delivered.

The database (name must end in "_bench"; default casework_faults_bench) is dropped and created
again on every run; worker logs go to a temporary folder, printed at the end.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
from benchdb import bench_url_or, recreate_database, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/casework_faults_bench"
SCENARIOS = ("kill", "pool", "db", "redis")


# --- Data ---------------------------------------------------------------------------------------


def people(agency, count: int, role: str, label: str) -> list:
    """`count` people of `agency` (bulk: nobody signs in, so no password hashing)."""
    from django.contrib.auth.hashers import make_password

    from casework.models import User

    unusable = make_password(None)
    return User.objects.bulk_create(
        [
            User(
                email=f"{label}{index}@{agency.pk}.faults.example",
                full_name=f"{label.title()} {index}",
                agency=agency,
                roles=[role],
                password=unusable,
            )
            for index in range(count)
        ]
    )


def an_agency(label: str):
    from casework.models import AgencyKind
    from tests.factories import AgencyFactory

    return AgencyFactory(
        name=f"{label} Council Children's Services",
        kind=AgencyKind.CHILDRENS_SERVICES,
        partnership=f"{label} Partnership",
    )


def overdue_circulations(agency, panels: int) -> None:
    """`panels` panels hosted by `agency`, each with a meeting whose papers were due to be
    circulated three working days ago: one sweep owes every administrator of the agency one
    reminder per meeting."""
    from django.utils import timezone

    from casework.working_days import add_working_days, is_working_day
    from tests.factories import MeetingFactory, PanelFactory

    today = timezone.localdate()
    last_working_day = today if is_working_day(today) else add_working_days(today, -1)
    for number in range(panels):
        panel = PanelFactory(name=f"{agency.partnership} panel {number}", kind="irap", host_agency=agency)
        MeetingFactory(panel=panel, date=add_working_days(last_working_day, 2))


def notify_in_batches(users: list, batch: int) -> list[float]:
    """notify() in transactions of `batch` people, as pages do; returns each commit's seconds."""
    from django.db import transaction

    from casework.notifications import notify

    took = []
    for start in range(0, len(users), batch):
        began = time.perf_counter()
        with transaction.atomic():
            notify(users=users[start : start + batch], subject="A decision was recorded", url="/referrals/")
        took.append(time.perf_counter() - began)
    return took


# --- Running a scenario -------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    owed: int
    sent: int
    lost: int
    duplicated: int
    faults: int
    done: int
    failed: int
    still_open: int
    delivered_after: float | None  # seconds from the first fault to the last delivery
    note: str = ""


class Scenario:
    """A private Redis, an SMTP sink, the bench process publishing to that Redis, and workers."""

    def __init__(self, name: str, folder: Path, relay_every: float, timeout: float) -> None:
        from tests.celery_worker import PrivateRedis, SmtpSink

        self.name, self.folder, self.relay_every, self.timeout = name, folder, relay_every, timeout
        self.redis = PrivateRedis(folder / f"{name}-redis")
        self.sink = SmtpSink()
        self.workers = []
        self.first_fault: float | None = None
        self.faults = 0

    def __enter__(self) -> Scenario:
        from tests.celery_worker import publishing_to

        self.redis.start()
        self.sink.start()
        self._publishing = publishing_to(self.redis.url)
        self._publishing.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        for worker in self.workers:
            worker.kill()
        self._publishing.__exit__(*exc)
        self.sink.stop()
        self.redis.stop()

    def worker(self, **options):
        from tests.celery_worker import fault_worker

        made = fault_worker(
            broker_url=self.redis.url,
            smtp_port=self.sink.port,
            log=self.folder / f"{self.name}-worker.log",
            **options,
        )
        self.workers.append(made)
        made.start()
        return made

    def fault(self) -> None:
        self.faults += 1
        if self.first_fault is None:
            self.first_fault = time.monotonic()

    def wait_sent(self, share: float, owed: int, worker) -> None:
        from tests.celery_worker import wait_for

        if not wait_for(lambda: self.sink.count() >= share * owed, 600, worker=worker):
            raise RuntimeError(f"{self.name}: stuck before {share:.0%} sent\n{worker.log_tail()}")

    def settle(self, notice_ids: list[int], note: str = "") -> Outcome:
        """Run the relay every `relay_every` seconds until every job of these notices is done or
        failed (or `timeout` passes); then count."""
        from casework.jobs import NOTICE_EMAIL, message_id
        from casework.models import BackgroundJob
        from casework.outbox import OPEN, relay

        jobs = BackgroundJob.objects.filter(kind=NOTICE_EMAIL, object_id__in=notice_ids)
        began = time.monotonic()
        next_relay = began + self.relay_every
        while jobs.filter(status__in=OPEN).exists() and time.monotonic() - began < self.timeout:
            if time.monotonic() >= next_relay:
                relay()
                next_relay += self.relay_every
            time.sleep(0.25)
        statuses = collections.Counter(jobs.values_list("status", flat=True))
        owed = {message_id("notice", pk) for pk in notice_ids}
        received = self.sink.counts()
        mine = {mid: n for mid, n in received.items() if mid in owed}
        start = self.first_fault or began
        return Outcome(
            name=self.name,
            owed=len(owed),
            sent=len(mine),
            lost=len(owed - mine.keys()),
            duplicated=sum(n - 1 for n in mine.values()),
            faults=self.faults,
            done=statuses.get("done", 0),
            failed=statuses.get("failed", 0),
            still_open=sum(statuses.get(s, 0) for s in OPEN),
            delivered_after=(self.sink.last_at - start) if len(mine) == len(owed) else None,
            note=note,
        )


def scenario_kill(run: Scenario, notices: int) -> Outcome:
    """Solo worker killed -9 during the sweep, and twice while sending; restarted each time."""
    from casework.models import Notification, ReminderSent, Role
    from casework.tasks import sweep_reminders
    from tests.celery_worker import wait_for

    panels = 40
    agency = an_agency("Killed Worker")
    admins = people(agency, max(1, notices // panels), Role.PANEL_ADMINISTRATOR, "admin")
    overdue_circulations(agency, panels)
    owed = len(admins) * panels
    claimed = ReminderSent.objects.filter(user__agency=agency)

    worker = run.worker()
    sweep_reminders.delay()
    wait_for(lambda: claimed.count() >= owed // 4, 120, worker=worker)
    mid_sweep = claimed.count()
    worker.kill()
    run.fault()
    worker.start()
    sweep_reminders.delay()  # beat's next sweep (five minutes later in production)
    for share in (0.4, 0.7):
        run.wait_sent(share, owed, worker)
        worker.kill()
        run.fault()
        worker.start()
    notice_ids = list(Notification.objects.filter(user__agency=agency).values_list("pk", flat=True))
    outcome = run.settle(notice_ids, note=f"sweep killed after {mid_sweep} of {owed} claimed")
    if len(notice_ids) != owed or claimed.count() != owed:
        outcome.note += f"; {len(notice_ids)} notices and {claimed.count()} reminders for {owed} owed"
    return outcome


def scenario_pool(run: Scenario, notices: int) -> Outcome:
    """Prefork, two children; one child killed -9 at 20, 40, 60 and 80% of the sends."""
    from casework.models import Notification, Role

    agency = an_agency("Killed Child")
    users = people(agency, notices, Role.SOCIAL_WORKER, "worker")
    worker = run.worker(pool="prefork", concurrency=2)
    notify_in_batches(users, 50)
    notice_ids = list(Notification.objects.filter(user__agency=agency).values_list("pk", flat=True))
    for share in (0.2, 0.4, 0.6, 0.8):
        run.wait_sent(share, len(notice_ids), worker)
        worker.kill_pool_child()
        run.fault()
    return run.settle(notice_ids)


def scenario_db(run: Scenario, notices: int) -> Outcome:
    """The worker's database cut off for 10 s at 20% of the sends and 3 x 2 s at 60%."""
    from django.db import connection

    from casework.models import Notification, Role
    from tests.celery_worker import TcpProxy

    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    proxy.start()
    try:
        agency = an_agency("Database Outage")
        users = people(agency, notices, Role.SOCIAL_WORKER, "worker")
        worker = run.worker(database_port=proxy.port)
        notify_in_batches(users, 50)
        notice_ids = list(Notification.objects.filter(user__agency=agency).values_list("pk", flat=True))
        for share, outages, seconds in ((0.2, 1, 10.0), (0.6, 3, 2.0)):
            run.wait_sent(share, len(notice_ids), worker)
            for _ in range(outages):
                proxy.stop()
                run.fault()
                time.sleep(seconds)
                proxy.start()
                time.sleep(1.0)
        return run.settle(notice_ids)
    finally:
        proxy.stop()


def scenario_redis(run: Scenario, notices: int) -> Outcome:
    """Redis stopped while N/10 'pages' commit notices; then Redis back, a worker, the relay."""
    from casework.models import Notification, Role

    agency = an_agency("Redis Down")
    users = people(agency, notices, Role.SOCIAL_WORKER, "worker")
    run.redis.stop()
    run.fault()
    took = notify_in_batches(users, 10)
    notice_ids = list(Notification.objects.filter(user__agency=agency).values_list("pk", flat=True))
    run.redis.start()
    run.worker()
    note = (
        f"{len(took)} commits with Redis down: p50 {statistics.median(took) * 1000:.0f} ms, "
        f"max {max(took) * 1000:.0f} ms"
    )
    return run.settle(notice_ids, note=note)


RUNNERS = {"kill": scenario_kill, "pool": scenario_pool, "db": scenario_db, "redis": scenario_redis}
TITLES = {
    "kill": "worker killed -9 (mid-sweep, then 2x mid-send)",
    "pool": "pool child killed -9 (4x, prefork 2)",
    "db": "database cut off (10 s, then 3 x 2 s)",
    "redis": "Redis down while pages commit",
}


def report(outcomes: list[Outcome]) -> None:
    print()
    print(
        f"{'scenario':48} {'owed':>6} {'sent':>6} {'lost':>5} {'dup':>4} {'faults':>6} "
        f"{'done':>6} {'failed':>6} {'open':>5} {'delivered in':>12}"
    )
    for o in outcomes:
        delivered = f"{o.delivered_after:.0f} s" if o.delivered_after is not None else "never"
        print(
            f"{TITLES[o.name]:48} {o.owed:>6} {o.sent:>6} {o.lost:>5} {o.duplicated:>4} {o.faults:>6} "
            f"{o.done:>6} {o.failed:>6} {o.still_open:>5} {delivered:>12}"
        )
    for o in outcomes:
        if o.note:
            print(f"  {o.name}: {o.note}")


def quiet() -> None:
    import logging

    logging.getLogger("casework.outbox").setLevel(logging.ERROR)  # "could not queue" per commit
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--notices", type=int, default=1000, help="notices per scenario")
    parser.add_argument(
        "--relay-every", type=float, default=60.0, help="seconds between relay runs (beat: 60)"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="give up settling a scenario after this")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    args = parser.parse_args()

    url = bench_url_or(DEFAULT_DATABASE_URL)
    folder = Path(tempfile.mkdtemp(prefix="faultsbench-"))
    os.environ["PRIVATE_STORAGE_ROOT"] = str(folder / "private")
    os.environ["DATABASE_URL"] = url
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    began = time.perf_counter()
    recreate_database(url)
    setup_django(url)
    quiet()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(
        f"Database {dj_database_url.parse(url)['NAME']} created and migrated in {time.perf_counter() - began:.0f} s"
    )
    print(
        f"{args.notices} notices per scenario; relay every {args.relay_every:.0f} s; worker logs in {folder}"
    )

    outcomes = []
    for name in args.only:
        began = time.perf_counter()
        with Scenario(name, folder, args.relay_every, args.timeout) as run:
            outcome = RUNNERS[name](run, args.notices)
        outcomes.append(outcome)
        print(
            f"{TITLES[name]}: {outcome.sent}/{outcome.owed} sent, {outcome.lost} lost, "
            f"{outcome.duplicated} duplicated ({time.perf_counter() - began:.0f} s, load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    report(outcomes)


if __name__ == "__main__":
    main()
