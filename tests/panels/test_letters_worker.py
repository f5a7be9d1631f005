# ruff: noqa: F811 - the fixtures are imported from tests.celery_worker and test_minutes_services
"""A decision letter's e-mails under a real fault: a `celery worker` on a Redis of the test's own,
an SMTP server that counts Message-IDs (tests/celery_worker.py), the worker killed -9 while the mail
server holds the first e-mail and before the worker has heard "250" (the window the outbox cannot
close: docs/adr/0009-background-work-outbox.md). Each recipient is recorded only after their e-mail
has gone, so nothing is lost; the one repeat is that first e-mail, with the same Message-ID.
"""

from __future__ import annotations

import collections

import pytest
from django.utils import timezone

from casework.jobs import message_id
from casework.models import BackgroundJob, JobStatus
from panels import services
from panels.jobs import LETTER_SEND
from panels.models import DecisionLetter, LetterRecipient
from tests.celery_worker import (  # noqa: F401 - fixtures
    private_redis,
    relay_until_done,
    smtp_sink,
    start_worker,
    wait_for,
)
from tests.panels.test_minutes_services import held  # noqa: F401 - the held meeting fixture
from tests.panels.test_pack_worker import back_to_real_time


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_e_mails_each_recipient_and_repeats_only_the_one_in_flight(
    private_redis, smtp_sink, start_worker, held, panel_admin, clock
):
    back_to_real_time(clock)
    worker = start_worker()
    in_flight: list[str] = []

    def kill_the_sender(mid: str) -> None:
        if not in_flight and mid.startswith("<letter."):  # not the meeting's notices
            in_flight.append(mid)
            worker.kill()  # the mail server has it; the worker never hears "250"

    smtp_sink.on_message = kill_the_sender
    letter = services.letter_prepare(actor=panel_admin, decision=held.decisions[0])
    services.letter_send(actor=panel_admin, letter=letter)  # commits: the job is queued after
    assert wait_for(lambda: worker.poll() is not None, 120), worker.log_tail()
    killed_at = timezone.now()
    smtp_sink.on_message = None
    job = BackgroundJob.objects.get(kind=LETTER_SEND, object_id=letter.pk)
    assert BackgroundJob.objects.values_list("status", "attempts").get(pk=job.pk) == (JobStatus.RUNNING, 1)
    assert not LetterRecipient.objects.filter(letter=letter, sent_at__isnull=False).exists()

    worker.start()
    relay_until_done(broker=private_redis.client(), leases_taken_before=killed_at, worker=worker)

    recipients = list(LetterRecipient.objects.filter(letter=letter).order_by("pk"))
    expected = [message_id("letter", letter.pk, r.pk) for r in recipients]
    counts = collections.Counter(mid for mid in smtp_sink.counts().elements() if mid.startswith("<letter."))
    assert set(counts) == set(expected)  # every recipient e-mailed: nothing lost
    assert in_flight == [expected[0]] and counts == {expected[0]: 2, expected[1]: 1}
    assert all(r.sent_at for r in recipients)
    assert BackgroundJob.objects.values_list("status", "attempts").get(pk=job.pk) == (JobStatus.DONE, 2)
    assert DecisionLetter.objects.get(pk=letter.pk).pdf_name
