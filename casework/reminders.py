"""Deadline reminders: sweeps that find what is due, and sending each reminder exactly once.

Deadlines live in PostgreSQL (meetings, decisions, actions ...). A beat job every few minutes runs
every sweep (casework.tasks.sweep_reminders); a sweep yields `Due` reminders and `send_many` claims
a `ReminderSent` row per person, a batch at a time, with INSERT ... ON CONFLICT DO NOTHING in the
same transaction as the notices, so two sweeps at once never send one twice; the notice's e-mail is
a background job written in that same transaction (casework/outbox.py), so a worker dying mid-send
or a broker outage never loses it. No countdown tasks (see DESIGN.md).

Recipients are worked out at sweep time, so someone who has left, or lost access, gets nothing;
notices carry a child's initials at most, and a link that goes through sign-in and the access check.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from casework.access import is_usable
from casework.models import ReminderSent, User
from casework.notifications import notify, notify_many

log = logging.getLogger(__name__)

# The modules whose sweeps run, in order. Each registers its sweeps with @sweep when imported.
SWEEP_MODULES = ("referrals.reminders", "panels.reminders", "funding.reminders", "pathways.reminders")

Sweep = Callable[[dt.date], Iterable["Due"]]
_SWEEPS: dict[str, Sweep] = {}


@dataclass(frozen=True)
class Due:
    """A reminder that is due now for `users` about one deadline."""

    kind: str
    subject_key: str
    due_on: dt.date
    users: Iterable[User]
    subject: str
    body: str = ""
    url: str = ""
    extra: dict = field(default_factory=dict)


def sweep(func: Sweep) -> Sweep:
    """Register a sweep: a function of today's date yielding the reminders due."""
    _SWEEPS[f"{func.__module__}.{func.__name__}"] = func
    return func


def registered_sweeps() -> dict[str, Sweep]:
    for module in SWEEP_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as missing:
            if missing.name != module:
                raise
    return dict(_SWEEPS)


@transaction.atomic
def send_once(due: Due) -> list[User]:
    """Claim the reminder for each usable recipient and notify those claimed now; returns them."""
    people = {user.pk: user for user in due.users if is_usable(user)}
    if not people:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ReminderSent._meta.db_table} (kind, subject_key, due_on, user_id, sent_at)
            SELECT %s, %s, %s, person, %s FROM unnest(%s::bigint[]) AS person
            ON CONFLICT (kind, subject_key, due_on, user_id) DO NOTHING
            RETURNING user_id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [due.kind, due.subject_key, due.due_on, timezone.now(), list(people)],
        )
        claimed = [people[row[0]] for row in cursor.fetchall()]
    if claimed:
        notify(users=claimed, subject=due.subject, body=due.body, url=due.url)
    return claimed


# Reminders claimed and sent together, in one transaction: a sweep's cost is a few statements a
# batch, not a few a reminder (bench/reminders.py).
BATCH = 500


@transaction.atomic
def send_many(dues: Sequence[Due]) -> int:
    """send_once for many reminders in one transaction: one INSERT ... ON CONFLICT DO NOTHING claims
    every (reminder, person) not claimed before, and the people claimed now are notified together
    (casework.notifications.notify_many); returns how many people were notified. Claims and notices
    commit or roll back together, so each reminder still goes exactly once."""
    kinds: list[str] = []
    keys: list[str] = []
    days: list[dt.date] = []
    people: list[int] = []
    users: dict[int, User] = {}
    first: dict[tuple[str, str, dt.date], Due] = {}
    for due in dues:
        first.setdefault((due.kind, due.subject_key, due.due_on), due)
        for user in due.users:
            if is_usable(user):
                users[user.pk] = user
                kinds.append(due.kind)
                keys.append(due.subject_key)
                days.append(due.due_on)
                people.append(user.pk)
    if not people:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ReminderSent._meta.db_table} (kind, subject_key, due_on, user_id, sent_at)
            SELECT kind, subject_key, due_on, person, %s
            FROM unnest(%s::text[], %s::text[], %s::date[], %s::bigint[]) AS x(kind, subject_key, due_on, person)
            ON CONFLICT (kind, subject_key, due_on, user_id) DO NOTHING
            RETURNING kind, subject_key, due_on, user_id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [timezone.now(), kinds, keys, days, people],
        )
        claimed: dict[tuple[str, str, dt.date], list[User]] = {}
        for kind, key, day, person in cursor.fetchall():
            claimed.setdefault((kind, key, day), []).append(users[person])
    notify_many(
        (claimed_users, first[reminder].subject, first[reminder].body, first[reminder].url)
        for reminder, claimed_users in claimed.items()
    )
    return sum(len(claimed_users) for claimed_users in claimed.values())


class SweepsFailed(RuntimeError):
    pass


def run_sweeps(*, today: dt.date | None = None) -> int:
    """Send every reminder due today that has not gone yet, BATCH at a time (send_many). Safe to run
    twice, or twice at once. A failing sweep is logged and reported after the others have run."""
    day = today or timezone.localdate()
    sent, failed = 0, []
    for name, func in registered_sweeps().items():
        try:
            dues = iter(func(day))
            while batch := list(islice(dues, BATCH)):
                sent += send_many(batch)
        except Exception:
            log.exception("Reminder sweep %s failed", name)
            failed.append(name)
    if failed:
        raise SweepsFailed(f"Reminder sweeps failed: {', '.join(failed)}")
    return sent
