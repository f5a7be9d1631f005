from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casework.demo import DEMO_PASSWORD, load_demo, sign_in_lines


class Command(BaseCommand):
    help = "Load the demo partnerships, people and children (idempotent). Refused in production."

    def add_arguments(self, parser):
        parser.add_argument("--site-url", default="http://127.0.0.1:8000", help="Where the site runs")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with production settings")
        created = load_demo()
        summary = ", ".join(f"{n} {what}" for what, n in created.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready (new this run: {summary})."))
        self.stdout.write(
            "\nSign in at http://127.0.0.1:8000/sign-in/ with any of these, password " + DEMO_PASSWORD
        )
        for line in sign_in_lines():
            self.stdout.write(line)
        self.stdout.write("")
