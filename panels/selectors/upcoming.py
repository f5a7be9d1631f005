"""The panel view of My work (issue 16): the next meetings of the panels a person runs, with what is
still missing for each: papers not in, the agenda not circulated, apologies, and quorum at risk.

Sources: seeds 002 (Joint Funding Panel terms of reference: papers due and circulated a number of
working days before the meeting, the panel's settings; Leicester JSP: a quorum of members from
each named agency). Queries, whatever the number of meetings: the meetings with their counts, the
panels' closure days, the seats that count for quorum, the quorum agencies, and the apologies.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from casework.models import Agency, User
from panels.access import administered_panels
from panels.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    Membership,
    Panel,
    meeting_deadlines,
)
from panels.selectors.meetings import closures_by_panel
from panels.selectors.running import QUORUM_ROLES
from referrals.models import EDITABLE_STATUSES, Referral
from referrals.models import Status as ReferralStatus

__all__ = ["AHEAD", "MeetingReadiness", "QuorumRisk", "upcoming_meetings"]

# How far ahead the view looks: two months of meetings, enough for a weekly or monthly panel.
AHEAD = dt.timedelta(days=56)


@dataclass(frozen=True)
class QuorumRisk:
    agency: Agency | None  # None: the panel counts members in all, not per agency
    able: int
    required: int


@dataclass
class MeetingReadiness:
    meeting: Meeting
    papers_due: dt.date
    circulation_due: dt.date
    live_items: int
    not_listed: int  # submitted for this meeting, not yet on its agenda
    late_waiting: int  # late papers waiting for the chair to accept or move
    being_written: int  # referrals aimed at this meeting still being written or signed
    apologies: list[Attendance] = field(default_factory=list)
    quorum_risks: list[QuorumRisk] = field(default_factory=list)

    @property
    def circulated(self) -> bool:
        return self.meeting.circulated_at is not None

    @property
    def circulation_overdue(self) -> bool:
        return not self.circulated and self.circulation_due < timezone.localdate()

    @property
    def papers_missing(self) -> int:
        return self.not_listed + self.late_waiting + self.being_written

    @property
    def missing(self) -> bool:
        return bool(self.papers_missing or not self.circulated or self.apologies or self.quorum_risks)


def _count(qs: QuerySet) -> Coalesce:
    return Coalesce(
        Subquery(qs.order_by().values("meeting_id").annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def _meetings(user: User, today: dt.date) -> QuerySet[Meeting]:
    referrals = Referral.objects.filter(meeting_id=OuterRef("pk"))
    return (
        Meeting.objects.filter(
            panel__in=administered_panels(user=user),
            panel__is_active=True,
            status=MeetingStatus.SCHEDULED,
            date__gte=today,
            date__lte=today + AHEAD,
        )
        .select_related("panel")
        .annotate(
            live_items=_count(
                AgendaItem.objects.filter(meeting_id=OuterRef("pk"), withdrawn_at__isnull=True)
            ),
            not_listed=_count(
                referrals.filter(status=ReferralStatus.SUBMITTED).filter(
                    Q(is_late_paper=False) | Q(late_accepted_by__isnull=False)
                )
            ),
            late_waiting=_count(
                referrals.filter(
                    status=ReferralStatus.SUBMITTED, is_late_paper=True, late_accepted_by__isnull=True
                )
            ),
            being_written=_count(referrals.filter(status__in=list(EDITABLE_STATUSES))),
        )
        .order_by("date", "starts_at", "panel__name")
    )


def _quorum_risks(
    meeting: Meeting,
    seats: list[Membership],
    agencies: list[Agency],
    away: set[int],
) -> list[QuorumRisk]:
    """The quorum agencies (or the panel as a whole) whose members able to attend (current seats
    that count for quorum, less those who sent apologies or are marked absent) are fewer than the
    panel's quorum_members_per_agency."""
    panel: Panel = meeting.panel
    required = panel.quorum_members_per_agency
    able = [s for s in seats if s.panel_id == panel.pk and s.pk not in away and s.deputy_for_id is None]
    if not agencies:
        return [QuorumRisk(agency=None, able=len(able), required=required)] if len(able) < required else []
    risks = []
    for agency in agencies:
        n = sum(1 for s in able if s.agency_id == agency.pk)
        if n < required:
            risks.append(QuorumRisk(agency=agency, able=n, required=required))
    return risks


def upcoming_meetings(*, user: User) -> list[MeetingReadiness]:
    """The next meetings (within AHEAD) of the panels `user` administers or chairs
    (panels.access.administered_panels), soonest first, each with what is missing."""
    today = timezone.localdate()
    meetings = list(_meetings(user, today))
    if not meetings:
        return []
    panel_ids = {m.panel_id for m in meetings}
    closures = closures_by_panel(panel_ids=panel_ids)
    last_day = max(m.date for m in meetings)
    seats = list(
        Membership.objects.filter(panel_id__in=panel_ids, role__in=QUORUM_ROLES, starts_on__lte=last_day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("person", "agency")
    )
    quorum_agencies: dict[int, list[Agency]] = defaultdict(list)
    through = Panel.quorum_agencies.through.objects.filter(panel_id__in=panel_ids).select_related("agency")
    for row in through.order_by("agency__name"):
        quorum_agencies[row.panel_id].append(row.agency)
    away_rows: list[Attendance] = list(
        Attendance.objects.filter(
            meeting__in=[m.pk for m in meetings],
            status__in=[AttendanceStatus.APOLOGIES, AttendanceStatus.ABSENT],
        ).select_related("membership__person", "membership__agency")
    )
    away: dict[int, list[Attendance]] = defaultdict(list)
    for absence in away_rows:
        away[absence.meeting_id].append(absence)
    result = []
    for meeting in meetings:
        deadlines = meeting_deadlines(meeting, closures.get(meeting.panel_id, frozenset()))
        on_day = [
            s
            for s in seats
            if s.panel_id == meeting.panel_id
            and s.starts_on <= meeting.date
            and (s.ends_on is None or s.ends_on >= meeting.date)
        ]
        result.append(
            MeetingReadiness(
                meeting=meeting,
                papers_due=deadlines.papers_due,
                circulation_due=deadlines.circulation,
                # The counts annotated by _meetings.
                live_items=meeting.live_items,  # type: ignore[attr-defined]
                not_listed=meeting.not_listed,  # type: ignore[attr-defined]
                late_waiting=meeting.late_waiting,  # type: ignore[attr-defined]
                being_written=meeting.being_written,  # type: ignore[attr-defined]
                apologies=[r for r in away[meeting.pk] if r.status == AttendanceStatus.APOLOGIES],
                quorum_risks=_quorum_risks(
                    meeting,
                    on_day,
                    quorum_agencies.get(meeting.panel_id, []),
                    {r.membership_id for r in away[meeting.pk]},
                ),
            )
        )
    return result
