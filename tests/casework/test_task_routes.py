"""Celery queues (ADR 0014): PDF work on "pdf", everything else on "default", each queue with its own
workers in docker-compose.yml. The one task that runs background jobs (casework.tasks.run_job) is
sent to its job kind's queue; the beat's tasks are routed by CELERY_TASK_ROUTES."""

from __future__ import annotations

import pytest

from casework import outbox
from casework.jobs import ACCESS_REQUEST, INVITATION_EMAIL, NOTICE_EMAIL
from casework.tasks import run_job
from config.celery import app
from panels.jobs import LETTER_SEND, MINUTES_PDF, PACK_BUILD
from referrals.jobs import REFERRAL_PAPER

PDF_KINDS = [REFERRAL_PAPER, PACK_BUILD, LETTER_SEND, MINUTES_PDF]


def routed_queue(task: str, **options) -> str:
    """The queue Celery's own router sends `task` to, as apply_async would."""
    return app.amqp.router.route(options, task, (1,), {})["queue"].name


@pytest.mark.parametrize("kind", PDF_KINDS)
def test_each_pdf_job_goes_to_the_pdf_queue(kind, monkeypatch):
    sent = []
    monkeypatch.setattr(run_job, "apply_async", lambda **options: sent.append(options))
    assert outbox.get_handler(kind).queue == "pdf"
    assert outbox.enqueue(job_id=7, kind=kind) is True
    [options] = sent
    assert options["queue"] == "pdf"
    assert routed_queue("casework.tasks.run_job", queue=options["queue"]) == "pdf"


@pytest.mark.parametrize("kind", [NOTICE_EMAIL, INVITATION_EMAIL, ACCESS_REQUEST])
def test_e_mail_jobs_go_to_the_default_queue(kind):
    assert outbox.get_handler(kind).queue == "default"


@pytest.mark.parametrize("task", ["casework.tasks.relay_background_jobs", "casework.tasks.sweep_reminders"])
def test_the_beats_tasks_go_to_the_default_queue(task):
    assert routed_queue(task) == "default"


def test_every_handler_names_a_served_queue():
    assert {handler.queue for handler in outbox.handlers().values()} <= set(outbox.QUEUES)
    with pytest.raises(ValueError, match="queue is one of default, pdf, reports"):
        outbox.handler("typo.kind", queue="pfd")
