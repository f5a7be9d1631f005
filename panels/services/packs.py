"""Writes for panel packs: ask for the pack to be built (in the background) when the papers change.

The building itself is panels/pack.py, run by the Celery task panels.tasks.build_meeting_pack on
the "pdf" queue after the commit.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import User
from panels import access
from panels.models import Meeting, MeetingPack, PackStatus
from panels.pack import latest_pack, next_version, pack_fingerprint

__all__ = ["pack_download", "pack_request"]


@transaction.atomic
def pack_request(*, actor: User | None, meeting: Meeting) -> MeetingPack:
    """The pack for the meeting's current agenda and papers: the one already built or being built
    for them, or a new version queued now. `actor` None: the system (circulation, a task)."""
    if actor is not None and not access.can_administer(user=actor, panel=meeting.panel):
        raise NotAllowed("Only the panel's chair and administrators can make the pack")
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()  # one request at a time
    fingerprint = pack_fingerprint(meeting)
    current = latest_pack(meeting)
    if current is not None and current.fingerprint == fingerprint and current.status != PackStatus.FAILED:
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
        return latest_pack(meeting)
    record_event(
        actor=actor, action="meeting.pack_requested", obj=meeting, changes={"version": [None, pack.version]}
    )
    transaction.on_commit(lambda: _queue(pack.pk))
    return pack


def _queue(pack_id: int) -> None:
    from panels.tasks import build_meeting_pack

    build_meeting_pack.delay(pack_id)


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
