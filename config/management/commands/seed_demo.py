from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casework.demo import DEMO_PASSWORD, sign_in_lines, two_step_lines
from config.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo partnerships, people and children (idempotent). Refused in production."

    def add_arguments(self, parser):
        parser.add_argument("--site-url", default="http://127.0.0.1:8000", help="Where the site runs")
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Leave out the year of panel history (about 150 referrals a partnership)",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with production settings")
        created = load_demo(history=not options["no_history"])
        summary = ", ".join(f"{n} {what}" for what, n in created.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready (new this run: {summary})."))
        site = options["site_url"].rstrip("/")
        self.stdout.write(f"\nSign in at {site}/sign-in/ with any of these, password " + DEMO_PASSWORD)
        for line in sign_in_lines():
            self.stdout.write(line)
        self.stdout.write(
            "\nPartnership administrators, panel chairs, finance approvers and auditors also enter a "
            "6-digit code after the password (two-step verification). Print a person's current code with\n"
            "  .venv/bin/python manage.py demo_totp <email>\n"
            "or add their key to an authenticator app (time-based, 6 digits, 30 seconds):"
        )
        for line in two_step_lines():
            self.stdout.write(line)
        self.stdout.write(
            "\nHampshire IRAP has a meeting today that has been run end to end (papers, attendance, "
            "signed decisions, minutes, letters, action log) and a next meeting being prepared (a late "
            "paper awaits the chair). Try panel.admin@, panel.chair@ and finance@hants.demo.gov.uk, "
            "sen.finance@hants-sen.demo.gov.uk (a recommendation to answer) and "
            "nurse.assessor@hiow.demo.nhs.uk (pathway cases)."
        )
        self.stdout.write("")
