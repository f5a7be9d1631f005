"""Background work that is never lost: a transactional outbox with leases and a relay.

A change that owes the outside world something (an e-mail, a pack, a paper) calls `defer()` inside
its transaction: a `BackgroundJob` row is written with the change, or not at all. After the commit
the job is queued to Celery, but that is only a speed-up: if Redis is down the page still succeeds
(the failure is logged, never raised), and `relay()` (beat every minute; `send_reminders` in the
embedded default) queues again every job still waiting past `RELAY_AFTER` or whose lease expired.

A run (`run_job`) claims the job with a lease, calls the kind's handler outside any transaction,
then marks it done. A worker killed mid-run leaves the lease to expire and the relay runs it again;
database and transport errors are retried with backoff up to the kind's limit, then the job is
marked failed, shown on the administrators' "Background work" page and retryable from there.

At least once, made exactly once where it can be: handlers are idempotent (a notice records that
it was e-mailed; a pack version is built once). What remains is the window between a message
leaving for the mail server and the handler recording it: a worker killed exactly there sends it
again after the lease, with the same Message-ID, so the duplicate is recognisable downstream
(docs/adr/0009-background-work-outbox.md).

Handlers are registered by the app that owns the work (`@handler("pack.build", ...)` in
panels/jobs.py); the core imports them by module name, as the reminder sweeps are found.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from casework.models import BackgroundJob, Heartbeat, JobStatus

log = logging.getLogger(__name__)

# The modules that register handlers when imported (lowest app first).
HANDLER_MODULES = ("casework.jobs", "referrals.jobs", "panels.jobs")

# A job still waiting this long after it could run was not picked up from the queue: queue it again.
RELAY_AFTER = dt.timedelta(seconds=30)
RELAY_BATCH = 500
# The Celery queues, each served by its own workers (docker-compose.yml): "pdf" for WeasyPrint work,
# "reports" for report refreshes and exports, "default" for the rest. A handler names one of them.
QUEUES = ("default", "pdf", "reports")
OPEN = (JobStatus.WAITING, JobStatus.RUNNING)


@dataclass(frozen=True)
class Handler:
    kind: str
    label: str
    run: Callable[..., object]
    lease: dt.timedelta
    max_attempts: int
    queue: str
    # The longest wait between attempts; the first retry waits `first_backoff`, then doubles.
    first_backoff: dt.timedelta
    max_backoff: dt.timedelta


_HANDLERS: dict[str, Handler] = {}


def handler(
    kind: str,
    *,
    label: str = "",
    lease_seconds: int = 120,
    max_attempts: int = 8,
    queue: str = "default",
    first_backoff_seconds: int = 30,
    max_backoff_seconds: int = 3600,
) -> Callable:
    """Register `func(object_id, job=Lease)` as the handler of `kind`. It must be idempotent: it may
    run again after a lease expires (a killed worker) or after a failure part-way."""

    if queue not in QUEUES:
        raise ValueError(f"A background job's queue is one of {', '.join(QUEUES)}, not {queue!r}")

    def register(func: Callable) -> Callable:
        _HANDLERS[kind] = Handler(
            kind=kind,
            label=label or kind,
            run=func,
            lease=dt.timedelta(seconds=lease_seconds),
            max_attempts=max_attempts,
            queue=queue,
            first_backoff=dt.timedelta(seconds=first_backoff_seconds),
            max_backoff=dt.timedelta(seconds=max_backoff_seconds),
        )
        return func

    return register


def handlers() -> dict[str, Handler]:
    for module in HANDLER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as missing:
            if missing.name != module:
                raise
    return dict(_HANDLERS)


def label_for(kind: str) -> str:
    """What an administrator calls this kind of work ("E-mail", "Panel pack")."""
    found = handlers().get(kind)
    return found.label if found else kind


def get_handler(kind: str) -> Handler:
    found = handlers().get(kind)
    if found is None:
        raise LookupError(f"No background handler registered for {kind!r}")
    return found


# --- Writing jobs -------------------------------------------------------------------------------


def defer(*, kind: str, object_id: int, partnership: str = "", summary: str = "") -> None:
    """Owe `kind` for `object_id`, in the caller's transaction; queued after the commit. Asked again
    while the same work is still open, it is the one job (the handler does the latest state)."""
    defer_many(kind=kind, items=[(object_id, partnership, summary)])


def defer_many(*, kind: str, items: list[tuple[int, str, str]]) -> None:
    """`defer` for many objects of one kind in one statement: items are (object_id, partnership,
    summary)."""
    get_handler(kind)  # a typo fails here, in the change, not silently later
    if not items:
        return
    now = timezone.now()
    BackgroundJob.objects.bulk_create(
        [
            BackgroundJob(
                kind=kind,
                object_id=object_id,
                partnership=partnership,
                summary=summary[:300],
                not_before=now,
                created_at=now,
            )
            for object_id, partnership, summary in items
        ],
        ignore_conflicts=True,  # already open: the open job will do it
    )
    # ignore_conflicts returns no ids: the jobs are found again by (kind, object_id) to queue.
    ids = [object_id for object_id, _, _ in items]
    transaction.on_commit(lambda: _queue_open(kind=kind, object_ids=ids))


def _queue_open(*, kind: str, object_ids: list[int]) -> None:
    jobs = BackgroundJob.objects.filter(kind=kind, object_id__in=object_ids, status=JobStatus.WAITING)
    for job_id in jobs.values_list("pk", flat=True):
        if not enqueue(job_id=job_id, kind=kind):
            return  # the broker is down: one wait, not one per job; the relay queues the rest


def enqueue(*, job_id: int, kind: str, countdown: int = 0) -> bool:
    """Hand the job to Celery. Never raises: the job row is the guarantee, and the relay queues it
    again if this fails (Redis down, broker refusing). In the embedded default, runs it now."""
    from casework.tasks import run_job

    try:
        run_job.apply_async(args=[job_id], queue=get_handler(kind).queue, countdown=countdown or None)
    except Exception:
        if getattr(_celery_conf(), "task_always_eager", False):
            raise  # in-process: run_job records its own failures, so this is a bug to see
        log.warning("Could not queue background job %s (%s); the relay will", job_id, kind, exc_info=True)
        return False
    return True


# --- Running jobs -------------------------------------------------------------------------------


@dataclass
class Lease:
    """The claim a run holds on its job. Long work calls `renew()` as it goes (a pack between
    items), so the relay never takes over a build that is still alive."""

    job_id: int
    attempt: int
    handler: Handler

    def renew(self) -> bool:
        """Extend the lease; False if the job is no longer ours (taken over after it expired)."""
        return (
            BackgroundJob.objects.filter(
                pk=self.job_id, status=JobStatus.RUNNING, attempts=self.attempt
            ).update(lease_expires_at=timezone.now() + self.handler.lease)
            == 1
        )


def claim(*, job_id: int) -> Lease | None:
    """Take the job if it may run now: waiting and due, or running with its lease expired (its
    runner died). One winner: the UPDATE's WHERE decides."""
    job = BackgroundJob.objects.filter(pk=job_id).values("kind").first()
    if job is None:
        return None
    found = get_handler(job["kind"])
    now = timezone.now()
    # A run whose lease expired died without finishing (killed, out of memory): taken over, unless
    # that was its last attempt, when the job is failed rather than tried for ever.
    BackgroundJob.objects.filter(
        pk=job_id, status=JobStatus.RUNNING, lease_expires_at__lt=now, attempts__gte=found.max_attempts
    ).update(
        status=JobStatus.FAILED,
        finished_at=now,
        lease_expires_at=None,
        last_error=f"Stopped without finishing {found.max_attempts} times (the worker was lost)",
    )
    claimable = Q(status=JobStatus.WAITING, not_before__lte=now) | Q(
        status=JobStatus.RUNNING, lease_expires_at__lt=now
    )
    rows = BackgroundJob.objects.filter(claimable, pk=job_id).update(
        status=JobStatus.RUNNING, attempts=F("attempts") + 1, lease_expires_at=now + found.lease
    )
    if rows != 1:
        return None
    attempt = BackgroundJob.objects.values_list("attempts", flat=True).get(pk=job_id)
    return Lease(job_id=job_id, attempt=attempt, handler=found)


