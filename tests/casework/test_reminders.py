"""Reminders go once per deadline and person: under a double run, two sweeps at once, a worker dying
mid-send, and through a real Redis broker and Celery worker."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection

from casework import reminders
from casework.models import Notification, ReminderSent
from casework.reminders import Due, send_once

D = dt.date


def due(users, **overrides):
    values = {
        "kind": "papers_due",
        "subject_key": "referral:1:meeting:2",
        "due_on": D(2026, 3, 27),
        "users": users,
        "subject": "Papers for Hampshire IRAP are due on 27 March",
        "url": "/referrals/1/",
    }
    values.update(overrides)
    return Due(**values)


def test_a_reminder_goes_once_per_deadline_and_person(social_worker, team_manager):
    assert send_once(due([social_worker, team_manager])) == [social_worker, team_manager]
    assert send_once(due([social_worker, team_manager])) == []
    assert Notification.objects.filter(subject__startswith="Papers for").count() == 2
    # A moved deadline is a new reminder; so is another kind.
    assert send_once(due([social_worker], due_on=D(2026, 4, 2))) == [social_worker]
    assert send_once(due([social_worker], kind="papers_due_tomorrow")) == [social_worker]


def test_nobody_who_has_left_is_reminded(social_worker, team_manager):
    team_manager.is_active = False
    team_manager.save()
    assert send_once(due([social_worker, team_manager])) == [social_worker]
    assert not ReminderSent.objects.filter(user=team_manager).exists()


def test_the_email_goes_after_the_commit_with_initials_and_a_link_only(
    social_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_once(due([social_worker], body="The referral for A.H. is not submitted yet."))
    assert len(mail.outbox) == 1
    assert "A.H." in mail.outbox[0].body and "/referrals/1/" in mail.outbox[0].body


def test_a_failed_send_gives_the_claim_back(social_worker, monkeypatch):
    """A worker dying mid-send: the claim and the notice roll back together, so the next sweep sends."""

    def broken(**kwargs):
        raise OSError("mail server went away")

    monkeypatch.setattr(reminders, "notify", broken)
    with pytest.raises(OSError):
        send_once(due([social_worker]))
    assert not ReminderSent.objects.exists()
    monkeypatch.undo()
    assert send_once(due([social_worker])) == [social_worker]


def test_a_failing_sweep_does_not_stop_the_others(social_worker, monkeypatch):
    def broken(today):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    def working(today):
        yield due([social_worker])

    monkeypatch.setattr(reminders, "registered_sweeps", lambda: {"broken": broken, "working": working})
    with pytest.raises(reminders.SweepsFailed, match="broken"):
        reminders.run_sweeps(today=D(2026, 3, 20))
    assert ReminderSent.objects.filter(user=social_worker).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_one_reminder(social_worker):
    """Two connections claim the same reminder at the same moment: exactly one wins."""
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(len(send_once(due([social_worker]))))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [0, 1]
    assert Notification.objects.filter(user=social_worker).count() == 1
