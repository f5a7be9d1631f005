"""Measure the tracker and commitments exports (CSV and XLSX) at N and 10N rows: time, queries, size,
and the peak of Python memory while the whole file is made and read, in a database of its own.

    .venv/bin/python bench/exports.py                    # N = 1,000 rows, then 10,000
    .venv/bin/python bench/exports.py --rows 5000        # N = 5,000, then 50,000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_exports_bench .venv/bin/python bench/exports.py

The data: one partnership (a council and an ICB), its panel with 50 meetings, and N referrals the
panel decided, each split between the council and the ICB (2 tracker lines each); and N funding
packages, agreed by both agencies' finance approvers, for a pool of 500 children. The first package
and the first referral go through the services and the tests' factory; the rest are copies written
with bulk_create (as a year of a large partnership's activity would leave them). Then 9N more of
each are added and everything is measured again.

Each export is fetched through Django's test client (middleware, access checks, audit and read log
included) in a child process forked for it after a warm-up fetch, and its streamed body read a piece
at a time and thrown away, as a client would: "peak" is how far the child's peak resident memory
(ru_maxrss) rose above its resident memory before the request. The issue's target: the exports
stream, so the peak stays flat however many rows (it must not grow ~10x from N to 10N).

The database (name must end in "_bench"; default casework_exports_bench) is dropped and created again,
with the migrations, on every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import sys
import time
from decimal import Decimal

from benchdb import ROOT, bench_url_or, recreate_database, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/casework_exports_bench"
CHILDREN = 500
MEETINGS = 50
BATCH = 2000


def database_url() -> str:
    return bench_url_or(DEFAULT_DATABASE_URL)


# --- The data -----------------------------------------------------------------------------------


class World:
    """The partnership, its people, panel, meetings, children and the two templates to copy."""

    def __init__(self) -> None:
        from casework.models import AgencyKind, Role
        from funding import services as funding
        from panels.models import Membership
        from tests.factories import (
            AgencyFactory,
            ChildFactory,
            MeetingFactory,
            PanelFactory,
            UserFactory,
            tracker_referral_for,
        )
        from tests.funding.conftest import terms

        self.council = AgencyFactory(
            name="Bench County Council Children's Services",
            kind=AgencyKind.CHILDRENS_SERVICES,
            partnership="Bench Partnership",
        )
        self.icb = AgencyFactory(
            name="NHS Bench ICB", kind=AgencyKind.ICB, ods_code="QXB", partnership="Bench Partnership"
        )
        self.worker = UserFactory(agency=self.council, roles=[Role.SOCIAL_WORKER])
        self.admin = UserFactory(agency=self.council, roles=[Role.PANEL_ADMINISTRATOR])
        self.council_finance = UserFactory(
            agency=self.council, roles=[Role.FINANCE_APPROVER], delegated_limit=Decimal("10000000")
        )
        self.icb_finance = UserFactory(
            agency=self.icb, roles=[Role.FINANCE_APPROVER], delegated_limit=Decimal("10000000")
        )
        self.panel = PanelFactory(name="Bench IRAP", kind="irap", host_agency=self.council)
        Membership.objects.create(
            panel=self.panel,
            person=self.admin,
            agency=self.council,
            role="administrator",
            starts_on=dt.date(2026, 1, 1),
        )
        first = dt.date(2026, 4, 2)
        self.meetings = [
            MeetingFactory(panel=self.panel, date=first + dt.timedelta(weeks=n)) for n in range(MEETINGS)
        ]
        self.children = [
            ChildFactory(owning_agency=self.council, created_by=self.worker, involved=[self.icb])
            for _ in range(CHILDREN)
        ]
        self.referral = tracker_referral_for(
            child=self.children[0],
            meeting=self.meetings[0],
            referrer=self.worker,
            outcome="agreed_with_conditions",
            shares=[(self.council, "743.20"), (self.icb, "743.20")],
            review_date=dt.date(2027, 4, 1),
        )
        from funding.models import Provider, ProviderKind

        provider = Provider.objects.create(name="Bench Care Ltd", kind=ProviderKind.DOMICILIARY)
        self.package = funding.package_create_existing(
            actor=self.council_finance,
            child=self.children[0],
            pathway="joint_package",
            terms=terms(provider, (self.council, "percentage", "50"), (self.icb, "percentage", "50")),
        )
        for person in (self.council_finance, self.icb_finance):
            self.package.refresh_from_db()
            share = self.package.current_version.shares.get(agency=person.agency)
            funding.share_approve(actor=person, share=share, expected_version=self.package.version_number)
        self.package.refresh_from_db()
        self.referrals = 1
        self.packages = 1

    def add_referrals(self, n: int) -> None:
        """n copies of the template referral, each on the agenda of a meeting with its decision."""
        from panels.models import AgendaItem, Decision, DecisionShare
        from referrals.models import Referral

        item = AgendaItem.objects.get(referral=self.referral)
        decision = Decision.objects.get(agenda_item=item)
        shares = list(DecisionShare.objects.filter(decision=decision))
        for start in range(0, n, BATCH):
            count = min(BATCH, n - start)
            numbers = range(self.referrals + start, self.referrals + start + count)
            referrals = Referral.objects.bulk_create(
                [
                    _copy(
                        self.referral,
                        child=self.children[k % CHILDREN],
                        meeting=self.meetings[k % MEETINGS],
                    )
                    for k in numbers
                ]
            )
            items = AgendaItem.objects.bulk_create(
                [
                    _copy(item, referral=r, meeting=self.meetings[k % MEETINGS], position=k // MEETINGS + 1)
                    for k, r in zip(numbers, referrals, strict=True)
                ]
            )
            decisions = Decision.objects.bulk_create(
                [_copy(decision, agenda_item=i, referral=r) for i, r in zip(items, referrals, strict=True)]
            )
            DecisionShare.objects.bulk_create([_copy(s, decision=d) for d in decisions for s in shares])
        self.referrals += n

    def add_packages(self, n: int) -> None:
        """n copies of the template package (one version, two approved shares)."""
        from funding.models import FundingPackage, PackageVersion, ShareLine

        version = self.package.current_version
        shares = list(ShareLine.objects.filter(version=version))
        for start in range(0, n, BATCH):
            count = min(BATCH, n - start)
            numbers = range(self.packages + start, self.packages + start + count)
            packages = FundingPackage.objects.bulk_create(
                [
                    _copy(self.package, child=self.children[k % CHILDREN], current_version=None)
                    for k in numbers
                ]
            )
            versions = PackageVersion.objects.bulk_create([_copy(version, package=p) for p in packages])
            ShareLine.objects.bulk_create(
                [
                    _copy(s, package=p, version=v)
                    for p, v in zip(packages, versions, strict=True)
                    for s in shares
                ]
            )
            for p, v in zip(packages, versions, strict=True):
                p.current_version = v
            FundingPackage.objects.bulk_update(packages, ["current_version"])
        self.packages += n


def _copy(obj, **changes):
    """An unsaved copy of a model instance with some fields changed."""
    fields = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key}
    for name, value in changes.items():
        field = obj._meta.get_field(name)
        fields[field.attname] = value.pk if hasattr(value, "pk") else value
    return type(obj)(**fields)


# --- The measurement ----------------------------------------------------------------------------


def _rss() -> int:
    """This process's resident memory now, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _fetch(name: str, user, url: str, params: dict) -> dict:
    """Fetch one export, reading its body a piece at a time; the time, queries, size, and how far
    this process's peak resident memory rose above what it was before the request."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.mfa_helpers import needs_second_step, verify_session

    client = Client()
    client.force_login(user)
    if needs_second_step(user):
        verify_session(client, user)  # a finance approver signs in with a code (casework/mfa.py)
    before = _rss()
    started = time.perf_counter()
    size = 0
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        assert response.status_code == 200, (name, response.status_code, response.get("Location"))
        for piece in response.streaming_content:
            size += len(piece)
        response.close()
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    return {"export": name, "seconds": elapsed, "queries": len(queries), "bytes": size, "peak": peak}


def measure(world: World) -> list[dict]:
    """Each export in a child process of its own, forked after a warm-up fetch (imports, plans), so
    its peak resident memory is that one request's."""
    from django.db import connection
    from django.urls import reverse

    cases = [
        ("tracker CSV", world.admin, reverse("panels:tracker_csv", args=[world.panel.pk]), {}),
        ("tracker XLSX", world.admin, reverse("panels:tracker_xlsx", args=[world.panel.pk]), {}),
        ("commitments CSV", world.council_finance, reverse("funding:export_csv"), {"year": 2026}),
        ("commitments XLSX", world.council_finance, reverse("funding:export_xlsx"), {"year": 2026}),
    ]
    results = []
    for name, user, url, params in cases:
        _fetch(name, user, url, params)  # warm
        connection.close()  # the child opens its own
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read)
            try:
                result = _fetch(name, user, url, params)
                os.write(write, json.dumps(result).encode())
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            body = pipe.read()
        os.waitpid(pid, 0)
        results.append(json.loads(body))
    return results


