"""A referral's paper for the panel: rendered once for each content it has had, then reused.

The paper carries every section of the request form, the options with their costs per agency
(weekly and annual side by side — seeds 001: "costs are not clearly presented"), the sign-offs and
the list of evidence (seeds 002: the Joint Solutions Panel request form), each file marked when a
panel pack cannot include it and why (issue 15). It is rendered by the PDF
engine (casework/pdf.py) in a Celery task, never in a request, and stored without page furniture
(bare): a pack numbers its pages as one document, and a download is stamped with who took it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from pypdf import PdfReader

from casework.money import annual, weekly
from casework.pdf import discard_pdf, render_pdf, store_pdf
from referrals.evidence import not_in_pack
from referrals.models import Referral, ReferralPaper
from referrals.services import SECTIONS, content_hash, current_signatures


@dataclass(frozen=True)
class Answer:
    label: str
    value: object


def _answers(referral: Referral) -> list[tuple[str, list[Answer]]]:
    sections = []
    for key, title, fields in SECTIONS:
        if key == "iro" and not referral.child.is_looked_after:
            continue
        answers = []
        for name in fields:
            field = Referral._meta.get_field(name)
            value = getattr(referral, name)
            if field.choices and value:
                value = getattr(referral, f"get_{name}_display")()
            elif isinstance(value, bool):
                value = "Yes" if value else "No"
            answers.append(
                Answer(label=str(field.verbose_name), value=value if value not in (None, "") else "—")
            )
        sections.append((title, answers))
    return sections


def paper_context(referral: Referral) -> dict:
    options = list(referral.options.prefetch_related("shares__agency"))
    return {
        "referral": referral,
        "child": referral.child,
        "sections": _answers(referral),
        "options": [
            {
                "option": option,
                "lines": option.cost_lines(),
                "weekly": weekly(option.cost, option.period, option.weeks_per_year),
                "annual": annual(option.cost, option.period, option.weeks_per_year),
            }
            for option in options
        ],
        "signatures": current_signatures(referral),
        # Each file with why a panel pack would leave it out ("" when it goes in): issue 15, the
        # paper's evidence table marks what the pack does not include.
        "evidence": [
            {"document": document, "not_in_pack": not_in_pack(document)}
            for document in referral.evidence.filter(removed_at__isnull=True).order_by("uploaded_at", "id")
        ],
        "bare": True,
    }


def render_paper(referral: Referral) -> bytes:
    title = f"Referral {referral.pk} for {referral.child.initials} to {referral.panel.name}"
    return render_pdf(template="referrals/pdf/paper.html", context=paper_context(referral), title=title)


def paper_for(referral: Referral) -> ReferralPaper:
    """The stored paper for the referral's current content, rendering and storing it if there is
    none yet. Call from a task (slow). Two at once: one row wins, the other's file is discarded."""
    fingerprint = content_hash(referral)
    existing = ReferralPaper.objects.filter(referral=referral, content_hash=fingerprint).first()
    if existing is not None:
        return existing
    data = render_paper(referral)
    stored = store_pdf(data)
    try:
        with transaction.atomic():
            return ReferralPaper.objects.create(
                referral=referral,
                content_hash=fingerprint,
                pdf_name=stored.name,
                pdf_sha256=stored.sha256,
                page_count=len(PdfReader(io.BytesIO(data)).pages),
            )
    except IntegrityError:
        discard_pdf(stored.name)
        return ReferralPaper.objects.get(referral=referral, content_hash=fingerprint)
