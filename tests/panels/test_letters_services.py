# ruff: noqa: F811 - `held` is a fixture imported from test_minutes_services
"""Decision letters: the panel's template filled safely, edited before sending, sent once to the
referrer and their service manager (seeds 002 section 4), e-mailed by a "letter.send" job written
with the send, with a link to the PDF (never attached); each recipient recorded after their e-mail
has gone, so a retry after a failure sends to each recipient once, with a stable Message-ID."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from casework import pdf
from casework.access import NotAllowed
from casework.jobs import message_id
from casework.models import AuditEvent, BackgroundJob, JobStatus, Role
from casework.services import InvalidTransition
from casework.tasks import run_job
from panels import services
from panels.jobs import LETTER_SEND
from panels.models import DecisionLetter, LetterRecipient
from panels.services.letters import (
    LETTER_PLACEHOLDERS,
    fill_letter_template,
    letter_fingerprint,
    letter_send_emails,
)
from tests.factories import UserFactory
from tests.mail_backends import FailingSends
from tests.panels.test_minutes_services import held  # noqa: F401 - the held meeting fixture


@pytest.fixture
def decision(held):
    return held.decisions[0]


def test_default_template_filled_with_initials_only(decision, panel_admin, held):
    letter = services.letter_prepare(actor=panel_admin, decision=decision)

    referral = held.referrals[0]
    assert letter.subject == f"Hampshire IRAP: decision on referral {referral.pk} for AH"
    body = letter.body
    assert body.startswith("Dear Sam Okafor,\n\nHampshire IRAP: decision on the referral for AH")
    assert "at its meeting on 9 April 2026" in body
    assert "Decision: Agreed with conditions" in body
    assert "AH is at risk of family breakdown" in body
    assert "Lead agency: Hampshire County Council Children's Services" in body
    assert "Key worker: Sam Okafor" in body
    assert "- Hampshire County Council Children's Services: £743.20 a week (50%)" in body
    assert "Review date: 8 October 2026" in body
    assert "Peter Hale\nChair, Hampshire IRAP" in body
    assert "{" not in body
    assert "Amelia" not in body and "Hart" not in body
    assert AuditEvent.objects.filter(action="letter.prepared", child=referral.child).exists()


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{referrer.__class__}", "{referrer.__class__}"),
        ("{referrer_name.__class__.__init__.__globals__}", "{referrer_name.__class__.__init__.__globals__}"),
        ("{0} and {} and {1!r}", "{0} and {} and {1!r}"),
        ("Unbalanced { brace and } and {{child_initials}", "Unbalanced { brace and } and {AH"),
        ("{child_initials:>20}", "{child_initials:>20}"),
        ("{settings} {SECRET_KEY} {unknown_name}", "{settings} {SECRET_KEY} {unknown_name}"),
        ("{child_initials}{child_initials}", "AHAH"),
        ("", ""),
    ],
)
def test_hostile_templates_neither_fail_nor_leak(template, expected):
    values = {name: "AH" if name == "child_initials" else "x" for name in LETTER_PLACEHOLDERS}
    assert fill_letter_template(template, values) == expected


def test_hostile_template_through_the_service(decision, panel_admin, held):
    services.panel_update_letter_template(
        actor=panel_admin,
        panel=held.meeting.panel,
        template="{referrer.__class__} {0} {child_initials} { {referrer_name",
    )
    letter = services.letter_prepare(actor=panel_admin, decision=decision)
    assert letter.body == "{referrer.__class__} {0} AH { {referrer_name"


def test_only_a_signed_decision_on_a_referral_gets_a_letter_once(held, panel_admin):
    decision = held.decisions[0]
    decision.status = "draft"
    decision.signed_by = decision.signed_at = None
    decision.save()
    with pytest.raises(InvalidTransition, match="must sign"):
        services.letter_prepare(actor=panel_admin, decision=decision)
    decision2 = held.decisions[1]
    services.letter_prepare(actor=panel_admin, decision=decision2)
    with pytest.raises(InvalidTransition, match="already been prepared"):
        services.letter_prepare(actor=panel_admin, decision=decision2)


def test_members_and_referrers_cannot_prepare_or_send(decision, panel_admin, icb_member, social_worker):
    for person in (icb_member, social_worker):
        with pytest.raises(NotAllowed):
            services.letter_prepare(actor=person, decision=decision)
    letter = services.letter_prepare(actor=panel_admin, decision=decision)
    with pytest.raises(NotAllowed):
        services.letter_send(actor=icb_member, letter=letter)


def test_edit_before_sending_with_a_stale_check(decision, panel_admin, panel_chair):
    letter = services.letter_prepare(actor=panel_admin, decision=decision)
    seen = letter_fingerprint(letter)
    services.letter_edit(
        actor=panel_chair, letter=letter, subject="Decision for AH", body="Dear Sam", fingerprint=seen
    )
    with pytest.raises(InvalidTransition, match="Someone else changed this letter"):
        services.letter_edit(
            actor=panel_admin, letter=letter, subject="Other", body="Other", fingerprint=seen
        )
    with pytest.raises(ValidationError) as caught:
        services.letter_edit(actor=panel_admin, letter=letter, subject="", body=" ")
    assert caught.value.message_dict == {"subject": ["Enter the subject"], "body": ["Enter the letter"]}
    letter.refresh_from_db()
    assert (letter.subject, letter.body) == ("Decision for AH", "Dear Sam")


def test_send_records_referrer_and_signing_service_manager_and_emails_after_commit(
    decision, panel_admin, held, service_manager, hampshire, django_capture_on_commit_callbacks
):
    # Another service manager in the agency who did not sign this referral: not a recipient.
    UserFactory(agency=hampshire, roles=[Role.SERVICE_MANAGER], email="other.sm@hants.example.gov.uk")
    letter = services.letter_prepare(actor=panel_admin, decision=decision)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sent = services.letter_send(actor=panel_admin, letter=letter)
    assert sent.sent_at is not None and mail.outbox == []
    recipients = list(LetterRecipient.objects.filter(letter=letter).order_by("id"))
    assert [(r.email, r.capacity, r.sent_at) for r in recipients] == [
        ("sam.okafor@hants.example.gov.uk", "Referrer", None),
        ("sunita.rao@hants.example.gov.uk", "Service manager (budget holder)", None),
    ]

    for callback in callbacks:
        callback()

    assert sorted(m.to[0] for m in mail.outbox) == [
        "sam.okafor@hants.example.gov.uk",
        "sunita.rao@hants.example.gov.uk",
    ]
    message = mail.outbox[0]
    assert message.attachments == []
    assert f"/panels/letters/{letter.pk}/letter.pdf" in message.body
    assert "Decision: Agreed with conditions" in message.body
    assert "Amelia" not in message.body and "Amelia" not in message.subject
    assert all(r.sent_at for r in LetterRecipient.objects.filter(letter=letter))
    letter.refresh_from_db()
    with pdf.open_stored_pdf(letter.pdf_name) as stored:
        data = stored.read()
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert reader.metadata.title == letter.subject
    assert "OFFICIAL-SENSITIVE" in text and "Page 1 of 1" in text and "Dear Sam Okafor" in text
    assert "Amelia" not in text

    # The job is done; a redelivered message, or the step run again, sends nothing more; sending
    # again is refused.
    job = BackgroundJob.objects.get(kind=LETTER_SEND, object_id=letter.pk)
    assert (job.status, job.attempts, job.partnership) == (JobStatus.DONE, 1, "Hampshire and Isle of Wight")
    assert job.summary == f"Decision letter {letter.pk} e-mails"
    assert run_job(job.pk) == "skipped" and letter_send_emails(letter_id=letter.pk) == 0
    assert len(mail.outbox) == 2
    with pytest.raises(InvalidTransition, match="already been sent"):
        services.letter_send(actor=panel_admin, letter=letter)
    with pytest.raises(InvalidTransition, match="has been sent"):
        services.letter_edit(actor=panel_admin, letter=letter, subject="x", body="y")
    assert LetterRecipient.objects.filter(letter=letter).count() == 2


def test_all_service_managers_when_none_signed(
    decision, panel_admin, held, hampshire, django_capture_on_commit_callbacks
):
    from referrals.models import SignOff

    SignOff.objects.filter(referral=held.referrals[0], stage="service_manager").update(
        withdrawn_at="2026-03-03T10:00Z"
    )
    UserFactory(
        agency=hampshire,
        roles=[Role.SERVICE_MANAGER],
        email="other.sm@hants.example.gov.uk",
        full_name="Olu Other",
    )
    letter = services.letter_prepare(actor=panel_admin, decision=decision)
    with django_capture_on_commit_callbacks(execute=True):
        services.letter_send(actor=panel_admin, letter=letter)
    assert sorted(LetterRecipient.objects.filter(letter=letter).values_list("email", flat=True)) == [
        "other.sm@hants.example.gov.uk",
        "sam.okafor@hants.example.gov.uk",
        "sunita.rao@hants.example.gov.uk",
    ]


def test_a_send_that_fails_for_one_recipient_is_retried_and_each_is_emailed_once(
    decision, panel_admin, settings, clock, django_capture_on_commit_callbacks
):
    letter = services.letter_prepare(actor=panel_admin, decision=decision)
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingSends"
    FailingSends.reset(fail_on={2})  # the mail server drops the second e-mail
    with django_capture_on_commit_callbacks(execute=True):
        services.letter_send(actor=panel_admin, letter=letter)
    recipients = list(LetterRecipient.objects.filter(letter=letter).order_by("pk"))
    assert len(recipients) == 2

    job = BackgroundJob.objects.get(kind=LETTER_SEND, object_id=letter.pk)
    assert (job.status, job.attempts) == (JobStatus.WAITING, 1)  # tried again after a wait
    assert "SMTPServerDisconnected" in job.last_error
    assert [m.to for m in mail.outbox] == [[recipients[0].email]]
    sent = dict(LetterRecipient.objects.filter(letter=letter).values_list("pk", "sent_at"))
    assert sent[recipients[0].pk] is not None and sent[recipients[1].pk] is None
    assert run_job(job.pk) == "skipped"  # not before its backoff

    clock.shift(dt.timedelta(seconds=31))
    assert run_job(job.pk) == "done"
    assert run_job(job.pk) == "skipped"  # a redelivered message
    assert FailingSends.attempts == 3  # one refused, then each recipient once
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in recipients)
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [
        message_id("letter", letter.pk, recipient.pk) for recipient in recipients
    ]
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<letter.{letter.pk}.{recipients[0].pk}@")
    assert not LetterRecipient.objects.filter(letter=letter, sent_at__isnull=True).exists()
    assert DecisionLetter.objects.get(pk=letter.pk).pdf_name  # stored before the e-mails, once:
    assert AuditEvent.objects.filter(action="letter.pdf_stored", object_id=str(letter.pk)).count() == 1


def test_template_editing_is_for_administrators(held, icb_member, panel_admin):
    with pytest.raises(NotAllowed):
        services.panel_update_letter_template(actor=icb_member, panel=held.meeting.panel, template="Hello")
    with pytest.raises(ValidationError):
        services.panel_update_letter_template(actor=panel_admin, panel=held.meeting.panel, template="  ")
    services.panel_update_letter_template(
        actor=panel_admin, panel=held.meeting.panel, template="Dear {referrer_name}, {oops}"
    )
    event = AuditEvent.objects.get(action="panel.letter_template_changed")
    assert event.changes["unknown_placeholders"] == [None, ["oops"]]
