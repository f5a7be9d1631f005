"""Reads for a meeting's agenda and its papers, with their query shapes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from casework.models import User
from panels import access
from panels.models import AgendaItem, Meeting, MeetingPack, Membership, Panel, PapersGrantReason
from referrals.access import referrals_visible_to
from referrals.models import Status

__all__ = [
    "PapersWindow",
    "agenda_candidates",
    "agenda_items",
    "agenda_lead_choices",
    "pack_child_ids",
    "panel_seat",
    "papers_window",
]

ITEM_RELATED = ("referral__child", "lead_member__person", "lead_member__agency")


def agenda_items(
    *, meeting: Meeting, include_withdrawn: bool = False, only: Iterable[int] | None = None
) -> QuerySet[AgendaItem]:
    """The agenda in order (or `only` these of its items), each item with its referral's child and
    its lead member: one query."""
    items = AgendaItem.objects.filter(meeting=meeting).select_related(*ITEM_RELATED)
    if not include_withdrawn:
        items = items.filter(withdrawn_at__isnull=True)
    if only is not None:
        items = items.filter(pk__in=sorted(only))
    return items.order_by("position", "pk")


def agenda_candidates(*, user: User, meeting: Meeting):
    """Referrals the user may see that could go on this agenda: submitted to this meeting, or
    deferred from an earlier meeting of the panel; not already on it. Late papers come back too,
    flagged, so the chair sees them waiting for acceptance. One query (scoped by referrals.access)."""
    on_agenda = AgendaItem.objects.filter(
        meeting_id=meeting.pk, referral_id=OuterRef("pk"), withdrawn_at__isnull=True
    )
    return (
        referrals_visible_to(user=user)
        .filter(panel_id=meeting.panel_id)
        .filter(Q(status=Status.SUBMITTED, meeting_id=meeting.pk) | Q(status=Status.DEFERRED))
        .exclude(Exists(on_agenda))
        .select_related("child", "meeting", "late_accepted_by")
        .order_by("status", "submitted_at", "pk")
    )


def agenda_lead_choices(*, meeting: Meeting) -> QuerySet[Membership]:
    """The panel's current members, who may lead an item."""
    return (
        Membership.objects.current()
        .filter(panel_id=meeting.panel_id)
        .select_related("person", "agency")
        .order_by("person__full_name", "pk")
    )


def panel_seat(*, panel: Panel, pk: int) -> Membership | None:
    """A seat on this panel by its id (current or past) with its person, or None."""
    return Membership.objects.filter(pk=pk, panel_id=panel.pk).select_related("person").first()


@dataclass(frozen=True)
class PapersWindow:
    """What a person may read of a meeting's papers, and until when."""

    whole_meeting: bool
    until: dt.datetime | None  # None with whole_meeting: kept (the chair's copy)
    items: frozenset[int]  # agenda items held on their own (lead member), kept

    @property
    def any(self) -> bool:
        return self.whole_meeting or bool(self.items)


def papers_window(*, user: User, meeting: Meeting) -> PapersWindow:
    """The user's active grants for the meeting, summarised (one query)."""
    whole, until, kept, items = False, None, False, set()
    for grant in access.papers_grants_held(user=user, meeting=meeting).only(
        "agenda_item_id", "ends_at", "reason"
    ):
        if grant.agenda_item_id is not None:
            items.add(grant.agenda_item_id)
            continue
        whole = True
        if grant.ends_at is None or grant.reason == PapersGrantReason.CHAIR:
            kept = True
        elif until is None or grant.ends_at > until:
            until = grant.ends_at
    return PapersWindow(whole_meeting=whole, until=None if kept else until, items=frozenset(items))


def pack_child_ids(pack: MeetingPack) -> list[int]:
    """The children a version of the pack names: the referral items on the agenda when it was built
    (added by then, not withdrawn by then), for the read log of its downloads (issue 12). One query."""
    built = pack.built_at or timezone.now()
    return list(
        AgendaItem.objects.filter(
            Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gt=built),
            meeting_id=pack.meeting_id,
            referral__isnull=False,
            added_at__lte=built,
        )
        .order_by("position", "pk")
        .values_list("referral__child_id", flat=True)
    )