def run_job(*, job_id: int) -> str:
    """Claim, run the handler, record the outcome. Returns what happened ("done", "retry",
    "failed", "skipped"). A failure to record (the database gone again) raises, and the lease
    expiring is the retry."""
    lease = claim(job_id=job_id)
    if lease is None:
        return "skipped"
    object_id = BackgroundJob.objects.values_list("object_id", flat=True).get(pk=job_id)
    try:
        lease.handler.run(object_id, job=lease)
    except Exception as error:
        return _record_failure(lease=lease, error=error)
    finished = BackgroundJob.objects.filter(
        pk=job_id, status=JobStatus.RUNNING, attempts=lease.attempt
    ).update(status=JobStatus.DONE, finished_at=timezone.now(), lease_expires_at=None, last_error="")
    return "done" if finished else "skipped"


def _record_failure(*, lease: Lease, error: Exception) -> str:
    message = f"{type(error).__name__}: {error}"[:500]
    log.warning("Background job %s (%s) failed: %s", lease.job_id, lease.handler.kind, message)
    mine = BackgroundJob.objects.filter(pk=lease.job_id, status=JobStatus.RUNNING, attempts=lease.attempt)
    if lease.attempt >= lease.handler.max_attempts:
        mine.update(
            status=JobStatus.FAILED, finished_at=timezone.now(), lease_expires_at=None, last_error=message
        )
        return "failed"
    wait = min(lease.handler.first_backoff * 2 ** (lease.attempt - 1), lease.handler.max_backoff)
    mine.update(
        status=JobStatus.WAITING, not_before=timezone.now() + wait, lease_expires_at=None, last_error=message
    )
    if not getattr(_celery_conf(), "task_always_eager", False):
        # The backoff is short beside the visibility timeout; the relay is the backstop anyway.
        enqueue(job_id=lease.job_id, kind=lease.handler.kind, countdown=int(wait.total_seconds()))
    return "retry"


