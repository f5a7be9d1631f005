"""Reads for running a meeting: quorum, the chair's page, decisions and absent-agency recommendations.

Sources: seeds 002 (Leicester JSP terms of reference: "quorate with two members from each
organisation" — a per-panel rule, `quorum_members_per_agency` from each of `quorum_agencies`;
Joint Funding Panel: "no decision will be made that impacts on an agency that is not present").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from casework import money
from casework.models import Agency, User
from panels.models import (
    AgencyRecommendation,
    AgendaItem,
    AgendaItemKind,
    Attendance,
    AttendanceStatus,
    Decision,
    DecisionShare,
    DecisionStatus,
    Declaration,
    Meeting,
    MemberRole,
    Membership,
    Outcome,
    RecommendationStatus,
)
from referrals.models import CostPeriod, Option

__all__ = [
    "QUORUM_ROLES",
    "AgencyQuorum",
    "DecisionPart",
    "ItemView",
    "OptionView",
    "Quorum",
    "RunningPage",
    "AttendanceCorrectionPage",
    "AgendaLine",
    "ITEM_STATES",
    "agencies_not_deciding",
    "agenda_lines",
    "agencies_present",
    "attendance_correction_page",
    "current_decision",
    "decision_answer",
    "decision_impacts",
    "decision_parts",
    "decision_being_edited",
    "decision_of_item",
    "decision_share_lines",
    "decision_shares",
    "declaration_corrected_by",
    "is_overdue",
    "item_state",
    "meeting_attendance",
    "meeting_declarations",
    "meeting_members",
    "my_recommendations",
    "partnership_agencies",
    "partnership_key_worker",
    "quorum",
    "recommendations_made",
    "referral_option",
    "referral_options",
    "running_item_page",
    "running_overview",
    "running_page",
    "whole_meeting_inquorate",
]

# Members who count towards the quorum: administrators and advisers attend but do not decide.
QUORUM_ROLES = (MemberRole.CHAIR, MemberRole.VICE_CHAIR, MemberRole.MEMBER)


@dataclass(frozen=True)
class AgencyQuorum:
    agency: Agency
    present: int
    required: int

    @property
    def met(self) -> bool:
        return self.present >= self.required


@dataclass(frozen=True)
class Quorum:
    """Per agency "2 of 2 present", and whether the meeting is quorate."""

    agencies: list[AgencyQuorum]
    required_per_agency: int
    present_total: int
    is_quorate: bool


def _count_seats(attendance: Iterable[Attendance]) -> dict[int | None, set[int]]:
    """Present members who count, by agency id. A deputy fills the seat of the member they attend
    for, so a member and their deputy both present still count once."""
    seats: dict[int | None, set[int]] = {}
    for row in attendance:
        if row.status != AttendanceStatus.PRESENT or row.membership.role not in QUORUM_ROLES:
            continue
        seats.setdefault(row.membership.agency_id, set()).add(row.deputy_for_id or row.membership_id)
    return seats


def quorum(
    meeting: Meeting,
    *,
    attendance: Iterable[Attendance] | None = None,
    agencies: list[Agency] | None = None,
) -> Quorum:
    """The meeting's quorum from its panel's rule (seeds 002, Leicester JSP: at least
    `quorum_members_per_agency` PRESENT members from EACH of `quorum_agencies`; with no agencies
    named, that many present members in all). Apologies and absences do not count; a deputy counts
    for their agency. Pass the already loaded attendance (with membership) and agencies to spend no
    query."""
    panel = meeting.panel
    if attendance is None:
        attendance = Attendance.objects.filter(meeting=meeting).select_related("membership")
    if agencies is None:
        agencies = list(panel.quorum_agencies.order_by("name"))
    seats = _count_seats(attendance)
    required = panel.quorum_members_per_agency
    rows = [AgencyQuorum(agency=a, present=len(seats.get(a.pk, ())), required=required) for a in agencies]
    total = sum(len(s) for s in seats.values())
    quorate = all(row.met for row in rows) if rows else total >= required
    return Quorum(agencies=rows, required_per_agency=required, present_total=total, is_quorate=quorate)


def _chair_present(attendance: Iterable[Attendance]) -> bool:
    return any(
        row.status == AttendanceStatus.PRESENT
        and row.membership.role in (MemberRole.CHAIR, MemberRole.VICE_CHAIR)
        for row in attendance
    )


def whole_meeting_inquorate(meeting: Meeting, *, attendance: Iterable[Attendance] | None = None) -> str:
    """Why the WHOLE meeting is inquorate under its panel's settings, or "" when it may decide.

    The chair can always hold the meeting; an inquorate one can only recommend or defer (seeds 002,
    Joint Funding Panel terms of reference: "Decisions and recommendations are not to be made if
    they impact upon one of the agencies who may not be present"). The panel says when:
    `inquorate_below_members` (fewer deciding members present in all) and `inquorate_without_chair`
    (neither the chair nor a vice-chair present)."""
    panel = meeting.panel
    if not panel.inquorate_below_members and not panel.inquorate_without_chair:
        return ""
    if attendance is None:
        attendance = list(Attendance.objects.filter(meeting=meeting).select_related("membership"))
    attendance = list(attendance)
    reasons = []
    below = panel.inquorate_below_members
    total = sum(len(s) for s in _count_seats(attendance).values())
    if below and total < below:
        reasons.append(f"{total} deciding member{'s' if total != 1 else ''} present, fewer than {below}")
    if panel.inquorate_without_chair and not _chair_present(attendance):
        reasons.append("neither the chair nor a vice-chair present")
    return "; ".join(reasons)


def agencies_not_deciding(
    meeting: Meeting,
    agency_ids: Iterable[int],
    *,
    attendance: Iterable[Attendance] | None = None,
    quorum_ids: set[int] | None = None,
) -> dict[int, str]:
    """Of these impacted agencies, those the meeting cannot decide for, each with why: the whole
    meeting inquorate (whole_meeting_inquorate), no member of the agency present, or fewer than
    the panel's `quorum_members_per_agency` present for an agency of its `quorum_agencies` (seeds
    002, Leicester JSP: "Quorate will be a minimum of two members from each organisation"; Joint
    Funding Panel: "Decisions are not to be made if they impact upon one of the agencies who may
    not be present. The recommendations made to an absent agency will require a response within 3
    working days"). The part of a decision that impacts such an agency is a recommendation to it."""
    wanted = sorted(set(agency_ids))
    if not wanted:
        return {}
    if attendance is None:
        attendance = list(Attendance.objects.filter(meeting=meeting).select_related("membership"))
    attendance = list(attendance)
    whole = whole_meeting_inquorate(meeting, attendance=attendance)
    if whole:
        return {pk: f"the meeting was not quorate ({whole})" for pk in wanted}
    present = {row.membership.agency_id for row in attendance if row.status == AttendanceStatus.PRESENT}
    seats = _count_seats(attendance)
    if quorum_ids is None:
        quorum_ids = set(meeting.panel.quorum_agencies.values_list("pk", flat=True))
    required = meeting.panel.quorum_members_per_agency
    why: dict[int, str] = {}
    for pk in wanted:
        if pk not in present:
            why[pk] = "no member of the agency was present"
        elif pk in quorum_ids and len(seats.get(pk, ())) < required:
            why[pk] = f"{len(seats.get(pk, ()))} of its {required} members needed for a quorum were present"
    return why


def decision_impacts(decision: Decision) -> dict[int, Agency]:
    """The agencies a decision impacts: those given a share of more than £0, and the lead agency."""
    impacted: dict[int, Agency] = {
        share.agency_id: share.agency
        for share in decision.shares.select_related("agency")
        if share.amount > 0
    }
    if decision.lead_agency is not None:
        impacted[decision.lead_agency.pk] = decision.lead_agency
    return impacted


@dataclass(frozen=True)
class DecisionPart:
    """One impacted agency's part in a decision: decided at the meeting, or a recommendation to it
    (with why, and its answer once made), for the chair's page and the API."""

    agency: Agency
    is_recommendation: bool
    why: str
    answer: str = ""  # a made recommendation's status: awaiting, accepted, declined


DECIDED_WHY = "members of the agency were present and quorate for it"


def decision_parts(
    decision: Decision, *, not_deciding: Callable[[list[int]], dict[int, str]] | None = None
) -> list[DecisionPart]:
    """Which parts of the decision are decisions and which recommendations, and why (seeds 002,
    Joint Funding Panel: "Decisions are not to be made if they impact upon one of the agencies who
    may not be present"). A signed decision says so from the recommendations made on signing; a
    draft from `not_deciding` (agencies_not_deciding on the meeting's attendance now), what signing
    it now would make. Reads the prefetched shares (with agency), recommendations (with agency)
    and lead agency."""
    impacted: dict[int, Agency] = {
        share.agency_id: share.agency for share in decision.shares.all() if share.amount > 0
    }
    if decision.lead_agency_id not in impacted and decision.lead_agency is not None:
        impacted[decision.lead_agency.pk] = decision.lead_agency
    if decision.status == DecisionStatus.DRAFT:
        why = not_deciding(list(impacted)) if not_deciding else {}
        answers: dict[int, str] = {}
    else:
        made = {r.agency_id: r for r in decision.recommendations.all()}
        why = {pk: r.why or "no member of the agency was present" for pk, r in made.items()}
        answers = {pk: r.status for pk, r in made.items()}
    return [
        DecisionPart(
            agency=agency,
            is_recommendation=pk in why,
            why=why.get(pk, DECIDED_WHY),
            answer=answers.get(pk, ""),
        )
        for pk, agency in impacted.items()
    ]


def agencies_present(meeting: Meeting) -> set[int]:
    """Ids of the agencies with at least one member present (any role)."""
    return set(
        Attendance.objects.filter(meeting=meeting, status=AttendanceStatus.PRESENT).values_list(
            "membership__agency_id", flat=True
        )
    )


def meeting_members(meeting: Meeting) -> QuerySet[Membership]:
    """The seats held on the meeting's day, with person, agency and the member a deputy sits for."""
    return (
        Membership.objects.current(on=meeting.date)
        .filter(panel_id=meeting.panel_id)
        .select_related("person", "agency", "deputy_for__person")
        .order_by("agency__name", "role", "person__full_name", "pk")
    )


def meeting_attendance(*, meeting: Meeting) -> QuerySet[Attendance]:
    """The meeting's attendance rows in the order they were first recorded: one query."""
    return Attendance.objects.filter(meeting=meeting).order_by("pk")


def meeting_declarations(*, meeting: Meeting) -> list[Declaration]:
    """Every declaration of the meeting, corrections included, in agenda order, each with the child
    of its item (`child_pk`, for the read log) and the entry that corrects it (`corrected_by_pk`):
    one query."""
    return list(
        Declaration.objects.filter(agenda_item__meeting=meeting)
        .annotate(child_pk=F("agenda_item__referral__child_id"), corrected_by_pk=F("correction__id"))
        .order_by("agenda_item__position", "pk")
    )


def declaration_corrected_by(*, declaration: Declaration) -> int | None:
    """The id of the entry that corrects this declaration, if any (one query)."""
    return Declaration.objects.filter(corrects=declaration).values_list("pk", flat=True).first()


def decision_answer(*, decision: Decision) -> Decision:
    """The decision as the API answers it, with its shares and recommendations (with their agencies,
    for decision_parts), its lead agency and meeting: five queries."""
    return (
        Decision.objects.select_related("lead_agency", "agenda_item__meeting__panel")
        .prefetch_related("shares__agency", "recommendations__agency")
        .get(pk=decision.pk)
    )


def decision_shares(*, decision: Decision) -> list[tuple[Agency, str, Decimal]]:
    """The decision's funding split as (agency, basis, value) rows, for a new version to keep."""
    return [(s.agency, s.basis, s.value) for s in decision.shares.select_related("agency")]


def partnership_agencies(*, partnership) -> dict[int, Agency]:
    """The agencies of a partnership by id (one query): lead agencies and shares choose from them."""
    return {agency.pk: agency for agency in Agency.objects.filter(partnership=partnership)}


def partnership_key_worker(*, partnership, pk: int) -> User | None:
    """An active person of the partnership who may be a decision's key worker, with their agency."""
    return (
        User.objects.filter(pk=pk, is_active=True, agency__partnership=partnership)
        .select_related("agency")
        .first()
    )


def recommendations_made(*, decision: Decision) -> int:
    """How many absent agencies the decision asks to answer (one count)."""
    return decision.recommendations.count()


def referral_options(*, agenda_item: AgendaItem) -> list[Option]:
    """The options of the item's referral, each with its shares (none for an item without one)."""
    referral = agenda_item.referral if agenda_item.referral_id else None
    return list(referral.options.prefetch_related("shares")) if referral is not None else []


def decision_share_lines(*, decision: Decision) -> list[DecisionShare]:
    """The decision's shares, each with its agency, as the pages list them."""
    return list(decision.shares.select_related("agency"))


def referral_option(*, referral, pk: int) -> Option | None:
    """One of the referral's options by id, or None."""
    return referral.options.filter(pk=pk).first()


def decision_of_item(*, agenda_item: AgendaItem, pk: int) -> Decision | None:
    """One of the item's decision versions by id, or None."""
    return Decision.objects.filter(agenda_item=agenda_item, pk=pk).first()


def decision_being_edited(*, agenda_item: AgendaItem) -> Decision | None:
    """The item's decision that is not superseded, with its key worker and shares, to set beside
    what someone typed over it (casework.stale)."""
    return (
        Decision.objects.filter(agenda_item=agenda_item)
        .exclude(status=DecisionStatus.SUPERSEDED)
        .select_related("key_worker")
        .prefetch_related("shares")
        .first()
    )


def current_decision(agenda_item: AgendaItem) -> Decision | None:
    """The item's decision that is not superseded (a draft or the signed one)."""
    return (
        Decision.objects.filter(agenda_item=agenda_item)
        .exclude(status=DecisionStatus.SUPERSEDED)
        .select_related("option", "lead_agency", "key_worker")
        .first()
    )


@dataclass
class OptionView:
    """An option with its costs per agency (weekly and annual side by side), for
    templates/referrals/_option_costs.html and _option_summary.html."""

    option: Option
    rows: list
    weekly: Decimal | None
    annual: Decimal | None
    period_label: str
    problem: str | None = None


def _option_view(option: Option) -> OptionView:
    shares = list(option.shares.all())
    return OptionView(
        option=option,
        rows=list(zip(shares, option.cost_lines(), strict=True)),
        weekly=money.weekly(option.cost, option.period, option.weeks_per_year),
        annual=money.annual(option.cost, option.period, option.weeks_per_year),
        period_label=CostPeriod(option.period).label,
    )


@dataclass
class ItemView:
    item: AgendaItem
    options: list[OptionView] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)  # what stands now
    # Every entry ever recorded (corrected and withdrawn ones too), oldest first.
    declaration_history: list[Declaration] = field(default_factory=list)
    decision: Decision | None = None
    signed_versions: int = 0
    form: object = None
    declaration_form: object = None
    # Per impacted agency: a decision or a recommendation, and why (decision_parts).
    parts: list[DecisionPart] = field(default_factory=list)

    @property
    def declarations_append_only(self) -> bool:
        """Once the item's decision is signed (its current version, or one it corrects), declarations
        are corrected, never removed (issue 13)."""
        d = self.decision
        return d is not None and (d.signed_at is not None or d.supersedes_id is not None)

    @property
    def has_recommended_parts(self) -> bool:
        """A part of the decision is (or, signed now, would be) a recommendation to an agency."""
        return any(part.is_recommendation for part in self.parts)

    @property
    def has_corrections(self) -> bool:
        return len(self.declaration_history) > len(self.declarations)


