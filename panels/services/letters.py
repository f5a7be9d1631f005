"""Writes for decision letters: prepare from the panel's template, edit, send, and the PDF.

seeds 002 (Joint Funding Panel terms of reference 3.13 and section 4): "a formal response will be
made by email to the referrers and their Service Manager and/or budget holder on the decision
made", "within three working days" — the number is the panel's setting
`decision_letter_working_days`, counted in working days (panels.selectors.meeting_deadlines).

The panel's template has placeholders in braces ({child_initials}). They are filled by a plain
search-and-replace over a fixed set of names: never str.format, whose "{referrer.__class__}" or
"{0}" would reach into Python objects or fail on a stray brace. Anything in braces that is not one
of LETTER_PLACEHOLDERS is left exactly as typed.

Sending records the recipients (the referrer, and the service manager who signed the referral off
or, failing one, the referring agency's service managers), stamps sent_at, and owes a "letter.send"
job in the same transaction (panels/jobs.py, casework/outbox.py): it renders and stores the PDF and
e-mails each recipient not yet e-mailed, recording each after its e-mail has gone (the job's lease
makes it the one sender; a retry after a failure sends only to those left, and each e-mail keeps a
stable Message-ID so a resend after an ambiguous failure is recognisable). The e-mail carries the
letter's text (the child by initials only) and a link to the PDF through the site, never the PDF
itself, so the document stays behind the access check.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from casework import outbox, pdf
from casework.access import NotAllowed
from casework.audit import record_child_view, record_event
from casework.jobs import message_id
from casework.models import Role, User
from casework.services import InvalidTransition
from casework.stale import StaleEdit, who_saved
from panels import access
from panels.jobs import LETTER_SEND
from panels.models import (
    AgendaItemKind,
    Decision,
    DecisionLetter,
    DecisionStatus,
    LetterRecipient,
    Panel,
    RecommendationStatus,
)
from panels.services.minutes import describe_cost, describe_shares, shield_child_name
from referrals.models import Referral, SignOff, SignOffDecision, SignOffStage

__all__ = [
    "LETTER_PLACEHOLDERS",
    "fill_letter_template",
    "letter_fingerprint",
    "letter_edit",
    "letter_placeholder_values",
    "letter_prepare",
    "letter_record_download",
    "letter_send",
    "letter_send_emails",
    "letter_store_pdf",
    "panel_update_letter_template",
]

LETTER_PLACEHOLDERS: dict[str, str] = {
    "referrer_name": "The referrer's name",
    "panel_name": "The panel's name",
    "child_initials": "The child's initials (never the full name)",
    "referral_number": "The referral's number",
    "meeting_date": "The date of the meeting",
    "outcome": "The decision, for example Agreed with conditions",
    "rationale": "The reasons for the decision",
    "conditions": "Any conditions (blank when there are none)",
    "lead_agency": "The lead agency",
    "key_worker": "The key worker",
    "cost": "The agreed cost and its period and dates",
    "cost_split": "Where the costs fall: one line per paying agency",
    "review_date": "The review date",
    "chair_name": "The name of the chair who signed the decision",
    "decision_date": "The date the decision was signed",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]{1,40})\}")
REFERRER = "Referrer"
SERVICE_MANAGER = "Service manager (budget holder)"


def fill_letter_template(template: str, values: Mapping[str, str]) -> str:
    """Replace {name} for each known name; everything else, braces included, stays as typed."""

    def swap(match: re.Match) -> str:
        name = match.group(1)
        return str(values[name]) if name in values and name in LETTER_PLACEHOLDERS else match.group(0)

    return _PLACEHOLDER.sub(swap, template)


def letter_placeholder_values(decision: Decision) -> dict[str, str]:
    item = decision.agenda_item
    meeting = item.meeting
    referral = decision.referral
    child = referral.child if referral is not None else None
    shares = _shares_with_standing(decision)
    return {
        "referrer_name": referral.referrer.full_name if referral else "",
        "panel_name": meeting.panel.name,
        "child_initials": child.initials if child else "",
        "referral_number": str(referral.pk) if referral else "",
        "meeting_date": f"{meeting.date:%-d %B %Y}",
        "outcome": decision.get_outcome_display(),
        "rationale": shield_child_name(decision.rationale, child),
        "conditions": shield_child_name(decision.conditions, child),
        "lead_agency": decision.lead_agency.name if decision.lead_agency else "Not set",
        "key_worker": decision.key_worker.full_name if decision.key_worker else "Not set",
        "cost": describe_cost(decision),
        "cost_split": "\n".join(f"- {line}" for line in shares) if shares else "Not recorded",
        "review_date": f"{decision.review_date:%-d %B %Y}" if decision.review_date else "Not set",
        "chair_name": decision.signed_by.full_name if decision.signed_by else "",
        "decision_date": f"{timezone.localtime(decision.signed_at):%-d %B %Y}" if decision.signed_at else "",
    }


def _shares_with_standing(decision: Decision) -> list[str]:
    """Where the costs fall, each line saying where it stands when its agency was not present: a
    part that is only a recommendation to that agency is not a decision for it until it accepts
    (seeds 002, Joint Funding Panel: "Decisions are not to be made if they impact upon one of the
    agencies who may not be present. The recommendations made to an absent agency will require a
    response within 3 working days"), so the letter never shows it as agreed."""
    answers = {r.agency_id: r for r in decision.recommendations.all()}
    lines = []
    for share, line in zip(decision.shares.all(), describe_shares(decision), strict=True):
        rec = answers.get(share.agency_id)
        if rec is None:
            lines.append(line)
        elif rec.status == RecommendationStatus.ACCEPTED:
            lines.append(
                f"{line}: recommended to {share.agency.name}, which was not present, and accepted by it"
            )
        elif rec.status == RecommendationStatus.DECLINED:
            lines.append(
                f"{line}: recommended to {share.agency.name}, which was not present, and declined by it, "
                "so not agreed: the panel will consider it again"
            )
        else:
            lines.append(
                f"{line}: a recommendation to {share.agency.name}, which was not present, not yet agreed: "
                f"awaiting its answer by {rec.due_on:%-d %B %Y}"
            )
    return lines


def letter_fingerprint(letter: DecisionLetter) -> str:
    """What the editor saw: a stale edit (someone saved in between) is refused."""
    return hashlib.sha256(f"{letter.subject}\0{letter.body}".encode()).hexdigest()[:32]


def _require_admin(actor: User, panel: Panel) -> None:
    if not access.can_administer(user=actor, panel=panel):
        raise NotAllowed("Only the panel's chair or administrators can do this")


def _letter_referral(decision: Decision) -> Referral:
    """The referral a letter is about: letters are prepared only for decisions on referrals."""
    if decision.referral is None:
        raise InvalidTransition("Decision letters are for decisions on referrals")
    return decision.referral


def _decision_for_update(decision: Decision) -> Decision:
    return (
        Decision.objects.select_for_update(of=("self",))
        .select_related(
            "agenda_item__meeting__panel",
            "referral__child",
            "referral__referrer",
            "lead_agency",
            "key_worker",
            "signed_by",
        )
        .get(pk=decision.pk)
    )


@transaction.atomic
def panel_update_letter_template(*, actor: User, panel: Panel, template: str) -> Panel:
    """Change the panel's decision letter template (the placeholders are LETTER_PLACEHOLDERS)."""
    _require_admin(actor, panel)
    template = (template or "").replace("\r\n", "\n")
    if not template.strip():
        raise ValidationError({"template": ["Enter the letter template"]})
    field = Panel._meta.get_field("decision_letter_template")
    if field.max_length is not None and len(template) > field.max_length:
        raise ValidationError(
            {"template": [f"The template must be {field.max_length:,} characters or fewer"]}
        )
    old = Panel.objects.filter(pk=panel.pk).values_list("decision_letter_template", flat=True).first()
    if old == template:
        return panel
    Panel.objects.filter(pk=panel.pk).update(decision_letter_template=template)
    panel.decision_letter_template = template
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(template)} - set(LETTER_PLACEHOLDERS))
    record_event(
        actor=actor,
        action="panel.letter_template_changed",
        obj=panel,
        changes={
            "decision_letter_template": [old, template],
            **({"unknown_placeholders": [None, unknown]} if unknown else {}),
        },
    )
    return panel


