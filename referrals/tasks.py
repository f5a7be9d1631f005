"""Celery adapters for referrals: take ids, re-fetch, return quietly if the row is gone."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
    reject_on_worker_lost=True,  # idempotent: a paper is stored once per content
    soft_time_limit=120,
    time_limit=180,
)
def render_referral_paper(referral_id: int) -> None:
    """Render and store the referral's paper for its current content, if not stored already."""
    from referrals.models import Referral
    from referrals.papers import paper_for

    referral = (
        Referral.objects.select_related("child", "panel", "meeting", "referrer", "referrer_agency")
        .filter(pk=referral_id)
        .first()
    )
    if referral is not None:
        paper_for(referral)
        # Its images' pack pages too, so the pack itself only merges (panels/pack.py).
        from panels.pack import IMAGE_TYPES, image_page

        for document in referral.evidence.filter(removed_at__isnull=True, content_type__in=IMAGE_TYPES):
            image_page(document, name=document.title or document.original_name)