@dataclass
class RunningPage:
    meeting: Meeting
    members: list[Membership]
    attendance: dict[int, Attendance]
    quorum: Quorum
    items: list[ItemView]
    agencies_present: set[int]
    # Why the whole meeting is inquorate by the panel's settings ("" when it is not).
    inquorate: str = ""
    # The whole agenda, each item with its state (agenda_lines): the overview, and previous/next.
    lines: list[AgendaLine] = field(default_factory=list)

    @property
    def member_rows(self) -> list[tuple[Membership, Attendance | None]]:
        return [(seat, self.attendance.get(seat.pk)) for seat in self.members]

    @property
    def has_signed_decisions(self) -> bool:
        """Attendance is then changed only by a correction (panels.services.attendance)."""
        decisions = [v.decision for v in self.items] + [line.decision for line in self.lines]
        return any(d is not None and d.status == DecisionStatus.SIGNED for d in decisions)

    def neighbours(self, item: AgendaItem) -> tuple[AgendaItem | None, AgendaItem | None]:
        """The items before and after this one on the agenda."""
        ids = [line.item.pk for line in self.lines]
        if item.pk not in ids:
            return None, None
        at = ids.index(item.pk)
        before = self.lines[at - 1].item if at > 0 else None
        after = self.lines[at + 1].item if at + 1 < len(self.lines) else None
        return before, after

    def state_counts(self) -> list[tuple[str, int]]:
        """How many items are in each state, in the order of ITEM_STATES, leaving out none."""
        counts = {key: 0 for key in ITEM_STATES}
        for line in self.lines:
            counts[line.state] += 1
        return [(ITEM_STATES[key][0], n) for key, n in counts.items() if n]