@transaction.atomic
def letter_prepare(*, actor: User, decision: Decision) -> DecisionLetter:
    """Fill the panel's template for a signed decision on a referral: one letter per decision
    (a corrected decision is a new version, which gets its own letter)."""
    decision = _decision_for_update(decision)
    meeting = decision.agenda_item.meeting
    _require_admin(actor, meeting.panel)
    if decision.agenda_item.kind != AgendaItemKind.REFERRAL or decision.referral is None:
        raise InvalidTransition("Decision letters are for decisions on referrals")
    if decision.status != DecisionStatus.SIGNED:
        raise InvalidTransition("The chair must sign the decision before its letter is prepared")
    if DecisionLetter.objects.filter(decision=decision).exists():
        raise InvalidTransition("A letter has already been prepared for this decision")
    values = letter_placeholder_values(decision)
    letter = DecisionLetter.objects.create(
        decision=decision,
        subject=f"{meeting.panel.name}: decision on referral {decision.referral_id} for {values['child_initials']}"[
            :300
        ],
        body=fill_letter_template(meeting.panel.decision_letter_template or "", values)[:20000],
        created_by=actor,
    )
    record_event(
        actor=actor,
        action="letter.prepared",
        obj=letter,
        child=decision.referral.child,
        changes={"decision": [None, decision.pk]},
    )
    return letter