def _celery_conf():
    from celery import current_app  # the project's app (config/celery.py), without importing it

    return current_app.conf


# --- The relay ----------------------------------------------------------------------------------


def due_jobs(*, now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Open jobs nobody is running: waiting past RELAY_AFTER, or running with an expired lease."""
    now = now or timezone.now()
    stuck = Q(status=JobStatus.WAITING, not_before__lte=now - RELAY_AFTER) | Q(
        status=JobStatus.RUNNING, lease_expires_at__lt=now
    )
    return list(
        BackgroundJob.objects.filter(stuck, status__in=OPEN)
        .order_by("not_before", "pk")
        .values_list("pk", "kind")[:RELAY_BATCH]
    )


def relay(*, budget: dt.timedelta = dt.timedelta(seconds=40)) -> int:
    """Queue again the work that did not go (beat every minute). Returns how many were queued.
    Batch after batch until nothing is due or the budget (inside the task's limit) is spent, so a
    backlog after an outage drains in one run; stops at the first failure to queue (the broker is
    still down: the next run tries again). In the embedded default the jobs run here, in-process."""
    Heartbeat.objects.update_or_create(name="relay", defaults={"at": timezone.now()})
    eager = getattr(_celery_conf(), "task_always_eager", False)
    queued, seen, started = 0, set(), timezone.now()
    while timezone.now() - started < budget:
        batch = [(job_id, kind) for job_id, kind in due_jobs() if job_id not in seen]
        if not batch:
            break
        for job_id, kind in batch:
            seen.add(job_id)
            if eager:
                run_job(job_id=job_id)
            elif not enqueue(job_id=job_id, kind=kind):
                return queued
            queued += 1
    return queued


def job_retry(*, actor, job: BackgroundJob) -> BackgroundJob:
    """An administrator asks for a failed job to be tried again (the Background work page)."""
    from casework.audit import record_event
    from casework.services import InvalidTransition

    with transaction.atomic():
        moved = BackgroundJob.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
            status=JobStatus.WAITING, attempts=0, not_before=timezone.now(), finished_at=None
        )
        if moved != 1:
            job.refresh_from_db()
            raise InvalidTransition(
                f"This job is {job.get_status_display().lower()}, so it cannot be tried again"
            )
        record_event(
            actor=actor, action="background_job.retried", obj=job, changes={"status": ["failed", "waiting"]}
        )
        transaction.on_commit(lambda: enqueue(job_id=job.pk, kind=job.kind))
    job.refresh_from_db()
    return job


@dataclass(frozen=True)
class RelayHealth:
    last_run: dt.datetime | None
    alive: bool


def relay_health(*, now: dt.datetime | None = None) -> RelayHealth:
    """Whether the relay has run lately. It runs on a worker when beat sends it, so a recent run
    shows both are up (in the embedded default, `send_reminders` beside the site)."""
    seen = Heartbeat.objects.filter(name="relay").values_list("at", flat=True).first()
    limit = dt.timedelta(seconds=settings.BACKGROUND_STALE_AFTER_SECONDS)
    return RelayHealth(last_run=seen, alive=seen is not None and (now or timezone.now()) - seen < limit)
