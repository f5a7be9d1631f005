"""Reads for panels and meetings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from casework.working_days import add_working_days
from panels.models import Meeting, MeetingStatus, Panel

__all__ = ["MeetingDeadlines", "meeting_deadlines", "upcoming_meetings"]


@dataclass(frozen=True)
class MeetingDeadlines:
    """A meeting's computed deadlines, each from its panel's settings (seeds 002)."""

    papers_due: dt.date
    circulation: dt.date
    decision_letters_due: dt.date
    minutes_due: dt.date
    absent_agency_response_due: dt.date


def meeting_deadlines(meeting: Meeting, closures: frozenset[dt.date] | None = None) -> MeetingDeadlines:
    panel = meeting.panel
    if closures is None:
        closures = frozenset(panel.closure_days.values_list("day", flat=True))
    day = meeting.date
    return MeetingDeadlines(
        papers_due=add_working_days(day, -panel.papers_due_working_days, closures),
        circulation=add_working_days(day, -panel.circulation_working_days, closures),
        decision_letters_due=add_working_days(day, panel.decision_letter_working_days, closures),
        minutes_due=add_working_days(day, panel.minutes_working_days, closures),
        absent_agency_response_due=add_working_days(day, panel.absent_agency_response_working_days, closures),
    )


def upcoming_meetings(*, panel: Panel, today: dt.date | None = None) -> QuerySet[Meeting]:
    today = today or timezone.localdate()
    return Meeting.objects.filter(panel=panel, date__gte=today, status=MeetingStatus.SCHEDULED).order_by(
        "date"
    )
