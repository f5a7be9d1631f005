"""Notice e-mails under real faults (issue 13): a worker killed -9, a pool child killed -9, the
database cut off while the worker sends, Redis unreachable while a page queues work.

Everything is real: a `celery worker` process on a Redis of the test's own, PostgreSQL (through a
TCP proxy the test stops and starts), an SMTP server that counts every Message-ID
(tests/celery_worker.py). The relay runs from the test, as beat would; the minute a dead worker's
lease takes to run out is moved on in the database rather than waited for (run_out_the_clock).

What must hold after each fault: every notice e-mailed, every background job done, and a second
copy only from the documented window (a worker killed after the mail server took the message and
before the notice recorded it: docs/adr/0009-background-work-outbox.md), so at most one per fault,
with the same Message-ID. bench/faults.py runs the same faults at a larger size.
"""

from __future__ import annotations

import collections
import time

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.jobs import NOTICE_EMAIL, message_id
from casework.models import BackgroundJob, JobStatus, Notification, ReminderSent, Role
from casework.notifications import notify
from casework.tasks import sweep_reminders
from casework.working_days import add_working_days, is_working_day
from panels.models import Membership
from referrals import services as referral_services
from referrals.models import Referral, Status
from tests.celery_worker import relay_until_done, wait_for
from tests.factories import MeetingFactory, PanelFactory, UserFactory
from tests.referrals.test_journey_services import complete_referral

# Big enough that a kill lands mid-burst, small enough for seconds (bench/faults.py does thousands).
BURST = 100

pytestmark = pytest.mark.django_db(transaction=True)


def circulation_overdue_for(agency, count: int) -> list:
    """A panel whose meeting's papers should have been circulated three working days ago, and
    `count` panel administrators of its host agency: one sweep owes each of them a reminder."""
    people = UserFactory.create_batch(count, agency=agency, roles=[Role.PANEL_ADMINISTRATOR])
    panel = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=agency)
    today = timezone.localdate()
    last_working_day = today if is_working_day(today) else add_working_days(today, -1)
    MeetingFactory(panel=panel, date=add_working_days(last_working_day, 2))
    return people


def assert_each_notice_emailed(sink, *, faults: int) -> dict[str, int]:
    """Every notice's Message-ID reached the SMTP server, nothing else did, copies at most one per
    fault, every notice recorded as e-mailed and every job done. Returns the duplicated ids."""
    notices = list(Notification.objects.values_list("pk", flat=True))
    expected = {message_id("notice", pk) for pk in notices}
    counts = sink.counts()
    missing = expected - counts.keys()
    duplicated = {mid: n - 1 for mid, n in counts.items() if n > 1}
    assert not missing, f"{len(missing)} of {len(expected)} notices never e-mailed: {sorted(missing)[:5]}"
    assert counts.keys() <= expected, "an e-mail no notice asked for"
    assert sum(duplicated.values()) <= faults, f"duplicates {duplicated} after {faults} faults"
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    jobs = collections.Counter(
        BackgroundJob.objects.filter(kind=NOTICE_EMAIL).values_list("status", flat=True)
    )
    assert jobs == {JobStatus.DONE: len(notices)}, jobs
    return duplicated


def test_a_worker_killed_twice_mid_burst_e_mails_every_reminder(
    private_redis, smtp_sink, start_worker, hampshire
):
    """The sweep runs on the worker and owes 100 reminders; the worker is killed -9 twice while it
    sends them and started again each time. Nothing is lost, nothing is reminded twice."""
    people = circulation_overdue_for(hampshire, BURST)
    worker = start_worker()
    sweep_reminders.delay()
    killed_at = None
    for sent in (30, 70):
        assert wait_for(lambda sent=sent: smtp_sink.count() >= sent, 60, worker=worker), worker.log_tail()
        worker.kill()
        killed_at = timezone.now()
        worker.start()

    relay_until_done(broker=private_redis.client(), leases_taken_before=killed_at, worker=worker)

    assert ReminderSent.objects.filter(kind="circulation_overdue").count() == BURST
    assert Notification.objects.filter(user__in=people).count() == BURST
    assert_each_notice_emailed(smtp_sink, faults=2)


def test_a_pool_child_killed_mid_send_e_mails_every_notice_and_a_repeat_keeps_its_message_id(
    private_redis, smtp_sink, start_worker, hampshire
):
    """Prefork pool, one child. The first kill is the worst moment: the mail server has the
    message and the child dies before it hears "250" (the documented window), so that notice is
    e-mailed again, with the same Message-ID. The second kill lands wherever the child is."""
    circulation_overdue_for(hampshire, BURST)
    worker = start_worker(pool="prefork", concurrency=1)
    in_the_window: list[str] = []

    def kill_the_sender(mid: str) -> None:
        if not in_the_window and smtp_sink.count() >= 30:
            in_the_window.append(mid)
            worker.kill_pool_child()

    smtp_sink.on_message = kill_the_sender
    sweep_reminders.delay()
    assert wait_for(lambda: smtp_sink.count() >= 70, 60, worker=worker), worker.log_tail()
    smtp_sink.on_message = None
    worker.kill_pool_child()
    killed_at = timezone.now()
    assert worker.poll() is None, "the main process lives on and starts a new child"

    relay_until_done(broker=private_redis.client(), leases_taken_before=killed_at, worker=worker)

    duplicated = assert_each_notice_emailed(smtp_sink, faults=2)
    assert in_the_window and in_the_window[0] in duplicated


