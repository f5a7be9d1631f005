"""The sweep sends reminders a batch at a time (issue 17): still once per deadline and person, with
a query count that does not grow with the reminders in a batch."""

from __future__ import annotations

import datetime as dt

from casework import reminders
from casework.models import BackgroundJob, Notification, ReminderSent
from casework.reminders import Due, send_many

D = dt.date


def due(users, n: int = 1, **overrides) -> Due:
    values = {
        "kind": "action_due",
        "subject_key": f"action:{n}",
        "due_on": D(2026, 3, 27),
        "users": users,
        "subject": f"Hampshire IRAP action {n} is due today",
        "url": f"/panels/actions/{n}/",
    }
    values.update(overrides)
    return Due(**values)


def test_a_batch_sends_each_reminder_once_per_person(social_worker, team_manager):
    batch = [due([social_worker, team_manager], 1), due([social_worker], 2)]
    assert send_many(batch) == 3
    assert send_many(batch) == 0
    assert ReminderSent.objects.count() == 3
    assert sorted(Notification.objects.values_list("subject", flat=True)) == [
        "Hampshire IRAP action 1 is due today",
        "Hampshire IRAP action 1 is due today",
        "Hampshire IRAP action 2 is due today",
    ]
    assert BackgroundJob.objects.count() == 3
    # One deadline twice in a batch, or a moved deadline: once, and a new reminder.
    assert send_many([due([social_worker], 3), due([social_worker], 3)]) == 1
    assert send_many([due([social_worker], 1, due_on=D(2026, 4, 2))]) == 1


def test_nobody_who_has_left_is_reminded_in_a_batch(social_worker, team_manager):
    team_manager.is_active = False
    team_manager.save()
    assert send_many([due([social_worker, team_manager])]) == 1
    assert not ReminderSent.objects.filter(user=team_manager).exists()


def test_the_sweeps_query_count_does_not_grow_with_the_reminders(
    social_worker, team_manager, monkeypatch, django_assert_max_num_queries
):
    def sweep_of(n: int):
        def sweep(today):
            for k in range(n):
                yield due([social_worker, team_manager], k)

        return sweep

    # One batch: the transaction's savepoint, the claims (one INSERT ... ON CONFLICT), the notices,
    # the people's partnerships, the e-mail jobs, release: 6, for 3 reminders or 30
    for n in (3, 30):
        ReminderSent.objects.all().delete()
        monkeypatch.setattr(reminders, "registered_sweeps", lambda n=n: {"many": sweep_of(n)})
        with django_assert_max_num_queries(6):
            assert reminders.run_sweeps(today=D(2026, 3, 27)) == 2 * n
        # A second sweep claims nothing, so notifies nobody: the savepoint, the claims, release.
        with django_assert_max_num_queries(3):
            assert reminders.run_sweeps(today=D(2026, 3, 27)) == 0


def test_a_sweep_longer_than_a_batch_goes_in_batches(
    social_worker, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(reminders, "BATCH", 4)
    monkeypatch.setattr(
        reminders,
        "registered_sweeps",
        lambda: {"many": lambda today: (due([social_worker], k) for k in range(10))},
    )
    with django_assert_max_num_queries(3 * 6):  # three batches
        assert reminders.run_sweeps(today=D(2026, 3, 27)) == 10
    assert ReminderSent.objects.count() == 10 and Notification.objects.count() == 10
