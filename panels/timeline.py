"""Signed panel decisions on the child's timeline (casework/timeline.py), on the referrals the
user may see (referrals.access), with their review dates as due items."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from casework.models import Child, User
from casework.timeline import DueItem, TimelineEntry, TimelinePart, timeline_source
from panels.models import Decision, DecisionStatus
from referrals.access import referrals_visible_to


@timeline_source
def decision_lines(*, user: User, child: Child, today: dt.date) -> TimelinePart:
    decisions = _decisions(user=user, child=child)
    due = [
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
    return TimelinePart(entries=_decision_entries(decisions), due=due)


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
