"""Quarterly access reviews (issue 20, "Joiners, movers, leavers"): every calendar quarter each
manager confirms that the people they manage still need the roles and delegated limits they hold,
or asks for the access to be removed. A removal asked for goes to the partnership's administrators,
who change or close the account (casework.administration); the manager does not administer accounts.
Each decision is kept with what the access was when decided (casework.models.AccessReview,
append-only) and audited. The partnership administrators see every agency's progress.

Who reviews whom is the team view's rule (casework.team.managed_people): a team manager their
teams' people, a service manager everyone of their agency; closed accounts need no review.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from casework.access import NOT_FOUND_MESSAGE
from casework.audit import record_event
from casework.models import AccessReview, Agency, ReviewDecision, Role, User
from casework.notifications import notify
from casework.reminders import Due, send_many
from casework.team import MANAGER_ROLES, managed_people
from casework.working_days import add_working_days

__all__ = [
    "AgencyProgress",
    "ReviewRow",
    "access_review_record",
    "access_reviews_due",
    "remind_access_reviews",
    "agency_progress",
    "latest_reviews",
    "quarter_of",
    "review_rows",
]


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar quarter holding `day`: (its first day, its last day)."""
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    after = dt.date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return first, after - dt.timedelta(days=1)


def latest_reviews(*, people: list[int], quarter_start: dt.date) -> dict[int, AccessReview]:
    """Each person's latest decision in the quarter (one query)."""
    rows = (
        AccessReview.objects.filter(person_id__in=people, quarter_start=quarter_start)
        .select_related("decided_by")
        .order_by("person_id", "-decided_at", "-id")
        .distinct("person_id")
    )
    return {row.person_id: row for row in rows}


@dataclass(frozen=True)
class ReviewRow:
    person: User
    review: AccessReview | None

    @property
    def teams(self) -> str:
        return ", ".join(team.name for team in self.person.teams.all())


def _reviewed(manager: User) -> QuerySet[User]:
    return managed_people(user=manager).filter(is_active=True)


def review_rows(
    *, manager: User, today: dt.date | None = None
) -> tuple[tuple[dt.date, dt.date], list[ReviewRow]]:
    """The quarter and the people `manager` reviews in it, each with their latest decision: those
    still to review first. Three queries (people, their teams, the decisions)."""
    quarter = quarter_of(today or timezone.localdate())
    people = list(_reviewed(manager).prefetch_related("teams"))
    latest = latest_reviews(people=[p.pk for p in people], quarter_start=quarter[0])
    rows = [ReviewRow(person=p, review=latest.get(p.pk)) for p in people]
    rows.sort(key=lambda row: (row.review is not None, row.person.full_name, row.person.pk))
    return quarter, rows


@transaction.atomic
def access_review_record(*, actor: User, person: User, decision: str, reason: str = "") -> AccessReview:
    """`actor` (who manages `person`) decides, for this quarter, whether `person` still needs the
    access they hold. Keeping it needs no reason; asking for removal does, and tells the partnership
    administrators, who act on it."""
    if not _reviewed(actor).filter(pk=person.pk).exists():
        # Another agency's person, or one the manager does not look after: as if missing.
        raise Http404(NOT_FOUND_MESSAGE)
    reason = (reason or "").strip()
    if decision not in ReviewDecision.values:
        raise ValidationError({"decision": ["Say whether they still need this access"]})
    if decision == ReviewDecision.REMOVE and not reason:
        raise ValidationError({"reason": ["Say why they no longer need this access"]})
    quarter_start, _end = quarter_of(timezone.localdate())
    agency = person.agency
    assert agency is not None  # managed people are always of the manager's agency
    review = AccessReview.objects.create(
        agency=agency,
        person=person,
        quarter_start=quarter_start,
        decision=decision,
        reason=reason,
        roles=list(person.roles),
        delegated_limit=person.delegated_limit,
        last_login=person.last_login,
        decided_by=actor,
    )
    record_event(
        actor=actor,
        action="user.access_reviewed",
        obj=person,
        changes={
            "decision": [None, decision],
            "quarter": [None, str(quarter_start)],
            "roles": [None, list(person.roles)],
            "delegated_limit": [
                None,
                None if person.delegated_limit is None else str(person.delegated_limit),
            ],
            **({"reason": [None, reason]} if reason else {}),
        },
    )
    if decision == ReviewDecision.REMOVE:
        admins = User.objects.filter(
            roles__contains=[Role.PARTNERSHIP_ADMINISTRATOR],
            agency__partnership=agency.partnership,
            is_active=True,
        ).exclude(pk=person.pk)
        name = person.full_name or person.email
        notify(
            users=admins,
            subject=f"Access review: remove {name}'s access",
            body=f"{actor.full_name} reviewed {name}'s access ({agency.name}) and says they "
            f"no longer need it: {reason}\n\nChange their roles or close their account.",
            url=reverse("administration:person", args=[person.pk]),
        )
    return review


