"""Exit 0 when background work is running: the outbox relay (run by a worker when beat sends it)
has run within BACKGROUND_STALE_AFTER_SECONDS. The beat container's health check in
docker-compose.yml; operators can run it by hand. Prints what it saw either way."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Min, Q

from casework.models import BackgroundJob, JobStatus
from casework.outbox import OPEN, relay_health


class Command(BaseCommand):
    help = "Check that the background processes (beat and a worker) are running"

    def handle(self, *args, **options):
        health = relay_health()
        jobs = BackgroundJob.objects.aggregate(
            open=Count("pk", filter=Q(status__in=OPEN)),
            failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
            oldest=Min("created_at", filter=Q(status__in=OPEN)),
        )
        seen = health.last_run.isoformat() if health.last_run else "never"
        report = f"relay last ran: {seen}; open jobs: {jobs['open']}; failed jobs: {jobs['failed']}"
        if not health.alive:
            raise CommandError(f"Background work is not running ({report})")
        self.stdout.write(f"ok ({report})")