@transaction.atomic
def letter_edit(
    *, actor: User, letter: DecisionLetter, subject: str, body: str, fingerprint: str | None = None
) -> DecisionLetter:
    """Change a letter before it is sent. With `fingerprint` (what the editor saw), a letter saved
    by someone else in between is refused rather than overwritten."""
    decision = letter.decision
    _require_admin(actor, decision.agenda_item.meeting.panel)
    subject, body = (subject or "").strip(), (body or "").replace("\r\n", "\n")
    errors = {}
    if not subject:
        errors["subject"] = ["Enter the subject"]
    elif len(subject) > 300:
        errors["subject"] = ["The subject must be 300 characters or fewer"]
    if not body.strip():
        errors["body"] = ["Enter the letter"]
    elif len(body) > 20000:
        errors["body"] = ["The letter must be 20,000 characters or fewer"]
    if errors:
        raise ValidationError(errors)
    locked = DecisionLetter.objects.select_for_update().filter(pk=letter.pk).first()
    if locked is None or locked.sent_at is not None:
        raise InvalidTransition("This letter has been sent, so it can no longer be changed")
    if fingerprint is not None and fingerprint != letter_fingerprint(locked):
        saved = who_saved(locked, actions=["letter.prepared", "letter.edited"])
        raise StaleEdit(
            f"Someone else changed this letter since you opened it{f' ({saved})' if saved else ''}. "
            "Your changes have not been saved: open the letter again to see the latest version",
            current={
                "subject": locked.subject,
                "body": locked.body,
                "fingerprint": letter_fingerprint(locked),
            },
        )
    changes = {}
    if locked.subject != subject:
        changes["subject"] = [locked.subject, subject]
    if locked.body != body:
        changes["body"] = [locked.body, body]
    DecisionLetter.objects.filter(pk=letter.pk).update(subject=subject, body=body)
    letter.subject, letter.body = subject, body
    if changes:
        record_event(
            actor=actor,
            action="letter.edited",
            obj=letter,
            child=_letter_referral(decision).child,
            changes=changes,
        )
    return letter


def _service_managers(referral: Referral) -> list[User]:
    """seeds 002 section 4: the referrer's service manager and/or budget holder. The service
    manager who signed the referral off if there is one; otherwise every active service manager
    of the referring agency."""
    signer_ids = SignOff.objects.filter(
        referral=referral,
        stage=SignOffStage.SERVICE_MANAGER,
        decision=SignOffDecision.SIGNED,
        withdrawn_at__isnull=True,
    ).values("signer_id")
    managers = User.objects.filter(
        agency_id=referral.referrer_agency_id, is_active=True, roles__contains=[Role.SERVICE_MANAGER]
    ).exclude(pk=referral.referrer_id)
    signed = list(managers.filter(pk__in=signer_ids).order_by("full_name", "pk"))
    return signed or list(managers.order_by("full_name", "pk"))


