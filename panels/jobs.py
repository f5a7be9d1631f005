"""The panels' background work (casework/outbox.py): packs.

Each kind is owed by a service in the same transaction as the change (`outbox.defer`), and run by
`casework.tasks.run_job` on the "pdf" queue (WeasyPrint is slow and keeps memory: workers there
recycle their children). Each handler is idempotent: it may run again after its worker died, or
after a failure part-way, and does only what is still owed.
"""

from __future__ import annotations

from casework.outbox import Lease, handler

PACK_BUILD = "pack.build"


# A pack renews its lease after each agenda item (panels/pack.py), so 90 seconds is the longest
# one item or the final merge may take; a build whose worker died is taken over 90 s after its
# last sign of life. Three attempts: a pack that fails three times needs a person to look at it.
@handler(PACK_BUILD, lease_seconds=90, max_attempts=3, queue="pdf", first_backoff_seconds=30)
def build_meeting_pack(pack_id: int, *, job: Lease) -> None:
    """Build one version of a meeting's pack (panels.pack.build_pack)."""
    from panels.pack import build_pack

    build_pack(pack_id, job=job)
