"""List (or, with --apply, involve) the agencies holding a share of a package's current version
while not involved with the child (funding/paying_agencies.py, docs/adr/0013). Funding migration
0005 ran it once with --apply; run it again to see what it left and why."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from funding.paying_agencies import involve_paying_agencies


class Command(BaseCommand):
    help = "List paying agencies not involved with the child of their package; --apply involves them"

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply",
            action="store_true",
            help="Involve each of them with the child (audited as a system change)",
        )

    def handle(self, *args, apply: bool = False, **options):
        with transaction.atomic():
            report = involve_paying_agencies(apps=apps, apply=apply)
        verb = "Involved" if apply else "Would involve"
        self.stdout.write(f"{verb} {len(report.involved)} paying agency(ies) with the child")
        for payer in report.involved:
            self.stdout.write(f"  {payer}")
        self.stdout.write(f"Not involved, of another partnership: {len(report.other_partnership)}")
        for payer in report.other_partnership:
            self.stdout.write(f"  {payer}")
        self.stdout.write(f"Left, involvement ended after the share was given: {len(report.ended_since)}")
        for payer in report.ended_since:
            self.stdout.write(f"  {payer}")
