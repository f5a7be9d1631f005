"""Time the reminder sweep (casework.reminders.run_sweeps, every registered sweep) over 100,000 open
deadlines, in a database of its own, and check each reminder still goes exactly once.

    .venv/bin/python bench/reminders.py                       # 1,000 due + 99,000 not due
    .venv/bin/python bench/reminders.py --due 2000 --open 200000

The deadlines are of the two kinds with a date of their own that the sweeps read: the panels'
action logs (open actions and their due dates, panels.reminders.actions_due) and funding packages'
review dates (funding.reminders.package_reviews_due), half each. A due one is due today or overdue
by up to 10 days; one not due is due in 1 to 365 days (an action), in 60 to 365 days (a review,
past the 28 days' notice), or overdue by more than the 60 days a sweep looks back.

Four runs, each timed (the sweeps' modules imported first), with its queries counted:
1. the due deadlines only: the first sweep (sends a reminder for each) and a second (sends none);
2. the sent reminders, notices and e-mail jobs are deleted, the not-due deadlines added (to --open
   in all), and the same two sweeps again.
The sweep's cost must not grow with the deadlines that are not due (run 2 against run 1), the
second sweep of each must send nothing (the unique ReminderSent rows), and every sweep must finish
in under 5 s (the issue's target).

The e-mail jobs are written in the sweep's transaction (casework/outbox.py), as in production; handing
them to the broker after the commit is not timed (here it only counts them), and the worker that
sends them is not part of the sweep.

The database (name must end in "_bench"; default casework_reminders_bench) is dropped and created
again, with the migrations, on every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import sys
import time
from decimal import Decimal

from benchdb import ROOT, bench_url_or, recreate_database, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/casework_reminders_bench"
PANELS = 20
OWNERS = 200
CHILDREN = 200
BATCH = 5000
TARGET_SECONDS = 5.0
TODAY = dt.date(2026, 11, 4)  # a Wednesday, no bank holiday near


def database_url() -> str:
    return bench_url_or(DEFAULT_DATABASE_URL)


def _copy(obj, **changes):
    """An unsaved copy of a model instance with some fields changed."""
    fields = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key}
    for name, value in changes.items():
        field = obj._meta.get_field(name)
        fields[field.attname] = value.pk if hasattr(value, "pk") else value
    return type(obj)(**fields)


class World:
    """One partnership with PANELS panels (each with its administrator), OWNERS action owners, a pool of
    children, and a template funding package agreed by both agencies (copied for the reviews)."""

    def __init__(self) -> None:
        from casework.models import AgencyKind, Role
        from funding import services as funding
        from funding.models import Provider, ProviderKind
        from panels.models import Membership
        from tests.factories import AgencyFactory, ChildFactory, PanelFactory, UserFactory
        from tests.funding.conftest import terms

        self.rng = random.Random(17)
        self.council = AgencyFactory(
            name="Bench County Council Children's Services",
            kind=AgencyKind.CHILDRENS_SERVICES,
            partnership="Bench Partnership",
        )
        self.icb = AgencyFactory(
            name="NHS Bench ICB", kind=AgencyKind.ICB, ods_code="QXR", partnership="Bench Partnership"
        )
        self.worker = UserFactory(agency=self.council, roles=[Role.SOCIAL_WORKER])
        self.owners = [UserFactory(agency=self.council, roles=[Role.SOCIAL_WORKER]) for _ in range(OWNERS)]
        self.panels = []
        for n in range(PANELS):
            panel = PanelFactory(name=f"Bench panel {n}", kind="irap", host_agency=self.council)
            admin = UserFactory(agency=self.council, roles=[Role.PANEL_MEMBER])
            Membership.objects.create(
                panel=panel,
                person=admin,
                agency=self.council,
                role="administrator",
                starts_on=dt.date(2026, 1, 1),
            )
            self.panels.append(panel)
        self.children = [
            ChildFactory(owning_agency=self.council, created_by=self.worker, involved=[self.icb])
            for _ in range(CHILDREN)
        ]
        council_finance = UserFactory(
            agency=self.council, roles=[Role.FINANCE_APPROVER], delegated_limit=Decimal("10000000")
        )
        icb_finance = UserFactory(
            agency=self.icb, roles=[Role.FINANCE_APPROVER], delegated_limit=Decimal("10000000")
        )
        provider = Provider.objects.create(name="Bench Care Ltd", kind=ProviderKind.DOMICILIARY)
        self.package = funding.package_create_existing(
            actor=council_finance,
            child=self.children[0],
            pathway="joint_package",
            terms=terms(
                provider,
                (self.council, "percentage", "50"),
                (self.icb, "percentage", "50"),
                starts_on=dt.date(2026, 4, 1),
                review_date=dt.date(2027, 4, 1),
            ),
        )
        for person in (council_finance, icb_finance):
            self.package.refresh_from_db()
            share = self.package.current_version.shares.get(agency=person.agency)
            funding.share_approve(actor=person, share=share, expected_version=self.package.version_number)
        self.package.refresh_from_db()
        self.template_used = False
        self.actions = 0

    def add_actions(self, days: list[dt.date]) -> None:
        """Open actions due on `days`, spread over the panels, one owner each."""
        from panels.models import Action

        owners = Action.owners.through
        for start in range(0, len(days), BATCH):
            made = Action.objects.bulk_create(
                [
                    Action(
                        panel=self.panels[(self.actions + k) % PANELS],
                        number=self.actions + k + 1,
                        created_on=TODAY - dt.timedelta(days=90),
                        action="Send the updated care plan to the panel",
                        due_on=day,
                        created_by=self.worker,
                    )
                    for k, day in enumerate(days[start : start + BATCH], start=start)
                ]
            )
            owners.objects.bulk_create(
                [owners(action_id=a.pk, user_id=self.owners[a.pk % OWNERS].pk) for a in made]
            )
        self.actions += len(days)

    def add_reviews(self, days: list[dt.date]) -> None:
        """Agreed packages (copies of the template) whose review date is each of `days`."""
        from funding.models import FundingPackage, PackageVersion, ShareLine

        version = self.package.current_version
        shares = list(ShareLine.objects.filter(version=version))
        if not self.template_used and days:  # the template is the first of them
            PackageVersion.objects.filter(pk=version.pk).update(review_date=days[0])
            days = days[1:]
            self.template_used = True
        for start in range(0, len(days), BATCH):
            chunk = days[start : start + BATCH]
            packages = FundingPackage.objects.bulk_create(
                [
                    _copy(self.package, child=self.children[k % CHILDREN], current_version=None)
                    for k in range(start, start + len(chunk))
                ]
            )
            versions = PackageVersion.objects.bulk_create(
                [_copy(version, package=p, review_date=day) for p, day in zip(packages, chunk, strict=True)]
            )
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


def due_days(rng: random.Random, n: int) -> list[dt.date]:
    """Due today or overdue by 1 to 10 days."""
    return [TODAY - dt.timedelta(days=rng.randint(0, 10)) for _ in range(n)]


def action_days_not_due(rng: random.Random, n: int) -> list[dt.date]:
    """Due in 1 to 365 days, or one in five overdue by more than the 60 days a sweep looks back."""
    return [
        TODAY - dt.timedelta(days=rng.randint(61, 365))
        if k % 5 == 0
        else TODAY + dt.timedelta(days=rng.randint(1, 365))
        for k in range(n)
    ]


def review_days_not_due(rng: random.Random, n: int) -> list[dt.date]:
    """In 60 to 365 days (past the 28 days' notice), or one in five more than 60 days ago."""
    return [
        TODAY - dt.timedelta(days=rng.randint(61, 365))
        if k % 5 == 0
        else TODAY + dt.timedelta(days=rng.randint(60, 365))
        for k in range(n)
    ]


def sweep(label: str) -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from casework.models import ReminderSent
    from casework.reminders import run_sweeps

    before = ReminderSent.objects.count()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        sent = run_sweeps(today=TODAY)
    elapsed = time.perf_counter() - started
    rows = ReminderSent.objects.count()
    duplicates = (
        ReminderSent.objects.values("kind", "subject_key", "due_on", "user_id")
        .order_by()
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    result = {
        "run": label,
        "seconds": elapsed,
        "queries": len(queries),
        "sent": sent,
        "new_rows": rows - before,
        "duplicates": duplicates,
    }
    print(
        f"  {label:<44} {elapsed:>6.2f}s {len(queries):>7} queries  {sent:>6} reminders sent "
        f"({rows - before} ReminderSent rows added, {duplicates} duplicates)"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--due", type=int, default=1000, help="deadlines due (half actions, half reviews)")
    parser.add_argument("--open", type=int, default=100_000, help="open deadlines in all, due and not due")
    args = parser.parse_args()
    url = database_url()
    recreate_database(url)
    setup_django(url)
    os.chdir(ROOT)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    logging.disable(logging.INFO)
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.monotonic() - started:.0f}s")

    import time_machine

    from casework import outbox
    from casework.models import BackgroundJob, Notification, ReminderSent

    queued = []
    # Handing the e-mail jobs to the broker after the commit is not the sweep's cost: count them only.
    outbox._queue_open = lambda *, kind, object_ids: queued.extend(object_ids)

    from casework.reminders import registered_sweeps

    registered_sweeps()  # imports every app's sweeps, as a beat worker has after its first run
    results = []
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(7, 0), tzinfo=dt.UTC), tick=True):
        world = World()
        rng = world.rng
        half = args.due // 2
        world.add_actions(due_days(rng, half))
        world.add_reviews(due_days(rng, args.due - half))
        ReminderSent.objects.all().delete()
        Notification.objects.all().delete()
        BackgroundJob.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"\n{args.due:,} deadlines due, none not due:")
        results.append(sweep("first sweep"))
        results.append(sweep("second sweep (nothing new)"))
        first_sent = results[0]["sent"]

        not_due = args.open - args.due
        started = time.monotonic()
        world.add_actions(action_days_not_due(rng, not_due // 2))
        world.add_reviews(review_days_not_due(rng, not_due - not_due // 2))
        ReminderSent.objects.all().delete()
        Notification.objects.all().delete()
        BackgroundJob.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"\nadded {not_due:,} deadlines not due in {time.monotonic() - started:.0f}s")
        print(f"{args.due:,} deadlines due and {not_due:,} not due ({args.open:,} open):")
        results.append(sweep("first sweep"))
        results.append(sweep("second sweep (nothing new)"))

    ok = True
    for r in results:
        if r["duplicates"] or r["seconds"] >= TARGET_SECONDS:
            ok = False
    if results[1]["sent"] or results[3]["sent"]:
        print("FAIL: a second sweep sent reminders again")
        ok = False
    if results[2]["sent"] != first_sent:
        print(f"FAIL: {results[2]['sent']} reminders with the deadlines not due, {first_sent} without")
        ok = False
    print(f"\ne-mail jobs written and counted (not sent): {len(queued):,}")
    print(
        f"first sweep with {args.open - args.due:,} not due / without: "
        f"{results[2]['seconds'] / results[0]['seconds']:.2f}x the time, "
        f"{results[2]['queries']} against {results[0]['queries']} queries"
    )
    print("OK" if ok else "NOT OK")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