@transaction.atomic
def letter_send(*, actor: User, letter: DecisionLetter) -> DecisionLetter:
    """Record who receives the letter and stamp it sent; the PDF and e-mails follow the commit."""
    decision = letter.decision
    referral = _letter_referral(decision)
    _require_admin(actor, decision.agenda_item.meeting.panel)
    now = timezone.now()
    if DecisionLetter.objects.filter(pk=letter.pk, sent_at__isnull=True).update(sent_at=now) != 1:
        raise InvalidTransition("This letter has already been sent")
    letter.sent_at = now
    people: dict[int, tuple[User, str]] = {referral.referrer_id: (referral.referrer, REFERRER)}
    for manager in _service_managers(referral):
        people.setdefault(manager.pk, (manager, SERVICE_MANAGER))
    # The letter was claimed above, so this runs once per letter; the unique (letter, person)
    # constraint is the backstop.
    recipients = LetterRecipient.objects.bulk_create(
        [LetterRecipient(letter=letter, person=p, email=p.email, capacity=c) for p, c in people.values()],
        ignore_conflicts=True,
    )
    record_event(
        actor=actor,
        action="letter.sent",
        obj=letter,
        child=referral.child,
        changes={
            "sent_at": [None, now.isoformat()],
            "recipients": [None, sorted(r.person_id for r in recipients)],
        },
    )
    outbox.defer(
        kind=LETTER_SEND,
        object_id=letter.pk,
        partnership=decision.agenda_item.meeting.panel.partnership,
        summary=f"Decision letter {letter.pk} e-mails",
    )
    return letter


def letter_store_pdf(*, letter_id: int) -> DecisionLetter | None:
    """Render and store a sent letter's PDF once (idempotent; for its "letter.send" job), outside
    any transaction: the file is written first, then the row claims it."""
    letter = (
        DecisionLetter.objects.select_related("decision__agenda_item__meeting__panel")
        .filter(pk=letter_id, sent_at__isnull=False)
        .first()
    )
    if letter is None or letter.pdf_name:
        return letter
    panel = letter.decision.agenda_item.meeting.panel
    data = pdf.render_pdf(
        template="pdf/letter.html",
        context={"letter": letter, "panel": panel, "sent_on": timezone.localtime(letter.sent_at).date()},
        title=letter.subject,
    )
    stored = pdf.store_pdf(data)
    if (
        DecisionLetter.objects.filter(pk=letter_id, pdf_name="").update(
            pdf_name=stored.name, pdf_sha256=stored.sha256
        )
        != 1
    ):
        pdf.discard_pdf(stored.name)
    else:
        record_event(
            actor=None, action="letter.pdf_stored", obj=letter, changes={"sha256": [None, stored.sha256]}
        )
    letter.refresh_from_db()
    return letter


def letter_send_emails(*, letter_id: int, job: outbox.Lease | None = None) -> int:
    """E-mail each recipient not yet e-mailed, then record it (sent_at): sent first, so a worker
    killed mid-send loses nothing (the job runs again when its lease runs out and sends what is not
    recorded). `job`'s lease makes this the one sender; it is renewed between e-mails, and the
    sending stops if another run has taken over. An error stops the sending (the job retries the
    rest). Each e-mail's Message-ID is the same on every attempt. Returns how many went."""
    letter = DecisionLetter.objects.filter(pk=letter_id, sent_at__isnull=False).first()
    if letter is None:
        return 0
    link = f"{settings.SITE_URL.rstrip('/')}{reverse('panels:letter_pdf', args=[letter.pk])}"
    body = f"{letter.body.rstrip()}\n\nThe letter as a PDF (OFFICIAL-SENSITIVE), after signing in:\n{link}\n"
    sent = 0
    for recipient_id, email in (
        LetterRecipient.objects.filter(letter_id=letter_id, sent_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "email")
    ):
        if job is not None and not job.renew():
            break  # taken over: the other run sends the rest
        EmailMessage(
            letter.subject,
            body,
            None,
            [email],
            headers={"Message-ID": message_id("letter", letter.pk, recipient_id)},
        ).send()
        LetterRecipient.objects.filter(pk=recipient_id, sent_at__isnull=True).update(sent_at=timezone.now())
        sent += 1
    return sent


def letter_record_download(*, actor: User, letter: DecisionLetter, path: str = "") -> None:
    child = _letter_referral(letter.decision).child
    record_event(actor=actor, action="letter.pdf_downloaded", obj=letter, child=child)
    record_child_view(user=actor, child=child, channel="pdf", path=path)
