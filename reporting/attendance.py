"""Attendance (issue 18): for each past meeting of the panels the person may see, each agency's
attendance (members expected by seat, present, deputies, apologies, absent), whether the meeting
was quorate under its panel's own rule, and the decisions that became recommendations to an agency
because it was absent; with totals per agency over the chosen months.

Why it matters (seeds 001, "Case for change": decisions are delayed because "key decision-makers
are not present"). The rules are the panels' own, read from panels/, never restated here:

- Quorum (seeds 002, Leicester JSP terms of reference: "Quorate will be a minimum of two members
  from each organisation"): a per-panel setting, `Panel.quorum_members_per_agency` present members
  from each of `Panel.quorum_agencies`, plus the panel's whole-meeting rules
  (`inquorate_below_members`, `inquorate_without_chair`). Worked out by
  `panels.selectors.running.quorum` and `whole_meeting_inquorate` over the meeting's attendance,
  exactly as the chair's page does.
- Recommendations (seeds 002, Joint Funding Panel: "no decision will be made that impacts on an
  agency that is not present"): the part of a decision that impacts an absent (or below-quorum)
  agency is an `AgencyRecommendation` to it. Counted here from the current version of each decision
  (a superseded version's recommendations are not counted twice).

Read live, not from a summary: meetings are few (about 12 to 50 a panel a year), so a page for one
partnership over the longest period the filter allows (24 months) is a bounded read: the meetings by
`meeting_panel_date`, their seats by panel, their attendance by `attendance_once_per_member`
(meeting first) and their recommendations by the decisions' agenda items of those meetings; five
statements whatever the rows (docs/adr/0015-reporting.md).

Access: the page is for the reports' readers (reporting.access, 404 for anyone else). Of the
panels of the person's own partnership (panels.access.panels_visible_to) a partnership
administrator, a team or service manager and a finance approver see every panel; a panel chair or
panel administrator sees the panels they hold a seat on today, and a panel administrator also those
hosted by their agency (the panels they administer). Another partnership's meetings are never read.

Small numbers (issue 18, statistical disclosure control): the recommendation counts are decisions
about children, across agencies, so each count from 1 to 4 is shown as "fewer than 5" (the rule of
reporting.decision_times.Figure). Attendance counts are of staff attending in their public role,
not of children, and are shown as they are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from casework.access import is_usable
from casework.models import Agency, Role, User
from panels.access import panels_visible_to
from panels.models import (
    AgencyRecommendation,
    Attendance,
    AttendanceStatus,
    DecisionStatus,
    Meeting,
    MeetingStatus,
    Membership,
    Panel,
)
from panels.selectors.running import QUORUM_ROLES, quorum, whole_meeting_inquorate
from reporting.decision_times import Figure

__all__ = [
    "MAX_MONTHS",
    "AgencyLine",
    "AgencyTotals",
    "AttendanceFilters",
    "AttendanceReport",
    "MeetingAttendance",
    "attendance_panels",
    "attendance_report",
    "add_months",
    "default_months",
    "months_between",
]

# The longest period a page reads: what keeps the live read bounded (module docstring).
MAX_MONTHS = 24

# These roles oversee their agency's part in every panel of the partnership; chairs and panel
# administrators (by role) see the panels they sit on or administer.
PARTNERSHIP_WIDE_ROLES = (
    Role.PARTNERSHIP_ADMINISTRATOR,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.FINANCE_APPROVER,
)


def _month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def add_months(month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) `month`'s."""
    year, index = divmod(month.year * 12 + month.month - 1 + months, 12)
    return dt.date(year, index + 1, 1)


