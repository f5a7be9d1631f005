"""Reads for a meeting's panel pack: the latest version with its "pack.build" job, so the page can
say what happened (queued, attempt 2 after the first build stopped, failed after 3 attempts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from casework.models import BackgroundJob, JobStatus
from casework.outbox import get_handler
from panels.jobs import PACK_BUILD
from panels.models import Meeting, MeetingPack, PackStatus

__all__ = ["PackProgress", "pack_progress"]


@dataclass(frozen=True)
class PackProgress:
    """The latest version of a meeting's pack and the job that builds it (None for a version made
    before packs were built by jobs)."""

    pack: MeetingPack
    job: BackgroundJob | None
    now: dt.datetime

    @property
    def building(self) -> bool:
        """Still to be made: the page refreshes itself and offers no new version."""
        return self.pack.status in {PackStatus.QUEUED, PackStatus.BUILDING}

    @property
    def attempt(self) -> int:
        return self.job.attempts if self.job is not None else 0

    @property
    def phase(self) -> str:
        """One of: queued (not started yet), waiting_to_retry (an attempt failed, the next is
        due at `retry_at`), building, stalled (its worker stopped answering; the relay or the next
        request takes it over), ready, failed."""
        status, job = self.pack.status, self.job
        if status == PackStatus.READY:
            return "ready"
        if status == PackStatus.FAILED:
            return "failed"
        if job is not None and job.status == JobStatus.RUNNING and job.lease_expires_at:
            if job.lease_expires_at < self.now:
                return "stalled"
        if status == PackStatus.BUILDING:
            return "building"
        if job is not None and job.status == JobStatus.WAITING and job.attempts:
            return "waiting_to_retry"
        return "queued"

    @property
    def retry_at(self) -> dt.datetime | None:
        return self.job.not_before if self.job is not None else None

    @property
    def last_seen_at(self) -> dt.datetime | None:
        """When a stalled build last renewed its lease (its heartbeat)."""
        if self.job is None or self.job.lease_expires_at is None:
            return None
        return self.job.lease_expires_at - get_handler(PACK_BUILD).lease

    @property
    def previous_attempt(self) -> str:
        """How the attempt before this one ended, in words: "the first build" for attempt 2."""
        return "the first build" if self.attempt == 2 else "the last build"

    @property
    def reason(self) -> str:
        """Why the last attempt ended, or why the pack failed ("" when it just stopped), without a
        full stop: the page's sentence puts one after it."""
        reason = self.pack.error or (self.job.last_error if self.job is not None else "")
        return reason.rstrip(". ")


def pack_progress(*, meeting: Meeting) -> PackProgress | None:
    """The latest version of the meeting's pack with its build job: two queries (the pack; its
    latest job), whatever the number of versions or attempts."""
    pack = MeetingPack.objects.filter(meeting=meeting).order_by("-version").first()
    if pack is None:
        return None
    pack.meeting = meeting
    job = (
        BackgroundJob.objects.filter(kind=PACK_BUILD, object_id=pack.pk)
        .order_by("-created_at", "-pk")
        .first()
    )
    return PackProgress(pack=pack, job=job, now=timezone.now())
