"""The background-work outbox (casework/outbox.py): written with the change, claimed with a lease,
retried with backoff, failed visibly, retried by an administrator, and never lost when the broker
is down. The real worker, Redis and database faults are in tests/faults/."""

from __future__ import annotations

import datetime as dt
import html

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from casework import outbox
from casework.models import AuditEvent, BackgroundJob, Heartbeat, JobStatus, Notification
from casework.notifications import notify
from tests.casework.flaky_mail import fail_next
from tests.celery_broker import broker_at


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = "tests.casework.flaky_mail.FlakyBackend"
    mail.outbox = []
    yield fail_next
    fail_next(0)


def _job(notice: Notification) -> BackgroundJob:
    return BackgroundJob.objects.get(kind="notice.email", object_id=notice.pk)


def _notify(person, django_capture_on_commit_callbacks) -> Notification:
    with django_capture_on_commit_callbacks(execute=True):
        [notice] = notify(users=[person], subject="Papers due for IRAP", url="/panels/")
    return notice


def test_work_is_written_with_the_change_or_not_at_all(db, team_manager):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(users=[team_manager], subject="Papers due")
        raise RuntimeError("the change fails")
    assert not BackgroundJob.objects.exists() and not Notification.objects.exists()


def test_a_notice_is_emailed_after_the_commit_once_with_a_stable_message_id(
    db, team_manager, flaky_mail, django_capture_on_commit_callbacks
):
    notice = _notify(team_manager, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.to == [team_manager.email]
    assert message.extra_headers["Message-ID"].startswith(f"<notice.{notice.pk}@")
    job = _job(notice)
    assert (job.status, job.attempts, job.partnership) == (JobStatus.DONE, 1, "Hampshire and Isle of Wight")
    assert outbox.run_job(job_id=job.pk) == "skipped"  # a redelivered message does nothing
    assert len(mail.outbox) == 1


def test_a_mail_server_failure_is_retried_with_backoff_and_sent_once(
    db, team_manager, flaky_mail, django_capture_on_commit_callbacks
):
    flaky_mail(2)
    notice = _notify(team_manager, django_capture_on_commit_callbacks)
    job = _job(notice)
    assert (job.status, job.attempts) == (JobStatus.WAITING, 1)
    assert "SMTPServerDisconnected" in job.last_error and job.not_before > timezone.now()
    assert outbox.relay() == 0  # not before its backoff
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        outbox.relay()  # the second attempt fails too; the wait doubles
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.WAITING, 2)
    assert job.not_before - timezone.now() > dt.timedelta(seconds=55)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=200)):
        assert outbox.relay() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_after_its_last_attempt_a_job_fails_and_an_administrator_can_try_it_again(
    db, team_manager, hants_admin, flaky_mail, django_capture_on_commit_callbacks, client
):
    flaky_mail(100)
    notice = _notify(team_manager, django_capture_on_commit_callbacks)
    job = _job(notice)
    limit = outbox.get_handler("notice.email").max_attempts
    later = timezone.now()
    while job.status == JobStatus.WAITING:
        later += dt.timedelta(hours=2)
        with time_machine.travel(later):
            outbox.relay()
        job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, limit) and mail.outbox == []

    client.force_login(hants_admin)
    page = html.unescape(client.get(reverse("administration:background_work")).content.decode())
    assert f"E-mail to {team_manager.email}: Papers due for IRAP" in page and "Try again" in page

    flaky_mail(0)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("administration:background_job_retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="background_job.retried", actor=hants_admin).count() == 1
    # Tried again twice (a double click): the second is a conflict, not a second e-mail.
    assert client.post(reverse("administration:background_job_retry", args=[job.pk])).status_code == 409


def test_a_run_whose_worker_died_is_taken_over_only_after_its_lease(db, team_manager, flaky_mail):
    with transaction.atomic():
        [notice] = notify(users=[team_manager], subject="Papers due")  # on_commit not run: queue lost
    job = _job(notice)
    dead = outbox.claim(job_id=job.pk)  # a worker claims it, then is killed before sending
    assert dead is not None and outbox.relay() == 0  # its lease still holds
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        assert outbox.relay() == 1
        assert dead.renew() is False  # the old runner has lost it and must stop
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2) and len(mail.outbox) == 1


def test_a_live_lease_is_renewed_so_long_work_is_not_taken_over(db, team_manager):
    with transaction.atomic():
        [notice] = notify(users=[team_manager], subject="Papers due")
    lease = outbox.claim(job_id=_job(notice).pk)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=50)):
        assert lease.renew() is True
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=90)):
        assert outbox.claim(job_id=lease.job_id) is None


