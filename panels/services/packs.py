"""Writes for panel packs: ask for the pack to be built (in the background) when the papers change.

The building itself is panels/pack.py, run by the "pack.build" background job (panels/jobs.py, on
the "pdf" queue): the job is written with the new version, in the same transaction, so a pack asked
for while the broker is down is still built (the outbox relay queues it when the broker returns).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from casework import outbox
from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import BackgroundJob, JobStatus, User
from panels import access
from panels.jobs import PACK_BUILD
from panels.models import Meeting, MeetingPack, PackStatus
from panels.pack import latest_pack, next_version, pack_fingerprint

__all__ = ["pack_download", "pack_request"]


@transaction.atomic
def pack_request(*, actor: User | None, meeting: Meeting) -> MeetingPack:
    """The pack for the meeting's current agenda and papers: the one already built or being built
    for them, or a new version queued now. `actor` None: the system (circulation, a task).

    Asked again while that version is still owed, its job is queued again if nobody is running it
    (its worker died and the lease ran out), so the next request takes over as the relay would."""
    if actor is not None and not access.can_administer(user=actor, panel=meeting.panel):
        raise NotAllowed("Only the panel's chair and administrators can make the pack")
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()  # one request at a time
    fingerprint = pack_fingerprint(meeting)
    current = latest_pack(meeting)
    if current is not None and current.fingerprint == fingerprint and current.status != PackStatus.FAILED:
        if current.status in {PackStatus.QUEUED, PackStatus.BUILDING}:
            _owe_build(current)
        return current
    try:
        with transaction.atomic():
            pack = MeetingPack.objects.create(
                meeting=meeting,
                version=next_version(meeting),
                fingerprint=fingerprint,
                items_total=meeting.agenda_items.filter(withdrawn_at__isnull=True).count(),
                requested_by=actor,
            )
    except IntegrityError:
        # Another request made this version at the same moment and committed it: that is the pack.
        raced = latest_pack(meeting)
        if raced is None:
            raise
        return raced
    record_event(
        actor=actor, action="meeting.pack_requested", obj=meeting, changes={"version": [None, pack.version]}
    )
    _owe_build(pack)
    return pack


def _owe_build(pack: MeetingPack) -> None:
    """The pack's build job, in this transaction (one while open: asked again, the open one stays);
    after the commit, its job queued again if its lease ran out (the worker died)."""
    meeting = pack.meeting
    outbox.defer(
        kind=PACK_BUILD,
        object_id=pack.pk,
        partnership=meeting.panel.partnership,
        summary=f"Pack version {pack.version} for {meeting}",
    )
    transaction.on_commit(lambda: _take_over_if_abandoned(pack.pk))


def _take_over_if_abandoned(pack_id: int) -> None:
    abandoned = BackgroundJob.objects.filter(
        kind=PACK_BUILD, object_id=pack_id, status=JobStatus.RUNNING, lease_expires_at__lt=timezone.now()
    ).values_list("pk", flat=True)
    for job_id in abandoned:
        outbox.enqueue(job_id=job_id, kind=PACK_BUILD)


def pack_download(*, actor: User, pack: MeetingPack) -> bytes:
    """The pack's PDF stamped with the downloader's name, the download audited. The caller fetched
    the pack through panels.access.get_ready_pack_for_user."""
    from panels.pack import stamped_download

    body = stamped_download(pack, person_name=actor.full_name or actor.email)
    record_event(
        actor=actor,
        action="meeting.pack_downloaded",
        obj=pack.meeting,
        changes={"version": [None, pack.version]},
    )
    return body