def running_page(meeting: Meeting, *, item_pk: int | None = None) -> RunningPage:
    """Everything the chair's page shows, in a fixed number of queries whatever the number of items:
    members, attendance, quorum agencies, agenda items with their referral and child, options with
    shares and agencies, declarations with member, decisions with shares and recommendations. With
    `item_pk`, only that item of the agenda (the item's own page): the same queries."""
    members, attendance, agencies = _seats(meeting)
    current = Decision.objects.exclude(status=DecisionStatus.SUPERSEDED).select_related(
        "option", "lead_agency", "key_worker", "signed_by"
    )
    items = list(
        AgendaItem.objects.filter(
            meeting=meeting, withdrawn_at__isnull=True, **({"pk": item_pk} if item_pk is not None else {})
        )
        .select_related("referral__child", "referral__referrer_agency")
        .prefetch_related(
            Prefetch(
                "referral__options",
                queryset=Option.objects.order_by("position", "pk").prefetch_related("shares__agency"),
            ),
            Prefetch(
                "declarations",
                queryset=Declaration.objects.select_related(
                    "membership__person", "membership__agency", "recorded_by"
                ),
            ),
            Prefetch(
                "decisions",
                queryset=current.prefetch_related("shares__agency", "recommendations__agency"),
                to_attr="current_decisions",
            ),
        )
        .order_by("position", "pk")
    )
    quorum_ids = {agency.pk for agency in agencies}

    def not_deciding(agency_ids: list[int]) -> dict[int, str]:
        return agencies_not_deciding(
            meeting, agency_ids, attendance=attendance.values(), quorum_ids=quorum_ids
        )

    views = []
    for item in items:
        entries = list(item.declarations.all())
        view = ItemView(item=item, declarations=Declaration.current_in(entries), declaration_history=entries)
        if item.kind == AgendaItemKind.REFERRAL and item.referral is not None:
            view.options = [_option_view(o) for o in item.referral.options.all()]
        view.decision = item.current_decisions[0] if item.current_decisions else None
        if view.decision is not None:
            view.parts = decision_parts(view.decision, not_deciding=not_deciding)
        views.append(view)
    return _page(meeting, members, attendance, agencies, items=views)


