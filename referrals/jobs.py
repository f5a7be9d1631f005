"""The referrals' background work (casework/outbox.py): a referral's paper for the panel.

Owed by `referral_place_on_agenda` in the same transaction as the move (`outbox.defer`) and run by
`casework.tasks.run_job` on the "pdf" queue (WeasyPrint). Idempotent: a paper is stored once per
content, and an image's pack page once per image and title.
"""

from __future__ import annotations

from casework.outbox import Lease, handler
from casework.pdf_images import IMAGE_TYPES, image_page

REFERRAL_PAPER = "referral.paper"


@handler(REFERRAL_PAPER, lease_seconds=180, max_attempts=5, queue="pdf")
def render_referral_paper(referral_id: int, *, job: Lease) -> None:
    """Render and store the referral's paper for its current content, if not stored already, and
    its images' pages (casework/pdf_images.py), so the pack itself only merges (panels/pack.py)."""
    from referrals.evidence import open_stored
    from referrals.models import Referral
    from referrals.papers import paper_for

    referral = (
        Referral.objects.select_related("child", "panel", "meeting", "referrer", "referrer_agency")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        return
    paper_for(referral)
    for document in referral.evidence.filter(removed_at__isnull=True, content_type__in=IMAGE_TYPES):
        if not job.renew():
            return  # taken over: the other run renders the rest

        def read(document=document) -> bytes:
            with open_stored(document) as stored:
                return stored.read()

        image_page(
            sha256=document.sha256,
            content_type=document.content_type,
            name=document.title or document.original_name,
            read=read,
        )
