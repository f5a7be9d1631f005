"""What ends on the panels when a person leaves (casework.leavers, issue 20): their seats end that day
and their papers go, as when an administrator ends a seat (meetings.membership_end). A seat speaks
for an agency at a meeting (seeds 002, Leicester JSP terms: quorum is two members from each
organisation), so it must not outlive the person's account; a member who leaves keeps no papers
(seeds 002, Joint Funding Panel 3.3)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from casework.audit import record_events
from casework.leavers import Ending, ending
from casework.models import User
from panels.models import Membership, PapersGrant

__all__ = ["papers_end_for_leaver", "seats_end_for_leaver"]


def _open_seats(person: User, on: dt.date):
    # Seats held on `on` or later: current ones, and ones that start later.
    return Membership.objects.filter(person=person).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))


def _held(person: User) -> int:
    return _open_seats(person, timezone.localdate()).count()


@transaction.atomic(savepoint=False)  # inside the closing service's transaction
def seats_end_for_leaver(*, person: User, actor: User | None, on: dt.date) -> int:
    """`person` holds no seat from `on`: a seat begun before it ends the day before (a seat's last
    day is inclusive, and a meeting that day must not count someone who has gone); a seat not begun
    yet is removed (it was never held); one audit event a seat (their papers go with
    papers_end_for_leaver). Returns how many seats ended or were removed."""
    seats = list(
        _open_seats(person, on).select_for_update(of=("self",)).select_related("panel").order_by("pk")
    )
    last_day = on - dt.timedelta(days=1)
    begun = [seat for seat in seats if seat.starts_on <= last_day]
    never = [seat for seat in seats if seat.starts_on > last_day]
    Membership.objects.filter(pk__in=[seat.pk for seat in begun]).update(ends_on=last_day)
    Membership.objects.filter(pk__in=[seat.pk for seat in never]).delete()
    record_events(
        actor=actor,
        action="panel.member_ended",
        events=[
            (
                seat.panel,
                None,
                {"person": [person.pk, None], "ends_on": [None, str(last_day)], "reason": [None, "left"]},
            )
            for seat in begun
        ],
    )
    record_events(
        actor=actor,
        action="panel.member_removed",
        events=[
            (
                seat.panel,
                None,
                {
                    "person": [person.pk, None],
                    "starts_on": [str(seat.starts_on), None],
                    "reason": [None, "left before the seat began"],
                },
            )
            for seat in never
        ],
    )
    return len(seats)


def _papers(person: User):
    return PapersGrant.objects.filter(person=person, revoked_at__isnull=True)


@transaction.atomic(savepoint=False)
def papers_end_for_leaver(*, person: User, actor: User | None, on: dt.date) -> int:
    """Revoke every meeting's papers `person` still holds (a member's, a lead member's, a chair's
    copy): on leaving, and on moving to another agency, whose seat they no longer speak from."""
    grants = list(_papers(person).select_related("meeting__panel").order_by("pk"))
    _papers(person).filter(pk__in=[grant.pk for grant in grants]).update(revoked_at=timezone.now())
    record_events(
        actor=actor,
        action="panel.papers_revoked",
        events=[
            (grant.meeting, None, {"person": [person.pk, None], "reason": [grant.reason, "left or moved"]})
            for grant in grants
        ],
    )
    return len(grants)


ending(Ending(key="panel_seats", label="Panel seats", held=_held, end=seats_end_for_leaver))
ending(
    Ending(
        key="panel_papers",
        label="Meeting papers",
        held=lambda person: _papers(person).count(),
        end=papers_end_for_leaver,
        on_move=True,
    )
)