def _seats(meeting: Meeting) -> tuple[list[Membership], dict[int, Attendance], list[Agency]]:
    """The seats, the attendance by seat and the quorum agencies: three queries."""
    members = list(meeting_members(meeting))
    attendance = {
        row.membership_id: row
        for row in Attendance.objects.filter(meeting=meeting).select_related(
            "membership", "deputy_for__person"
        )
    }
    return members, attendance, list(meeting.panel.quorum_agencies.order_by("name"))


def _page(
    meeting: Meeting,
    members: list[Membership],
    attendance: dict[int, Attendance],
    agencies: list[Agency],
    *,
    items: list[ItemView],
    lines: list[AgendaLine] | None = None,
) -> RunningPage:
    return RunningPage(
        meeting=meeting,
        members=members,
        attendance=attendance,
        quorum=quorum(meeting, attendance=attendance.values(), agencies=agencies),
        items=items,
        agencies_present={
            row.membership.agency_id for row in attendance.values() if row.status == AttendanceStatus.PRESENT
        },
        inquorate=whole_meeting_inquorate(meeting, attendance=attendance.values()),
        lines=lines or [],
    )


def running_overview(meeting: Meeting) -> RunningPage:
    """The top of the chair's page: attendance, the live quorum and the agenda with each item's
    state (agenda_lines), without the items' papers: six queries whatever the number of items."""
    members, attendance, agencies = _seats(meeting)
    return _page(meeting, members, attendance, agencies, items=[], lines=agenda_lines(meeting))


