"""Reads for a meeting's minutes and its decision letters, with their due dates.

seeds 002 (Joint Funding Panel terms of reference 3.13, 3.14): minutes and decision letters within
3 working days of the meeting — each the panel's setting, counted by meeting_deadlines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Prefetch, QuerySet
from django.utils import timezone

from panels.models import (
    AgendaItem,
    AgendaItemKind,
    Decision,
    DecisionLetter,
    DecisionStatus,
    LetterRecipient,
    Meeting,
    Minutes,
    MinutesStatus,
)
from panels.selectors.meetings import meeting_deadlines

if TYPE_CHECKING:
    # django-stubs-ext is a dev dependency: the types of prefetched attributes, for mypy only.
    from django_stubs_ext import WithAnnotations

__all__ = [
    "DueDate",
    "LetterRow",
    "letter_detail",
    "letter_rows",
    "minutes_due",
    "minutes_for_meeting",
    "signed_referral_decisions",
]


@dataclass(frozen=True)
class DueDate:
    due_on: dt.date
    done: bool
    overdue: bool


def _due(due_on: dt.date, *, done: bool, today: dt.date | None = None) -> DueDate:
    today = today or timezone.localdate()
    return DueDate(due_on=due_on, done=done, overdue=not done and today > due_on)


def minutes_for_meeting(meeting: Meeting) -> Minutes | None:
    """The minutes with `child_ids`: the children of the agenda's referral items, whom the minutes
    name (by initials), for the read log (issue 12); in the same query."""
    children = AgendaItem.objects.filter(
        meeting_id=OuterRef("meeting_id"), withdrawn_at__isnull=True, referral__isnull=False
    ).values("referral__child_id")
    return (
        Minutes.objects.select_related("drafted_by", "updated_by", "approved_by")
        .annotate(child_ids=ArraySubquery(children))
        .filter(meeting=meeting)
        .first()
    )


def minutes_due(
    meeting: Meeting, minutes: Minutes | None, *, closures: frozenset[dt.date] | None = None
) -> DueDate:
    """Due N working days after the meeting (the panel's minutes_working_days); done when circulated."""
    due_on = meeting_deadlines(meeting, closures=closures).minutes_due
    return _due(due_on, done=bool(minutes and minutes.status == MinutesStatus.CIRCULATED))


class _Letters(TypedDict):
    letter_list: list[DecisionLetter]


def signed_referral_decisions(*, meeting: Meeting) -> QuerySet[WithAnnotations[Decision, _Letters]]:
    """The signed decisions on the meeting's referral items, each with its letters (newest first)
    and their recipients: four queries whatever the number of items."""
    letters = DecisionLetter.objects.order_by("-created_at", "-id").prefetch_related(
        Prefetch("recipients", queryset=LetterRecipient.objects.select_related("person").order_by("id"))
    )
    return (
        Decision.objects.filter(
            agenda_item__meeting=meeting,
            agenda_item__kind=AgendaItemKind.REFERRAL,
            agenda_item__withdrawn_at__isnull=True,
            status=DecisionStatus.SIGNED,
        )
        .select_related("agenda_item", "referral__child", "referral__referrer")
        .prefetch_related(Prefetch("letters", queryset=letters, to_attr="letter_list"))
        .order_by("agenda_item__position", "agenda_item_id")
    )


@dataclass(frozen=True)
class LetterRow:
    decision: Decision
    letter: DecisionLetter | None
    due: DueDate

    @property
    def recipients(self) -> list[LetterRecipient]:
        return list(self.letter.recipients.all()) if self.letter else []


def letter_rows(*, meeting: Meeting, closures: frozenset[dt.date] | None = None) -> list[LetterRow]:
    """One row per signed decision: its letter (if prepared), and the due date from the panel's
    decision_letter_working_days, overdue until the letter is sent."""
    due_on = meeting_deadlines(meeting, closures=closures).decision_letters_due
    today = timezone.localdate()
    rows = []
    for decision in signed_referral_decisions(meeting=meeting):
        letter = decision.letter_list[0] if decision.letter_list else None
        rows.append(
            LetterRow(
                decision=decision,
                letter=letter,
                due=_due(due_on, done=bool(letter and letter.sent_at), today=today),
            )
        )
    return rows


def letter_detail(letter: DecisionLetter) -> DecisionLetter:
    """The letter with its recipients, for its page and the API."""
    return (
        DecisionLetter.objects.select_related(
            "decision__agenda_item__meeting__panel", "decision__referral__child", "created_by"
        )
        .prefetch_related(
            Prefetch("recipients", queryset=LetterRecipient.objects.select_related("person").order_by("id"))
        )
        .get(pk=letter.pk)
    )