@dataclass(frozen=True)
class AgencyProgress:
    agency: Agency
    people: int
    reviewed: int
    removals: list[AccessReview]

    @property
    def to_review(self) -> int:
        return self.people - self.reviewed


def agency_progress(
    *, partnership: str, today: dt.date | None = None
) -> tuple[tuple[dt.date, dt.date], list[AgencyProgress]]:
    """Each agency of `partnership`: its open accounts, how many have a decision this quarter, and
    the removals asked for (the latest decision of a person still open). Three queries."""
    quarter = quarter_of(today or timezone.localdate())
    open_people = Q(users__is_active=True, users__is_service_account=False)
    agencies = list(
        Agency.objects.filter(partnership=partnership)
        .annotate(people=Count("users", filter=open_people))
        .order_by("name", "pk")
    )
    latest = (
        AccessReview.objects.filter(
            agency__partnership=partnership,
            quarter_start=quarter[0],
            person__is_active=True,
            person__is_service_account=False,
        )
        .select_related("person", "decided_by", "agency")
        .order_by("person_id", "-decided_at", "-id")
        .distinct("person_id")
    )
    reviewed: dict[int, int] = {}
    removals: dict[int, list[AccessReview]] = {}
    for row in latest:
        reviewed[row.agency_id] = reviewed.get(row.agency_id, 0) + 1
        if row.decision == ReviewDecision.REMOVE:
            removals.setdefault(row.agency_id, []).append(row)
    return quarter, [
        AgencyProgress(
            agency=agency,
            people=agency.people,
            reviewed=reviewed.get(agency.pk, 0),
            removals=removals.get(agency.pk, []),
        )
        for agency in agencies
    ]


def access_reviews_due(today: dt.date) -> list[Due]:
    """In the quarter's last ACCESS_REVIEW_REMINDER_WORKING_DAYS working days, each manager with
    people still to review is due a reminder. Four queries whatever the number of managers: the
    managers, the people, the teams, the decisions. Not one of the deadline sweeps (a quarter's
    review is no panel's deadline): its own daily job sends it (remind_access_reviews)."""
    first, last = quarter_of(today)
    if today < add_working_days(last, -settings.ACCESS_REVIEW_REMINDER_WORKING_DAYS):
        return []
    managers = list(
        User.objects.filter(
            is_active=True, is_service_account=False, agency__isnull=False, roles__overlap=list(MANAGER_ROLES)
        )
    )
    if not managers:
        return []
    agencies = {m.agency_id for m in managers}
    people = dict(
        User.objects.filter(is_active=True, is_service_account=False, agency_id__in=agencies).values_list(
            "pk", "agency_id"
        )
    )
    teams_of: dict[int, set[int]] = {}
    for user_id, team_id in User.teams.through.objects.filter(user_id__in=people).values_list(
        "user_id", "team_id"
    ):
        teams_of.setdefault(user_id, set()).add(team_id)
    reviewed = set(
        AccessReview.objects.filter(quarter_start=first, person_id__in=people).values_list(
            "person_id", flat=True
        )
    )
    dues = []
    for manager in managers:
        if manager.has_role(Role.SERVICE_MANAGER):
            mine = [p for p, agency in people.items() if agency == manager.agency_id]
        else:
            teams = teams_of.get(manager.pk, set())
            mine = [
                p
                for p, agency in people.items()
                if agency == manager.agency_id and teams_of.get(p, set()) & teams
            ]
        waiting = sum(1 for p in mine if p != manager.pk and p not in reviewed)
        if waiting:
            dues.append(
                Due(
                    kind="access_review_due",
                    subject_key=f"access-review:{first}",
                    due_on=last,
                    users=[manager],
                    subject=f"Access review: {waiting} {'person' if waiting == 1 else 'people'} to review by "
                    f"{last:%-d %B %Y}",
                    body="Confirm that the people you manage still need the roles and limits they hold, or "
                    "ask for their access to be removed.",
                    url=reverse("my_work_team_access_review"),
                )
            )
    return dues


def remind_access_reviews(*, today: dt.date | None = None) -> int:
    """The daily job (CELERY_BEAT_SCHEDULE "access-review-reminders"): each reminder due goes once a
    quarter and person (casework.reminders.send_many's claim); returns how many were sent."""
    return send_many(access_reviews_due(today or timezone.localdate()))