def running_item_page(meeting: Meeting, *, item_pk: int) -> RunningPage:
    """One item's page of the chair's page (running_page of that item), with the agenda's lines for
    its previous and next items and the live quorum: the same queries whatever the agenda's length."""
    page = running_page(meeting, item_pk=item_pk)
    page.lines = agenda_lines(meeting)
    return page


# What the chair's agenda overview says of each item, from its decision (or draft).
ITEM_STATES = {
    "not_started": ("Not started", "grey"),
    "discussed": ("Discussed: draft decision", "yellow"),
    "decided": ("Decided", "green"),
    "recommended": ("Recommended", "blue"),
    "deferred": ("Deferred", "orange"),
    "no_decision": ("No decision needed", "grey"),
}


def item_state(item: AgendaItem, decision: Decision | None) -> str:
    """An item's state on the chair's agenda overview (a key of ITEM_STATES): not started (no
    decision recorded), discussed (a draft decision, not yet signed), deferred (signed as deferred),
    recommended (signed, and a part of it is a recommendation to an agency that was absent or not
    quorate, seeds 002) or decided (signed). Items other than referrals need no decision. Reads the
    decision's prefetched recommendations."""
    if item.kind != AgendaItemKind.REFERRAL:
        return "no_decision"
    if decision is None:
        return "not_started"
    if decision.status != DecisionStatus.SIGNED:
        return "discussed"
    if decision.outcome == Outcome.DEFERRED:
        return "deferred"
    if decision.recommendations.all():
        return "recommended"
    return "decided"


