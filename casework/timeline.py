"""The child's one timeline: every referral, signed panel decision, funding package, pathway case and
escalation this user may see, newest first, and what is due next (issue 8).

Each source is read through its own app's access rules, so the timeline shows exactly what the
user could open one link further on: referrals through referrals.access.referrals_visible_to (and
panel decisions through those referrals), packages through funding.access.packages_visible_to,
pathway cases through pathways.selectors.pathway_timeline_for_child (which applies
pathways.access; only event titles and statuses are used, never notes, so an IFR's clinical detail
cannot leak), escalations through pathways.selectors.escalations_for_child.

Queries, fixed however many entries there are: status changes with their referral and panel (1),
signed decisions with their meeting (1), packages with their current version (1), pathway cases
(1), their events (1), reviews (1), pathway settings (1), escalations (1), their steps (1), the
steps' meetings (1), reports (1), escalation settings (1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone

from casework.models import Child, User
from funding.access import packages_visible_to
from funding.models import PackageStatus
from panels.models import Decision, DecisionStatus
from pathways import selectors as escalation_selectors
from pathways import selectors as pathway_selectors
from pathways.models import EscalationStatus
from referrals.access import referrals_visible_to
from referrals.models import Status, StatusChange

__all__ = ["ChildTimeline", "DueItem", "TimelineEntry", "child_timeline"]

# How many due dates "What is due next" lists.
DUE_LIMIT = 5

# The referral steps the timeline shows (sign-off steps stay on the referral's own page).
REFERRAL_TITLES = {
    Status.SUBMITTED: "Referral submitted to {panel}",
    Status.ON_AGENDA: "Referral placed on the agenda of {panel}",
    Status.DECIDED: "Referral decided by {panel}",
    Status.DEFERRED: "Referral deferred by {panel}",
    Status.RETURNED: "Referral returned for more information by {panel}",
    Status.WITHDRAWN: "Referral withdrawn",
    Status.CLOSED: "Referral closed",
}

STATUS_COLOURS = {
    Status.SUBMITTED: "blue",
    Status.ON_AGENDA: "purple",
    Status.DECIDED: "green",
    Status.DEFERRED: "yellow",
    Status.RETURNED: "orange",
    Status.WITHDRAWN: "grey",
    Status.CLOSED: "grey",
    Status.DRAFT: "grey",
}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline. `when` is a date (a day-only event) or an aware datetime."""

    when: dt.date | dt.datetime
    kind: str
    title: str
    url: str
    status: str
    colour: str = "grey"

    @property
    def has_time(self) -> bool:
        return isinstance(self.when, dt.datetime)

    @property
    def day(self) -> dt.date:
        return timezone.localdate(self.when) if isinstance(self.when, dt.datetime) else self.when

    def sort_key(self) -> tuple[dt.date, dt.time]:
        moment = timezone.localtime(self.when).time() if isinstance(self.when, dt.datetime) else dt.time.min
        return (self.day, moment)


@dataclass(frozen=True)
class DueItem:
    on: dt.date
    label: str
    kind: str
    url: str
    overdue: bool


@dataclass
class ChildTimeline:
    entries: list[TimelineEntry] = field(default_factory=list)
    due: list[DueItem] = field(default_factory=list)


def _referral_entries(*, user: User, child: Child) -> list[TimelineEntry]:
    referrals = referrals_visible_to(user=user).filter(child_id=child.pk)
    changes = (
        StatusChange.objects.filter(referral__in=referrals)
        .filter(new_status__in=[Status.DRAFT, *REFERRAL_TITLES])
        .select_related("referral__panel")
        .only("at", "old_status", "new_status", "referral", "referral__panel__name")
    )
    out = []
    for change in changes:
        referral = change.referral
        if change.new_status == Status.DRAFT:
            if change.old_status:
                continue  # back to draft after a sign-off was refused: the referral's own page says so
            title = f"Referral to {referral.panel.name} started"
        else:
            title = REFERRAL_TITLES[change.new_status].format(panel=referral.panel.name)
        out.append(
            TimelineEntry(
                when=change.at,
                kind="Referral",
                title=title,
                url=reverse("referrals:detail", args=[referral.pk]),
                status=Status(change.new_status).label,
                colour=STATUS_COLOURS.get(change.new_status, "grey"),
            )
        )
    return out


def _decisions(*, user: User, child: Child) -> list[Decision]:
    """The current signed decisions on the child's referrals this user may see."""
    referrals = referrals_visible_to(user=user).filter(child_id=child.pk)
    return list(
        Decision.objects.filter(referral__in=referrals, status=DecisionStatus.SIGNED)
        .select_related("agenda_item__meeting__panel")
        .only(
            "outcome",
            "review_date",
            "signed_at",
            "referral_id",
            "agenda_item",
            "agenda_item__meeting",
            "agenda_item__meeting__panel",
            "agenda_item__meeting__date",
            "agenda_item__meeting__panel__name",
        )
    )