def months_between(start: dt.date, end: dt.date) -> int:
    """How many months from `start`'s to `end`'s, both counted."""
    return (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1


def default_months(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last twelve months, this one included (first days)."""
    end = (today or timezone.localdate()).replace(day=1)
    return add_months(end, -11), end


@dataclass(frozen=True)
class AttendanceFilters:
    """The panel and the months of the meetings (first days, inclusive; the last twelve by default)."""

    panel: int | None = None
    month_from: dt.date | None = None
    month_to: dt.date | None = None

    def months(self, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
        """The first and last month: as chosen; with only one end chosen, twelve months from or to
        it (never past this month); with neither, the last twelve."""
        this_month = (today or timezone.localdate()).replace(day=1)
        if self.month_from and self.month_to:
            return self.month_from, self.month_to
        if self.month_from:
            return self.month_from, max(self.month_from, min(add_months(self.month_from, 11), this_month))
        if self.month_to:
            return add_months(self.month_to, -11), self.month_to
        return default_months(today)

    def period(self, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
        """The first and last day read; never later than today (past meetings only)."""
        today = today or timezone.localdate()
        start, end = self.months(today)
        return start, min(_month_end(end), today)

    def as_dict(self) -> dict[str, object]:
        return {
            "panel": self.panel,
            "month_from": f"{self.month_from:%Y-%m}" if self.month_from else None,
            "month_to": f"{self.month_to:%Y-%m}" if self.month_to else None,
        }


@dataclass
class AgencyLine:
    """One agency at one meeting. `counted` and `needed` are the quorum's (None for an agency the
    panel's quorum does not name); `recommendations` is the raw count (shown through `shown`)."""

    agency: Agency
    expected: int = 0
    present: int = 0
    deputies: int = 0
    apologies: int = 0
    absent: int = 0
    counted: int | None = None
    needed: int | None = None
    recommendations: int = 0

    @property
    def met(self) -> bool | None:
        return None if self.needed is None or self.counted is None else self.counted >= self.needed

    @property
    def attended(self) -> bool:
        return self.present + self.deputies > 0

    @property
    def recommendations_shown(self) -> Figure:
        return Figure.count(self.recommendations)


@dataclass
class MeetingAttendance:
    meeting: Meeting
    lines: list[AgencyLine]
    recorded: bool  # any attendance recorded at all
    is_quorate: bool | None  # None when no attendance was recorded
    why_not: str
    decisions_recommended: int  # decisions with a recommendation to one agency or more

    @property
    def decisions_recommended_shown(self) -> Figure:
        return Figure.count(self.decisions_recommended)


@dataclass
class AgencyTotals:
    agency: Agency
    meetings: int = 0  # meetings where the agency had a seat, a quorum place or a recommendation
    attended: int = 0  # of those, meetings with a member or deputy present
    below_quorum: int = 0  # meetings where the quorum names it and it fell short
    expected: int = 0
    present: int = 0
    deputies: int = 0
    apologies: int = 0
    absent: int = 0
    recommendations: int = 0

    @property
    def recommendations_shown(self) -> Figure:
        return Figure.count(self.recommendations)


@dataclass
class AttendanceReport:
    start: dt.date
    end: dt.date
    meetings: list[MeetingAttendance]
    totals: list[AgencyTotals]
    quorate: int = 0
    inquorate: int = 0
    not_recorded: int = 0
    decisions_recommended: int = 0
    today: dt.date = field(default_factory=timezone.localdate)

    @property
    def decisions_recommended_shown(self) -> Figure:
        return Figure.count(self.decisions_recommended)


def attendance_panels(*, user: User | None) -> QuerySet[Panel]:
    """The panels whose meetings the person's report shows (module docstring), as one query."""
    if not is_usable(user):
        return Panel.objects.none()
    assert user is not None
    panels = panels_visible_to(user=user)
    if user.has_role(*PARTNERSHIP_WIDE_ROLES):
        return panels
    rule = Q(pk__in=Membership.objects.current().filter(person=user).values("panel_id"))
    if user.has_role(Role.PANEL_ADMINISTRATOR):
        rule |= Q(host_agency_id=user.agency_id)
    return panels.filter(rule)


def meetings_in_report(*, user: User, filters: AttendanceFilters | None = None) -> QuerySet[Meeting]:
    """The past, not cancelled meetings of the person's panels in the period, newest first."""
    filters = filters or AttendanceFilters()
    start, end = filters.period()
    panels = attendance_panels(user=user)
    if filters.panel is not None:
        panels = panels.filter(pk=filters.panel)
    return (
        Meeting.objects.filter(panel__in=panels, date__gte=start, date__lte=end)
        .exclude(status=MeetingStatus.CANCELLED)
        .select_related("panel")
        .order_by("-date", "panel__name", "pk")
    )


def _seat_current(seat: Membership, day: dt.date) -> bool:
    return seat.starts_on <= day and (seat.ends_on is None or seat.ends_on >= day)


def attendance_report(*, user: User, filters: AttendanceFilters | None = None) -> AttendanceReport:
    """The report for the filters: five statements whatever the rows (meetings; seats; attendance;
    the panels' quorum agencies; the recommendations)."""
    filters = filters or AttendanceFilters()
    start, end = filters.period()
    meetings = list(meetings_in_report(user=user, filters=filters))
    report = AttendanceReport(start=start, end=end, meetings=[], totals=[])
    if not meetings:
        return report
    panel_ids = {m.panel_id for m in meetings}
    meeting_ids = [m.pk for m in meetings]
    # Seats that expect a member: deciding roles, not deputies (a deputy sits for a named member).
    seats_by_panel: dict[int, list[Membership]] = defaultdict(list)
    for seat in (
        Membership.objects.filter(panel_id__in=panel_ids, role__in=QUORUM_ROLES, deputy_for__isnull=True)
        .filter(starts_on__lte=end)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
        .select_related("agency")
    ):
        seats_by_panel[seat.panel_id].append(seat)
    attendance_by_meeting: dict[int, list[Attendance]] = defaultdict(list)
    for row in Attendance.objects.filter(meeting_id__in=meeting_ids).select_related("membership__agency"):
        attendance_by_meeting[row.meeting_id].append(row)
    quorum_agencies: dict[int, list[Agency]] = defaultdict(list)
    through = Panel.quorum_agencies.through
    for link in (
        through.objects.filter(panel_id__in=panel_ids).select_related("agency").order_by("agency__name")
    ):
        quorum_agencies[link.panel_id].append(link.agency)
    recommended: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    rec_agencies: dict[int, Agency] = {}
    for rec in (
        AgencyRecommendation.objects.filter(decision__agenda_item__meeting_id__in=meeting_ids)
        .exclude(decision__status=DecisionStatus.SUPERSEDED)
        .select_related("agency", "decision__agenda_item")
    ):
        recommended[rec.decision.agenda_item.meeting_id][rec.agency_id].add(rec.decision_id)
        rec_agencies[rec.agency_id] = rec.agency

    totals: dict[int, AgencyTotals] = {}
    for meeting in meetings:
        lines: dict[int, AgencyLine] = {}

        def line(agency: Agency, lines: dict[int, AgencyLine] = lines) -> AgencyLine:
            return lines.setdefault(agency.pk, AgencyLine(agency=agency))

        for seat in seats_by_panel.get(meeting.panel_id, ()):
            if _seat_current(seat, meeting.date):
                line(seat.agency).expected += 1
        attendance = attendance_by_meeting.get(meeting.pk, [])
        for row in attendance:
            if row.membership.role not in QUORUM_ROLES:
                continue  # administrators and advisers attend but do not decide
            agency_line = line(row.membership.agency)
            if row.status == AttendanceStatus.PRESENT:
                if row.deputy_for_id:
                    agency_line.deputies += 1
                else:
                    agency_line.present += 1
            elif row.status == AttendanceStatus.APOLOGIES:
                agency_line.apologies += 1
            else:
                agency_line.absent += 1
        rule = quorum(meeting, attendance=attendance, agencies=quorum_agencies.get(meeting.panel_id, []))
        for place in rule.agencies:
            agency_line = line(place.agency)
            agency_line.counted, agency_line.needed = place.present, place.required
        decisions: set[int] = set()
        for agency_id, decision_ids in recommended.get(meeting.pk, {}).items():
            line(rec_agencies[agency_id]).recommendations = len(decision_ids)
            decisions |= decision_ids
        recorded = bool(attendance)
        why_not = ""
        quorate: bool | None = None
        if recorded:
            whole = whole_meeting_inquorate(meeting, attendance=attendance)
            short = [f"{p.agency.name}: {p.present} of {p.required}" for p in rule.agencies if not p.met]
            if not rule.agencies and not rule.is_quorate:
                short.append(
                    f"{rule.present_total} deciding members present, fewer than {rule.required_per_agency}"
                )
            why_not = "; ".join(filter(None, [whole, *short]))
            quorate = rule.is_quorate and not whole
            if quorate:
                report.quorate += 1
            else:
                report.inquorate += 1
        else:
            report.not_recorded += 1
        ordered = sorted(lines.values(), key=lambda item: item.agency.name)
        report.meetings.append(
            MeetingAttendance(
                meeting=meeting,
                lines=ordered,
                recorded=recorded,
                is_quorate=quorate,
                why_not=why_not,
                decisions_recommended=len(decisions),
            )
        )
        report.decisions_recommended += len(decisions)
        for item in ordered:
            total = totals.setdefault(item.agency.pk, AgencyTotals(agency=item.agency))
            total.meetings += 1
            total.attended += int(item.attended)
            total.below_quorum += int(item.met is False)
            total.expected += item.expected
            total.present += item.present
            total.deputies += item.deputies
            total.apologies += item.apologies
            total.absent += item.absent
            total.recommendations += item.recommendations
    report.totals = sorted(totals.values(), key=lambda item: item.agency.name)
    return report