@dataclass(frozen=True)
class AgendaLine:
    """One line of the chair's agenda overview: the item, its state and its decision's outcome."""

    item: AgendaItem
    state: str
    decision: Decision | None

    @property
    def state_label(self) -> str:
        return ITEM_STATES[self.state][0]

    @property
    def state_colour(self) -> str:
        return ITEM_STATES[self.state][1]


def agenda_lines(meeting: Meeting) -> list[AgendaLine]:
    """The meeting's agenda (withdrawn items left out) in order, each item with its state: three
    queries whatever the number of items (the items with their referral's child, their current
    decisions, those decisions' recommendations)."""
    current = Decision.objects.exclude(status=DecisionStatus.SUPERSEDED).prefetch_related(
        Prefetch("recommendations", queryset=AgencyRecommendation.objects.only("pk", "decision_id"))
    )
    items = (
        AgendaItem.objects.filter(meeting=meeting, withdrawn_at__isnull=True)
        .select_related("referral__child")
        .prefetch_related(Prefetch("decisions", queryset=current, to_attr="current_decisions"))
        .order_by("position", "pk")
    )
    lines = []
    for item in items:
        decision = item.current_decisions[0] if item.current_decisions else None
        lines.append(AgendaLine(item=item, state=item_state(item, decision), decision=decision))
    return lines


def my_recommendations(*, user: User) -> QuerySet[AgencyRecommendation]:
    """The recommendations this person can see (panels.access.recommendations_visible_to): my
    agency's, and those of the panels I administer; awaiting ones first, soonest due first."""
    from django.db.models import Case, IntegerField, Value, When

    from panels.access import recommendations_visible_to

    return (
        recommendations_visible_to(user=user)
        .select_related(
            "agency",
            "decision__agenda_item__meeting__panel",
            "decision__referral__child",
            "decision__lead_agency",
        )
        .annotate(
            awaiting_first=Case(
                When(status=RecommendationStatus.AWAITING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("awaiting_first", "due_on", "pk")
    )


def is_overdue(recommendation: AgencyRecommendation, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return recommendation.status == RecommendationStatus.AWAITING and recommendation.due_on < today


@dataclass
class AttendanceCorrectionPage:
    """The "Correct attendance" page: each seat with its attendance as recorded, and the signed
    decisions a correction works out again, each with its parts now (decision_parts)."""

    meeting: Meeting
    members: list[Membership]
    attendance: dict[int, Attendance]
    decisions: list[tuple[Decision, list[DecisionPart]]]

    @property
    def member_rows(self) -> list[tuple[Membership, Attendance | None]]:
        return [(seat, self.attendance.get(seat.pk)) for seat in self.members]


def attendance_correction_page(*, meeting: Meeting) -> AttendanceCorrectionPage:
    """Five queries whatever the number of members and decisions: the seats (with person, agency and
    whom a deputy sits for), the attendance (with the member a deputy attends for), the meeting's
    signed decisions (with item, child and lead agency), their shares and their recommendations
    (each with its agency)."""
    members = list(meeting_members(meeting))
    attendance = {
        row.membership_id: row
        for row in Attendance.objects.filter(meeting=meeting).select_related("deputy_for__person")
    }
    signed = (
        Decision.objects.filter(
            agenda_item__meeting=meeting,
            agenda_item__withdrawn_at__isnull=True,
            status=DecisionStatus.SIGNED,
        )
        .select_related("agenda_item", "referral__child", "lead_agency")
        .prefetch_related("shares__agency", "recommendations__agency")
        .order_by("agenda_item__position", "pk")
    )
    return AttendanceCorrectionPage(
        meeting=meeting,
        members=members,
        attendance=attendance,
        decisions=[(decision, decision_parts(decision)) for decision in signed],
    )