def test_a_database_outage_while_sending_loses_no_notice(
    private_redis, smtp_sink, start_worker, database_proxy, hampshire
):
    """The worker reaches PostgreSQL through a proxy; while it sends 100 notices the proxy is
    stopped three times (every connection cut, new ones refused) for a second each. Database
    errors retry the task with backoff; a run cut off between the send and its record leaves its
    lease to expire and the relay runs it again."""
    people = UserFactory.create_batch(BURST, agency=hampshire, roles=[Role.SOCIAL_WORKER])
    worker = start_worker(database_port=database_proxy.port)
    with transaction.atomic():
        notify(users=people, subject="A decision was recorded", url="/referrals/")

    outages = 0
    for sent in (20, 40, 60):  # each outage while the worker is sending, however fast it is
        assert wait_for(lambda sent=sent: smtp_sink.count() >= sent, 60, worker=worker), worker.log_tail()
        database_proxy.stop()
        outages += 1
        time.sleep(1.0)
        database_proxy.start()
    back_at = timezone.now()

    relay_until_done(broker=private_redis.client(), leases_taken_before=back_at, worker=worker)

    assert "OperationalError" in worker.log_text(), "the outage reached the worker"
    assert_each_notice_emailed(smtp_sink, faults=outages)


@pytest.fixture
def complete(child, social_worker, hampshire, hiow_icb, panel_chair):
    panel = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    Membership.objects.create(panel=panel, person=panel_chair, agency=hampshire, role="chair")
    draft = referral_services.referral_create(
        actor=social_worker, child=child, panel=panel, pathway="joint_package"
    )
    return complete_referral(draft, social_worker, hiow_icb, hampshire)


def test_redis_down_send_for_sign_off_succeeds_and_the_relay_e_mails_the_notices_once(
    private_redis, smtp_sink, start_worker, complete, social_worker, team_manager, hampshire_team
):
    """The page's change is committed and the person sent on, though nothing could be queued;
    when Redis is back, the relay queues the notices and each is e-mailed once."""
    second_manager = UserFactory(agency=team_manager.agency, roles=[Role.TEAM_MANAGER])
    second_manager.teams.add(hampshire_team)
    private_redis.stop()
    sam = Client()
    sam.force_login(social_worker)

    response = sam.post(reverse("referrals:send", args=[complete.pk]), {"status": "draft"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("referrals:detail", args=[complete.pk])
    assert Referral.objects.get(pk=complete.pk).status == Status.AWAITING_TEAM_MANAGER
    waiting = BackgroundJob.objects.filter(kind=NOTICE_EMAIL, status=JobStatus.WAITING)
    assert set(Notification.objects.values_list("user", flat=True)) == {team_manager.pk, second_manager.pk}
    assert waiting.count() == 2

    private_redis.start()
    worker = start_worker()
    relay_until_done(broker=private_redis.client(), leases_taken_before=timezone.now(), worker=worker)

    duplicated = assert_each_notice_emailed(smtp_sink, faults=0)
    assert not duplicated
    assert smtp_sink.count() == 2


def test_a_mail_server_that_stalls_holds_up_one_notice_not_the_worker(
    private_redis, smtp_sink, start_worker, hampshire
):
    """The mail server takes the first message and does not answer for 30 s. The worker gives up
    on it after its timeout and sends the others; the first goes again later, as a recognisable
    copy (the server had it: the documented window)."""
    people = UserFactory.create_batch(10, agency=hampshire, roles=[Role.SOCIAL_WORKER])
    stalled: list[str] = []

    def stall_the_first(mid: str) -> float | None:
        if stalled:
            return None
        stalled.append(mid)
        return 30.0

    smtp_sink.on_message = stall_the_first
    worker = start_worker(EMAIL_TIMEOUT_SECONDS="2")
    with transaction.atomic():
        notify(users=people, subject="A decision was recorded", url="/referrals/")

    assert wait_for(lambda: len(smtp_sink.counts()) == len(people), 8, worker=worker), (
        "the worker is still waiting for the stalled mail server"
    )
    smtp_sink.on_message = None
    relay_until_done(broker=private_redis.client(), leases_taken_before=timezone.now(), worker=worker)

    duplicated = assert_each_notice_emailed(smtp_sink, faults=1)
    assert duplicated.keys() <= set(stalled)