def test_with_the_broker_down_the_change_succeeds_and_the_relay_sends_it_later(
    db, team_manager, flaky_mail, django_capture_on_commit_callbacks
):
    with broker_at("redis://127.0.0.1:1/0"):  # nothing listens there
        notice = _notify(team_manager, django_capture_on_commit_callbacks)
    job = _job(notice)
    assert job.status == JobStatus.WAITING and mail.outbox == []
    with time_machine.travel(timezone.now() + outbox.RELAY_AFTER + dt.timedelta(seconds=1)):
        assert outbox.relay() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and len(mail.outbox) == 1


def test_asked_again_while_open_the_same_work_is_one_job(db, team_manager):
    with transaction.atomic():
        outbox.defer(kind="invitation.email", object_id=team_manager.pk)
        outbox.defer(kind="invitation.email", object_id=team_manager.pk)
    assert BackgroundJob.objects.filter(kind="invitation.email").count() == 1
    with pytest.raises(LookupError):
        outbox.defer(kind="no.such.work", object_id=1)


def test_the_background_work_page_is_the_administrators_own_partnership_only(
    db, team_manager, outsider, hants_admin, leics_admin, social_worker, client, django_assert_max_num_queries
):
    with transaction.atomic():
        notify(users=[team_manager], subject="Hampshire notice")
        notify(users=[outsider], subject="Leicester notice")
    BackgroundJob.objects.update(status=JobStatus.FAILED, attempts=8, last_error="SMTP: 421")
    hants_job = BackgroundJob.objects.get(partnership="Hampshire and Isle of Wight")
    leics_job = BackgroundJob.objects.get(partnership="Leicester, Leicestershire and Rutland")
    for _ in range(25):
        BackgroundJob.objects.create(
            kind="notice.email",
            object_id=10_000 + _,
            partnership="Hampshire and Isle of Wight",
            status=JobStatus.FAILED,
            summary="Another",
            created_at=timezone.now() - dt.timedelta(days=1),
            attempts=8,
        )

    client.force_login(hants_admin)
    # session, user, summary counts, heartbeat, page count, page rows, navigation badges
    with django_assert_max_num_queries(12):
        page = html.unescape(client.get(reverse("administration:background_work")).content.decode())
    assert "Hampshire notice" in page and "Leicester notice" not in page
    assert "have not run yet" in page  # no relay run has been seen
    assert client.post(reverse("administration:background_job_retry", args=[leics_job.pk])).status_code == 404

    Heartbeat.objects.create(name="relay")
    page = client.get(reverse("administration:background_work")).content.decode()
    assert "The background processes are running" in page

    for person in (social_worker, leics_admin):
        client.force_login(person)
        assert (
            client.post(reverse("administration:background_job_retry", args=[hants_job.pk])).status_code
            == 404
        )
    client.force_login(social_worker)
    assert client.get(reverse("administration:background_work")).status_code == 404
    hants_job.refresh_from_db()
    assert hants_job.status == JobStatus.FAILED


def test_notices_never_emailed_before_the_outbox_are_owed_by_the_migration(db, team_manager):
    import importlib

    from django.apps import apps

    with transaction.atomic():
        [recent] = notify(users=[team_manager], subject="Lost in the outage")
        [old] = notify(users=[team_manager], subject="Long ago")
    BackgroundJob.objects.all().delete()
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=5))
    migration = importlib.import_module("casework.migrations.0010_background_jobs")
    migration.owe_unsent_notices(apps, None)
    assert list(BackgroundJob.objects.values_list("object_id", flat=True)) == [recent.pk]


def test_check_background_fails_until_the_relay_has_run_lately(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="relay last ran: never"):
        call_command("check_background")
    outbox.relay()
    call_command("check_background")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)), pytest.raises(CommandError):
        call_command("check_background")


def test_a_job_whose_worker_dies_every_time_fails_after_its_last_attempt(db, team_manager, flaky_mail):
    with transaction.atomic():
        [notice] = notify(users=[team_manager], subject="Papers due")
    job = _job(notice)
    limit = outbox.get_handler("notice.email").max_attempts
    start = timezone.now()
    for attempt in range(limit):
        with time_machine.travel(start + dt.timedelta(minutes=5 * attempt)):
            assert outbox.claim(job_id=job.pk) is not None  # taken, then the worker is killed
    with time_machine.travel(start + dt.timedelta(minutes=5 * limit)):
        assert outbox.claim(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, limit)
    assert "Stopped without finishing" in job.last_error and mail.outbox == []
