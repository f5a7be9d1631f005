"""Background work: the transactional outbox's jobs, and the heartbeats of the processes that run them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class JobStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BackgroundJob(models.Model):
    """One piece of work a change owes the outside world (an e-mail, a pack, a paper), written in
    the same transaction as the change (a transactional outbox, casework/outbox.py).

    The row, not the broker, is the record of work to do: queueing to Celery after the commit is a
    speed-up, and the relay queues again anything waiting past its time or whose lease expired. A run
    claims the job with a lease (`lease_expires_at`, renewed by long work), so one runner at a time;
    `attempts` counts the claims and is the fencing token a runner's result must match."""

    kind = models.CharField(max_length=50, help_text="The registered handler, e.g. notice.email")
    object_id = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.WAITING)
    partnership = models.CharField(max_length=200, blank=True, help_text="Whose administrators see it")
    summary = models.CharField(max_length=300, blank=True, help_text="What it is, for administrators")
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(default=timezone.now, help_text="Backoff: not run before this")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Work asked for twice while still to do is one job.
            models.UniqueConstraint(
                fields=["kind", "object_id"],
                condition=Q(status__in=["waiting", "running"]),
                name="job_once_while_open",
            )
        ]
        indexes = [
            # The relay's scan: open jobs only, by when they may run.
            models.Index(
                fields=["not_before"], condition=Q(status__in=["waiting", "running"]), name="job_open_due"
            ),
            models.Index(fields=["partnership", "status", "-created_at"], name="job_partnership_status"),
            # A record's latest job in any state (the pack page: what happened to this version).
            models.Index(fields=["kind", "object_id"], name="job_kind_object"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} ({self.status})"


class Heartbeat(models.Model):
    """When a background process last showed it was alive (the relay, run by beat on a worker),
    for the administrators' "Background work" page and the health check."""

    name = models.CharField(max_length=50, primary_key=True)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} at {self.at}"
