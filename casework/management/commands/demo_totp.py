"""Print a demo person's current two-step verification code, so nobody needs a phone to try the demo.

Works only for the demo's fixed authenticator keys (casework.demo.demo_totp_key), and never with
production settings.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.auth import normalise_email
from casework.demo import demo_totp_key
from casework.mfa import next_unused_code


class Command(BaseCommand):
    help = "Print the current 6-digit code of a demo person's authenticator app. Refused in production."

    def add_arguments(self, parser):
        parser.add_argument(
            "email", help="The demo person's e-mail address, e.g. panel.chair@hants.demo.gov.uk"
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_totp refuses to run with production settings")
        email = normalise_email(options["email"])
        key = demo_totp_key(email)
        device = TOTPDevice.objects.filter(user__email=email, key=key, confirmed=True).first()
        if device is None:
            raise CommandError(
                f"{email} has no demo authenticator app: it works only for the demo people "
                "whose role needs two-step verification (run seed_demo first)"
            )
        # A code works once: if this one has been used, give the next, which is already accepted.
        code = next_unused_code(device)
        if code is None:
            raise CommandError("This person has just used their next code too: try again in 30 seconds")
        self.stdout.write(code)
