"""The referrals' background work (casework/outbox.py): a referral's paper for the panel.

Owed by `referral_place_on_agenda` in the same transaction as the move (`outbox.defer`) and run by
`casework.tasks.run_job` on the "pdf" queue (WeasyPrint). Idempotent: a paper is stored once per
content, and an image's pack page once per image and title.
"""

from __future__ import annotations

from casework.outbox import Lease, handler

REFERRAL_PAPER = "referral.paper"


@handler(REFERRAL_PAPER, lease_seconds=180, max_attempts=5, queue="pdf")
def render_referral_paper(referral_id: int, *, job: Lease) -> None:
    """Render and store the referral's paper for its current content, if not stored already, and
    its images' pack pages, so the pack itself only merges (panels/pack.py)."""
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
    # The pack's image pages live with the pack (panels, above this app): imported when run, as
    # the task that did this before imported it.
    from panels.pack import IMAGE_TYPES, image_page

    for document in referral.evidence.filter(removed_at__isnull=True, content_type__in=IMAGE_TYPES):
        if not job.renew():
            return  # taken over: the other run renders the rest
        image_page(document, name=document.title or document.original_name)