def report(rows: int, results: list[dict]) -> None:
    print(f"\n{rows:,} referrals (2 tracker lines each) and {rows:,} packages (1 line each):")
    print(f"  {'export':<18} {'time':>8} {'queries':>8} {'file':>10} {'peak memory rise':>20}")
    for r in results:
        print(
            f"  {r['export']:<18} {r['seconds']:>7.2f}s {r['queries']:>8} {r['bytes'] / 1e6:>8.2f}MB "
            f"{r['peak'] / 1e6:>18.1f}MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1000, help="N: referrals and packages (then 10N)")
    args = parser.parse_args()
    url = database_url()
    recreate_database(url)
    setup_django(url)
    os.chdir(ROOT)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = ["*"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    logging.disable(logging.INFO)
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.monotonic() - started:.0f}s")
    import time_machine

    # Mid-year, so the commitments have a part to date and the tracker's meetings have been held.
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC), tick=True):
        world = World()
        sizes = [args.rows, 10 * args.rows]
        peaks = {}
        for rows in sizes:
            started = time.monotonic()
            world.add_referrals(rows - world.referrals)
            world.add_packages(rows - world.packages)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            print(f"\nloaded to {rows:,} rows in {time.monotonic() - started:.0f}s")
            results = measure(world)
            report(rows, results)
            peaks[rows] = {r["export"]: r["peak"] for r in results}
    print(f"\npeak at {sizes[1]:,} rows / peak at {sizes[0]:,} rows:")
    for name, peak in peaks[sizes[0]].items():
        print(f"  {name:<18} {peaks[sizes[1]][name] / peak:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
