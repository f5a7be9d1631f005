"""Send the deadline reminders that are due (the same sweep as the Celery beat entry).

`make run` runs it every five minutes beside the site, since the embedded default has no beat;
production runs `celery beat` instead. Safe to run at any time, and twice at once.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from casework.reminders import run_sweeps


class Command(BaseCommand):
    help = "Send the deadline reminders that are due, each once"

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds (0: once)")

    def handle(self, *args, every: int = 0, **options):
        while True:
            sent = run_sweeps()
            self.stdout.write(f"Reminders sent: {sent}")
            if every <= 0:
                return
            time.sleep(every)
