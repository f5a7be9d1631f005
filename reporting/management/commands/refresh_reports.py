"""Work out the reports' summaries now (reporting.summaries): the same refresh as the beat's entries.

    manage.py refresh_reports                      # the change feed (the first run: everything)
    manage.py refresh_reports --partnership "Hampshire and Isle of Wight"
    manage.py refresh_reports --every 60           # beside the site, where no beat runs

The embedded default (`make run`) has no Celery beat: run this beside the site, as send_reminders
is, and once after loading the demo. Safe to run at any time, and twice at once (idempotent).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from reporting.summaries import decision_times_refresh, decision_times_refresh_changed


class Command(BaseCommand):
    help = "Work out Time to decision's summary rows (changed children, or one partnership whole)"

    def add_arguments(self, parser):
        parser.add_argument("--partnership", default="", help="Rewrite this partnership's rows whole")
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds (0: once)")

    def handle(self, *args, partnership: str = "", every: int = 0, **options):
        while True:
            started = time.perf_counter()
            if partnership:
                written = decision_times_refresh(partnership=partnership)
            else:
                written = decision_times_refresh_changed()
            self.stdout.write(
                f"Time to decision: {written} referrals written in {time.perf_counter() - started:.2f} s"
            )
            if every <= 0:
                return
            time.sleep(every)
