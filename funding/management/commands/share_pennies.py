"""List (or, with --apply, re-place) stored shares whose odd penny is not where docs/adr/0012-money.md
puts it (funding/penny_rule.py). Funding migration 0004 ran it once with --apply; run it again to
see the splits it left because they differ by more than penny placement."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from funding.penny_rule import replace_pennies


class Command(BaseCommand):
    help = "List stored shares whose odd penny differs from the ADR 0012 rule; --apply re-places them"

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply",
            action="store_true",
            help="Re-place the shares that differ by penny placement alone (audited as a system change)",
        )

    def handle(self, *args, apply: bool = False, **options):
        with transaction.atomic():
            report = replace_pennies(apps=apps, apply=apply)
        verb = "Re-placed" if apply else "Would re-place"
        self.stdout.write(f"{verb} {len(report.moved)} share(s) by the penny rule")
        for change in report.moved:
            self.stdout.write(f"  {change}")
        self.stdout.write(f"Left as stored, differing by more than penny placement: {len(report.left)}")
        for change in report.left:
            self.stdout.write(f"  {change}")
