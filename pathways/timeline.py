"""Pathway cases and escalations on the child's timeline (casework/timeline.py), through
pathways' own selectors and access: event titles and statuses only, never notes (an IFR's clinical
detail stays on its case)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from casework.models import Child, User
from casework.timeline import DueItem, TimelineEntry, TimelinePart, timeline_source
from pathways import selectors
from pathways.models import EscalationStatus


@timeline_source
def pathway_case_lines(*, user: User, child: Child, today: dt.date) -> TimelinePart:
    summaries = selectors.pathway_timeline_for_child(user=user, child=child)
    due = [
        DueItem(
            summary.next_due.on,
            f"{summary.kind}: {summary.next_due.label.lower()}",
            summary.kind,
            reverse("pathways:case", args=[summary.case.pk]),
            summary.next_due.overdue,
        )
        for summary in summaries
        if summary.next_due
    ]
    return TimelinePart(entries=_pathway_entries(summaries), due=due)


@timeline_source
def escalation_lines(*, user: User, child: Child, today: dt.date) -> TimelinePart:
    summaries = selectors.escalations_for_child(user=user, child=child)
    due: list[DueItem] = []
    for summary in summaries:
        clock, url = summary.clock, reverse("pathways:escalation", args=[summary.escalation.pk])
        level = summary.current.get_level_display() if summary.current else "Escalation"
        if clock.next_meeting_due:
            label = "first meeting" if clock.first_meeting else "next meeting"
            due.append(
                DueItem(
                    timezone.localdate(clock.next_meeting_due),
                    f"{level}: {label}",
                    "Escalation",
                    url,
                    clock.meeting_overdue,
                )
            )
        if clock.report_due:
            due.append(
                DueItem(clock.report_due, f"{level}: monthly report", "Escalation", url, clock.report_overdue)
            )
    return TimelinePart(entries=_escalation_entries(summaries), due=due)


def _escalation_entries(summaries) -> list[TimelineEntry]:
    out = []
    for summary in summaries:
        escalation = summary.escalation
        url = reverse("pathways:escalation", args=[escalation.pk])
        status = escalation.get_status_display()
        colour = "red" if escalation.status == EscalationStatus.OPEN else "grey"
        out.append(
            TimelineEntry(escalation.opened_at, "Escalation", "Escalation opened", url, status, colour)
        )
        for step in escalation.steps.all():
            out.append(
                TimelineEntry(
                    step.authorised_at,
                    "Escalation",
                    f"{step.get_level_display()} authorised",
                    url,
                    status,
                    colour,
                )
            )
            level = step.get_level_display()
            out.extend(
                TimelineEntry(meeting.held_at, "Escalation", f"{level} meeting held", url, status, colour)
                for meeting in step.meetings.all()
            )
        if escalation.resolved_at:
            out.append(
                TimelineEntry(
                    escalation.resolved_at, "Escalation", "Escalation resolved", url, status, colour
                )
            )
    return out


def _pathway_entries(summaries) -> list[TimelineEntry]:
    """Event titles and case statuses only: notes may carry an IFR's clinical detail."""
    out = []
    for summary in summaries:
        url = reverse("pathways:case", args=[summary.case.pk])
        for event in summary.events:
            # The day it happened; with the time when it was recorded that day (orders same-day events).
            when = event.at if timezone.localdate(event.at) == event.on_date else event.on_date
            out.append(TimelineEntry(when, summary.kind, event.what, url, summary.status, "blue"))
    return out
