"""The panels' background work (casework/outbox.py): packs, decision letters and minutes PDFs.

Each kind is owed by a service in the same transaction as the change (`outbox.defer`), and run by
`casework.tasks.run_job` on the "pdf" queue (WeasyPrint is slow and keeps memory: workers there
recycle their children). Each handler is idempotent: it may run again after its worker died, or
after a failure part-way, and does only what is still owed.
"""

from __future__ import annotations

from casework.outbox import Lease, handler

PACK_BUILD = "pack.build"
LETTER_SEND = "letter.send"
MINUTES_PDF = "minutes.pdf"


# A pack renews its lease after each agenda item (panels/pack.py), so 90 seconds is the longest
# one item or the final merge may take; a build whose worker died is taken over 90 s after its
# last sign of life. Three attempts: a pack that fails three times needs a person to look at it.
@handler(PACK_BUILD, lease_seconds=90, max_attempts=3, queue="pdf", first_backoff_seconds=30)
def build_meeting_pack(pack_id: int, *, job: Lease) -> None:
    """Build one version of a meeting's pack (panels.pack.build_pack)."""
    from panels.pack import build_pack

    build_pack(pack_id, job=job)


@handler(LETTER_SEND, lease_seconds=120, max_attempts=8, queue="pdf")
def send_decision_letter(letter_id: int, *, job: Lease) -> None:
    """Store a sent letter's PDF (once), then e-mail each recipient not yet e-mailed."""
    from panels.services import letters

    if letters.letter_store_pdf(letter_id=letter_id) is not None:
        letters.letter_send_emails(letter_id=letter_id, job=job)


@handler(MINUTES_PDF, lease_seconds=180, max_attempts=5, queue="pdf")
def render_minutes_pdf(minutes_id: int, *, job: Lease) -> None:
    """Store the circulated minutes as a PDF (once: a second run finds it stored)."""
    from panels.services import minutes

    minutes.minutes_store_pdf(minutes_id=minutes_id)
