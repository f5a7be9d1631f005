"""Send the deadline reminders that are due (the same sweep as the Celery beat entry), and run
the background work still owed (the outbox relay, casework/outbox.py).

`make run` runs it every minute beside the site, since the embedded default has no beat (the
sweeps themselves run every fifth time); production runs `celery beat` instead. Safe to run at any
time, and twice at once.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from casework.outbox import relay
from casework.reminders import run_sweeps


class Command(BaseCommand):
    help = "Send the deadline reminders that are due, each once"

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds (0: once)")
        parser.add_argument(
            "--sweep-every",
            type=int,
            default=5,
            help="With --every, sweep reminders every Nth run (default 5)",
        )

    def handle(self, *args, every: int = 0, sweep_every: int = 5, **options):
        run = 0
        while True:
            if run % max(1, sweep_every) == 0:
                self.stdout.write(f"Reminders sent: {run_sweeps()}")
            self.stdout.write(f"Background jobs run again: {relay()}")
            if every <= 0:
                return
            run += 1
            time.sleep(every)
