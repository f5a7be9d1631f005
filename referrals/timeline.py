"""The referral's lines on the child's timeline (casework/timeline.py): its status changes,
through referrals.access, so only referrals the user may open."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from casework.models import Child, User
from casework.timeline import TimelineEntry, TimelinePart, timeline_source
from referrals.access import referrals_visible_to
from referrals.models import Status, StatusChange

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


@timeline_source
def referral_lines(*, user: User, child: Child, today: dt.date) -> TimelinePart:
    return TimelinePart(entries=_referral_entries(user=user, child=child))


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