def _decision_entries(decisions: list[Decision]) -> list[TimelineEntry]:
    out = []
    for decision in decisions:
        meeting = decision.agenda_item.meeting
        title = f"{meeting.panel.name} decision at the meeting on {meeting.date:%-d %B %Y}"
        if decision.review_date:
            title += f"; review by {decision.review_date:%-d %B %Y}"
        out.append(
            TimelineEntry(
                when=decision.signed_at or meeting.date,
                kind="Panel decision",
                title=title,
                url=reverse("referrals:detail", args=[decision.referral_id]),
                status=decision.get_outcome_display(),
                colour="green" if decision.outcome.startswith("agreed") else "yellow",
            )
        )
    return out


def _packages(*, user: User, child: Child) -> list:
    return list(
        packages_visible_to(user=user)
        .filter(child_id=child.pk)
        .select_related("current_version")
        .only(
            "pathway",
            "status",
            "created_at",
            "agreed_at",
            "ended_on",
            "current_version",
            "current_version__review_date",
            "current_version__starts_on",
        )
    )


def _package_entries(packages: list) -> list[TimelineEntry]:
    out = []
    for package in packages:
        url = reverse("funding:detail", args=[package.pk])
        name = f"Funding package {package.pk} ({package.get_pathway_display()})"
        status = PackageStatus(package.status).label
        colour = {"agreed": "green", "disputed": "red", "ended": "grey"}.get(package.status, "yellow")
        out.append(
            TimelineEntry(package.created_at, "Funding package", f"{name} recorded", url, status, colour)
        )
        if package.agreed_at:
            out.append(
                TimelineEntry(package.agreed_at, "Funding package", f"{name} agreed", url, status, colour)
            )
        if package.ended_on:
            out.append(
                TimelineEntry(package.ended_on, "Funding package", f"{name} ended", url, status, colour)
            )
    return out


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


def _due_items(
    *, decisions, packages, pathway_summaries, escalation_summaries, today: dt.date
) -> list[DueItem]:
    due: list[DueItem] = [
        DueItem(
            decision.review_date,
            f"Review of the {decision.agenda_item.meeting.panel.name} decision",
            "Panel decision",
            reverse("referrals:detail", args=[decision.referral_id]),
            decision.review_date < today,
        )
        for decision in decisions
        if decision.review_date
    ]
    for package in packages:
        version = package.current_version
        if package.status != PackageStatus.ENDED and version is not None and version.review_date:
            due.append(
                DueItem(
                    version.review_date,
                    f"Review of funding package {package.pk}",
                    "Funding package",
                    reverse("funding:detail", args=[package.pk]),
                    version.review_date < today,
                )
            )
    due.extend(
        DueItem(
            summary.next_due.on,
            f"{summary.kind}: {summary.next_due.label.lower()}",
            summary.kind,
            reverse("pathways:case", args=[summary.case.pk]),
            summary.next_due.overdue,
        )
        for summary in pathway_summaries
        if summary.next_due
    )
    for summary in escalation_summaries:
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
    due.sort(key=lambda item: (item.on, item.label))
    return due[:DUE_LIMIT]


def child_timeline(*, user: User, child: Child) -> ChildTimeline:
    """Everything that has happened for the child that this user may see, newest first, and the
    earliest due dates (overdue ones marked). `child` must already be visible to the user."""
    decisions = _decisions(user=user, child=child)
    packages = _packages(user=user, child=child)
    pathway_summaries = pathway_selectors.pathway_timeline_for_child(user=user, child=child)
    escalation_summaries = escalation_selectors.escalations_for_child(user=user, child=child)
    entries = [
        *_referral_entries(user=user, child=child),
        *_decision_entries(decisions),
        *_package_entries(packages),
        *_pathway_entries(pathway_summaries),
        *_escalation_entries(escalation_summaries),
    ]
    # Each source lists its entries oldest first, so on a tie the later one in the list is newer.
    order = {id(entry): n for n, entry in enumerate(entries)}
    entries.sort(key=lambda entry: (*entry.sort_key(), order[id(entry)]), reverse=True)
    due = _due_items(
        decisions=decisions,
        packages=packages,
        pathway_summaries=pathway_summaries,
        escalation_summaries=escalation_summaries,
        today=timezone.localdate(),
    )
    return ChildTimeline(entries=entries, due=due)
