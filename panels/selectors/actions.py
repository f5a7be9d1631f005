"""Reads for the action log and the tracker of referrals, decisions and budgets.

Sources: seeds 003 (the action log's columns, reviewed at every meeting: open actions carry
forward), seeds 002 (Joint Funding Panel section 4: "a log (or tracker) will be updated after each
meeting of all referrals made to the panel and the decisions made at the meeting and budgets to be
used"). Every read is scoped by an access function: panels.access.actions_visible_to for actions,
referrals.access.referrals_visible_to for tracker rows, so the page, its totals and its exports
show the same rows and nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict, cast

from django.db import models
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from casework import money
from casework.models import Agency, User
from panels import access
from panels.models import (
    AGREED_OUTCOMES,
    Action,
    ActionStatus,
    ActionUpdate,
    AgencyRecommendation,
    AgendaItem,
    Decision,
    DecisionShare,
    DecisionStatus,
    Meeting,
    Outcome,
    Panel,
    RecommendationStatus,
)
from referrals.access import referrals_visible_to
from referrals.models import CostPeriod, Pathway, Referral, Status, Urgency

if TYPE_CHECKING:
    # django-stubs-ext is a dev dependency: the types of annotated attributes, for mypy only.
    from django_stubs_ext import WithAnnotations

__all__ = [
    "ActionFilters",
    "AgencyTotal",
    "BudgetLine",
    "Standing",
    "TrackerFilters",
    "TrackerRow",
    "TrackerTotals",
    "action_detail",
    "action_is_overdue",
    "action_item_choices",
    "action_log",
    "action_meeting_choices",
    "action_owner_agency_ids",
    "action_owner_ids",
    "action_updates",
    "open_actions_for_meeting",
    "panel_agencies",
    "panel_people",
    "tracker_referrals",
    "tracker_rows",
    "tracker_rows_streamed",
    "tracker_totals",
]

ZERO = Decimal("0.00")


# --- The action log -------------------------------------------------------------------------------


def panel_agencies(*, panel: Panel) -> QuerySet[Agency]:
    """The agencies of the panel's partnership by name: an action's owners and partner, and the
    log's and tracker's filters, choose from them."""
    return Agency.objects.filter(partnership=panel.partnership).order_by("name")


def panel_people(*, panel: Panel) -> QuerySet[User]:
    """The active people of the panel's partnership with their agency, by name: who may own an action."""
    return (
        User.objects.filter(agency__partnership=panel.partnership, is_active=True)
        .select_related("agency")
        .order_by("full_name", "email")
    )


def action_meeting_choices(*, panel: Panel, today: dt.date | None = None) -> QuerySet[Meeting]:
    """The panel's meetings an action may be raised at, newest first: all of them, or with `today`,
    the last eighteen months and the next six (the page's choices)."""
    meetings = Meeting.objects.filter(panel=panel)
    if today is not None:
        meetings = meetings.filter(
            date__gte=today - dt.timedelta(days=550), date__lte=today + dt.timedelta(days=190)
        )
    return meetings.order_by("-date")


def action_item_choices(*, panel: Panel, meetings: QuerySet[Meeting] | None = None) -> QuerySet[AgendaItem]:
    """Items still on the agenda of the panel's meetings (or of `meetings`) an action may come from,
    each with its meeting."""
    items = (
        AgendaItem.objects.filter(meeting__panel=panel)
        if meetings is None
        else AgendaItem.objects.filter(meeting__in=meetings)
    )
    return (
        items.filter(withdrawn_at__isnull=True)
        .select_related("meeting")
        .order_by("-meeting__date", "position", "pk")
    )


def action_owner_ids(*, action: Action) -> list[int]:
    return list(action.owners.values_list("pk", flat=True))


def action_owner_agency_ids(*, action: Action) -> list[int]:
    return list(action.owner_agencies.values_list("pk", flat=True))


def action_updates(*, action: Action) -> QuerySet[ActionUpdate]:
    """An action's updates, oldest first, each with its author."""
    return ActionUpdate.objects.filter(action=action).select_related("author").order_by("at", "id")


@dataclass(frozen=True)
class ActionFilters:
    """status: "" (all), "open", "overdue" (open and past its due date) or "closed"."""

    status: str = ""
    owner_agency: int | None = None


def _overdue(today: dt.date) -> ExpressionWrapper:
    return ExpressionWrapper(
        Q(status=ActionStatus.OPEN, due_on__isnull=False, due_on__lt=today), output_field=BooleanField()
    )


def action_is_overdue(action: Action, today: dt.date | None = None) -> bool:
    """Still open and its due date has passed (shown with a red "Overdue" tag everywhere)."""
    today = today or timezone.localdate()
    return action.status == ActionStatus.OPEN and action.due_on is not None and action.due_on < today


def _log_shape(actions: QuerySet[Action], today: dt.date) -> QuerySet[Action]:
    latest = ActionUpdate.objects.filter(action_id=OuterRef("pk")).order_by("-at", "-id")
    return (
        actions.select_related("partner_agency", "meeting")
        .annotate(
            is_overdue=_overdue(today),
            latest_update=Subquery(latest.values("text")[:1]),
            latest_update_at=Subquery(latest.values("at")[:1]),
            # The child whose agenda item raised the action, for the read log (issue 12).
            child_pk=F("agenda_item__referral__child_id"),
        )
        .prefetch_related(
            Prefetch("owners", queryset=User.objects.only("pk", "full_name", "email").order_by("full_name")),
            Prefetch("owner_agencies", queryset=Agency.objects.only("pk", "name").order_by("name")),
        )
    )


def action_log(
    *, user: User, panel: Panel, filters: ActionFilters | None = None, today: dt.date | None = None
) -> QuerySet[Action]:
    """The panel's actions this person may see, in number order, each with whether it is overdue
    and its latest update. Filters use the (panel, status, due_on) index and the owner-agency table."""
    filters = filters or ActionFilters()
    today = today or timezone.localdate()
    actions = access.actions_visible_to(user=user).filter(panel=panel)
    if filters.status == "open":
        actions = actions.filter(status=ActionStatus.OPEN)
    elif filters.status == "closed":
        actions = actions.filter(status=ActionStatus.CLOSED)
    elif filters.status == "overdue":
        actions = actions.filter(status=ActionStatus.OPEN, due_on__lt=today)
    if filters.owner_agency:
        actions = actions.filter(owner_agencies__id=filters.owner_agency)
    return _log_shape(actions, today).order_by("number")


def action_detail(*, user: User, pk: object) -> Action:
    """One action with its owners and its timeline of updates (the access check and the joins in one
    query, then one per related list)."""
    today = timezone.localdate()

    def shape(actions: QuerySet[Action]) -> QuerySet[Action]:
        return actions.annotate(
            is_overdue=_overdue(today), child_pk=F("agenda_item__referral__child_id")
        ).prefetch_related(
            Prefetch("owners", queryset=User.objects.select_related("agency").order_by("full_name")),
            Prefetch("owner_agencies", queryset=Agency.objects.order_by("name")),
            Prefetch("updates", queryset=ActionUpdate.objects.select_related("author").order_by("at", "id")),
        )

    return access.get_action_for_user(user=user, pk=pk, shape=shape)


def open_actions_for_meeting(
    meeting: Meeting, *, user: User | None = None, today: dt.date | None = None
) -> QuerySet[Action]:
    """seeds 003: the action log is reviewed at each meeting, so every action of the panel still open
    and created before the meeting carries forward to its agenda (action-log review item), overdue
    ones marked (`is_overdue`). Pass `user` to scope the list to what that person may see; without it
    the caller must already have checked the person may see the meeting's action-log item."""
    today = today or timezone.localdate()
    actions = Action.objects.filter(
        panel_id=meeting.panel_id, status=ActionStatus.OPEN, created_on__lt=meeting.date
    )
    if user is not None:
        actions = actions.filter(pk__in=access.actions_visible_to(user=user).values("pk"))
    return _log_shape(actions, today).order_by("number")


# --- The tracker ----------------------------------------------------------------------------------

NO_DECISION = "none"  # the outcome filter's value for referrals not decided yet


@dataclass(frozen=True)
class TrackerFilters:
    outcome: str = ""  # an Outcome value, NO_DECISION or "" for all
    pathway: str = ""
    status: str = ""  # the referral's status
    agency: int | None = None  # an agency with a share of the budget it has not declined
    meeting_from: dt.date | None = None
    meeting_to: dt.date | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "pathway": self.pathway,
            "status": self.status,
            "agency": self.agency,
            "meeting_from": self.meeting_from,
            "meeting_to": self.meeting_to,
        }


class Standing(models.TextChoices):
    """Where an agency's part of an agreed decision stands. seeds 002 line 392: the part of a
    decision that impacts an agency that was absent (or below its quorum) is only a recommendation to
    it, which it accepts or declines; until it answers, and if it declines, that agency has not
    agreed to pay it."""

    AGREED = "agreed", "Agreed"
    AWAITING = "awaiting", "Awaiting the agency's answer"
    DECLINED = "declined", "Declined by the agency"


def standing_of(recommendation_status: str | None) -> str:
    """A part's standing from its recommendation's status (None: the agency decided at the meeting)."""
    if recommendation_status == RecommendationStatus.AWAITING:
        return Standing.AWAITING
    if recommendation_status == RecommendationStatus.DECLINED:
        return Standing.DECLINED
    return Standing.AGREED


def _recommendation_status() -> Subquery:
    """The status of the recommendation, if any, to a share's agency under the share's decision
    (annotated on DecisionShare rows: no extra query)."""
    return Subquery(
        AgencyRecommendation.objects.filter(
            decision_id=OuterRef("decision_id"), agency_id=OuterRef("agency_id")
        ).values("status")[:1]
    )


@dataclass(frozen=True)
class BudgetLine:
    """One agency's part of an agreed cost: per period, and weekly and annual side by side, and
    whether the agency has agreed it, is still to answer the panel's recommendation, or declined it."""

    agency_id: int
    agency_name: str
    per_period: Decimal
    period: str
    weekly: Decimal | None
    annual: Decimal | None
    weeks_per_year: int = money.WEEKS_A_YEAR
    standing: str = Standing.AGREED

    @property
    def period_label(self) -> str:
        return CostPeriod(self.period).label if self.period in CostPeriod.values else ""

    @property
    def standing_label(self) -> str:
        return Standing(self.standing).label


@dataclass
class TrackerRow:
    referral: Referral
    meeting_date: dt.date | None
    decision: Decision | None
    lines: list[BudgetLine] = field(default_factory=list)

    @property
    def child_initials(self) -> str:
        return self.referral.child.initials

    @property
    def pathway_label(self) -> str:
        return Pathway(self.referral.pathway).label

    @property
    def urgency_label(self) -> str:
        return Urgency(self.referral.urgency).label

    @property
    def status_label(self) -> str:
        return Status(self.referral.status).label

    @property
    def outcome_label(self) -> str:
        return self.decision.get_outcome_display() if self.decision else "Not decided yet"

    @property
    def decision_status_label(self) -> str:
        if self.decision is None:
            return ""
        return "Signed" if self.decision.status == DecisionStatus.SIGNED else "Draft"

    @property
    def is_agreed(self) -> bool:
        return self.decision is not None and self.decision.outcome in AGREED_OUTCOMES


@dataclass
class AgencyTotal:
    """One agency's parts added up: weekly and annual (recurring costs), and one-off costs apart.
    The tracker's "Agreed" and "Awaiting the agency's answer" tables are each a list of these."""

    agency_id: int
    agency_name: str
    weekly: Decimal = ZERO
    annual: Decimal = ZERO
    one_off: Decimal = ZERO

    def add(self, line: BudgetLine) -> None:
        if line.period == CostPeriod.ONE_OFF:
            self.one_off += line.per_period
        elif line.weekly is not None and line.annual is not None:
            self.weekly += line.weekly
            self.annual += line.annual


@dataclass(frozen=True)
class TrackerTotals:
    """What each agency has agreed to pay, and apart, the parts only recommended to it and still
    awaiting its answer, both by agency name. `agreed` lists every agency with a part it has not
    declined (at £0.00 when all its parts await its answer); `awaiting`, those with a part awaiting
    its answer. Parts an agency declined are in neither."""

    agreed: list[AgencyTotal] = field(default_factory=list)
    awaiting: list[AgencyTotal] = field(default_factory=list)


def budget_lines(
    shares: Iterable[tuple[int, str, Decimal]],
    period: str,
    weeks_per_year: int = money.WEEKS_A_YEAR,
    standings: Mapping[int, str] | None = None,
) -> list[BudgetLine]:
    """Each agency's share with its weekly and annual equivalents, derived from its split amount by
    casework.money.share_equivalents with the decision's weeks a year (a 38-week placement's year is
    38 weeks), so each column adds up exactly to the decision's total, to the penny, and shows the
    figures of the referral's options page and the funding matrix. `standings` (by agency id, from
    standing_of) marks the parts still recommended to an agency or declined by it; the rest agreed."""
    shares = list(shares)
    if not shares:
        return []
    standings = standings or {}
    equivalents = money.share_equivalents([amount for _, _, amount in shares], period, weeks_per_year)
    return [
        BudgetLine(
            agency_id=a_id,
            agency_name=name,
            per_period=amount,
            period=period,
            weekly=w,
            annual=y,
            weeks_per_year=weeks_per_year,
            standing=standings.get(a_id, Standing.AGREED),
        )
        for (a_id, name, amount), (w, y) in zip(shares, equivalents, strict=True)
    ]


class _Tracked(TypedDict):
    """What tracker_referrals annotates each referral with."""

    meeting_date: dt.date | None
    current_decision_id: int | None


class _Recommended(TypedDict):
    """What the tracker annotates each decision share with: its recommendation's status, if any."""

    recommendation_status: str | None


def tracker_referrals(
    *, user: User, panel: Panel, filters: TrackerFilters | None = None
) -> QuerySet[WithAnnotations[Referral, _Tracked]]:
    """Every referral this panel has seen (a non-withdrawn agenda item at one of its meetings) that the
    person may see, latest meeting first, each annotated with the date of its latest meeting here
    and its current decision (the latest version not superseded, from the latest meeting)."""
    filters = filters or TrackerFilters()
    items = AgendaItem.objects.filter(
        referral_id=OuterRef("pk"), meeting__panel_id=panel.pk, withdrawn_at__isnull=True
    )
    current = (
        Decision.objects.filter(referral_id=OuterRef("pk"), agenda_item__meeting__panel_id=panel.pk)
        .exclude(status=DecisionStatus.SUPERSEDED)
        .order_by("-agenda_item__meeting__date", "-version", "-pk")
    )
    in_range = items
    if filters.meeting_from:
        in_range = in_range.filter(meeting__date__gte=filters.meeting_from)
    if filters.meeting_to:
        in_range = in_range.filter(meeting__date__lte=filters.meeting_to)
    referrals = (
        referrals_visible_to(user=user)
        .filter(Exists(in_range))
        .annotate(
            meeting_date=Subquery(items.order_by("-meeting__date").values("meeting__date")[:1]),
            current_decision_id=Subquery(current.values("pk")[:1]),
        )
    )
    if filters.pathway:
        referrals = referrals.filter(pathway=filters.pathway)
    if filters.status:
        referrals = referrals.filter(status=filters.status)
    if filters.outcome == NO_DECISION:
        referrals = referrals.filter(current_decision_id__isnull=True)
    elif filters.outcome:
        referrals = referrals.filter(
            Exists(Decision.objects.filter(pk=OuterRef("current_decision_id"), outcome=filters.outcome))
        )
    if filters.agency:
        # A share the agency declined (the panel's recommendation to it when it was absent, seeds 002
        # line 392) is not its share: the row is listed for it only with a share it has not declined.
        referrals = referrals.filter(
            Exists(
                DecisionShare.objects.filter(
                    decision_id=OuterRef("current_decision_id"), agency_id=filters.agency
                )
            ),
            ~Exists(
                AgencyRecommendation.objects.filter(
                    decision_id=OuterRef("current_decision_id"),
                    agency_id=filters.agency,
                    status=RecommendationStatus.DECLINED,
                )
            ),
        )
    return referrals.select_related("child").order_by("-meeting_date", "-pk")


def tracker_rows(referrals: Iterable[WithAnnotations[Referral, _Tracked]]) -> list[TrackerRow]:
    """Rows for referrals from tracker_referrals (a page, or all of them for an export): their
    decisions with lead agency and shares in two queries, however many rows."""
    referrals = list(referrals)
    ids = [r.current_decision_id for r in referrals if r.current_decision_id]
    decisions = {}
    if ids:
        decisions = {
            d.pk: d
            for d in Decision.objects.filter(pk__in=ids)
            .select_related("lead_agency")
            .prefetch_related(
                Prefetch(
                    "shares",
                    queryset=DecisionShare.objects.select_related("agency")
                    .annotate(recommendation_status=_recommendation_status())
                    .order_by("id"),
                )
            )
        }
    rows = []
    for referral in referrals:
        decision_id = referral.current_decision_id
        decision = decisions.get(decision_id) if decision_id else None
        lines = []
        if decision is not None and decision.outcome in AGREED_OUTCOMES:
            # The prefetch annotates each share with its recommendation's status (tracker_rows above).
            shares = cast("list[WithAnnotations[DecisionShare, _Recommended]]", list(decision.shares.all()))
            lines = budget_lines(
                ((s.agency_id, s.agency.name, s.amount) for s in shares),
                decision.cost_period,
                decision.weeks_per_year,
                {s.agency_id: standing_of(s.recommendation_status) for s in shares},
            )
        rows.append(
            TrackerRow(referral=referral, meeting_date=referral.meeting_date, decision=decision, lines=lines)
        )
    return rows


# Referrals an export fetches at a time: 1 query a chunk through a server-side cursor, then 2 for
# their decisions and shares (tracker_rows), so its memory is one chunk's however many rows it has.
EXPORT_CHUNK = 500


def tracker_rows_streamed(
    referrals: QuerySet[WithAnnotations[Referral, _Tracked]], *, chunk_size: int | None = None
) -> Iterator[TrackerRow]:
    """tracker_rows for every referral of tracker_referrals, in its order, chunk_size (by default
    EXPORT_CHUNK) at a time: nothing is held beyond a chunk (for the exports, which stream every row)."""
    chunk_size = chunk_size or EXPORT_CHUNK
    chunk: list[WithAnnotations[Referral, _Tracked]] = []
    for referral in referrals.iterator(chunk_size=chunk_size):
        chunk.append(referral)
        if len(chunk) >= chunk_size:
            yield from tracker_rows(chunk)
            chunk = []
    if chunk:
        yield from tracker_rows(chunk)


def tracker_totals(referrals: QuerySet[WithAnnotations[Referral, _Tracked]]) -> TrackerTotals:
    """What each agency has agreed to pay across all the filtered rows (not just one page): signed
    decisions that agree funding, weekly and annual (one-off costs apart). seeds 002 line 488
    ("budgets to be used") with line 392: a part that is a recommendation to an agency that was
    absent is counted apart, as awaiting its answer, until it accepts, and a part it declined is not
    counted. One query."""
    shares = (
        DecisionShare.objects.filter(
            decision_id__in=referrals.order_by().values("current_decision_id"),
            decision__status=DecisionStatus.SIGNED,
            decision__outcome__in=AGREED_OUTCOMES,
        )
        .annotate(recommendation_status=_recommendation_status())
        .order_by("decision_id", "id")
        .values_list(
            "decision_id",
            "decision__cost_period",
            "decision__weeks_per_year",
            "agency_id",
            "agency__name",
            "amount",
            "recommendation_status",
        )
    )
    by_decision: dict[int, list[tuple[str, int, tuple[int, str, Decimal], str]]] = defaultdict(list)
    for decision_id, period, weeks, agency_id, name, amount, recommended in shares:
        by_decision[decision_id].append((period, weeks, (agency_id, name, amount), standing_of(recommended)))
    agreed: dict[int, AgencyTotal] = {}
    awaiting: dict[int, AgencyTotal] = {}
    for parts in by_decision.values():
        period, weeks = parts[0][0], parts[0][1]
        standings = {share[0]: standing for _, _, share, standing in parts}
        for line in budget_lines((share for _, _, share, _ in parts), period, weeks, standings):
            if line.standing == Standing.DECLINED:
                continue
            # Every agency with a part it has not declined has a line in `agreed`, if only £0.00.
            agreed_total = agreed.setdefault(line.agency_id, AgencyTotal(line.agency_id, line.agency_name))
            if line.standing == Standing.AWAITING:
                awaiting.setdefault(line.agency_id, AgencyTotal(line.agency_id, line.agency_name)).add(line)
            else:
                agreed_total.add(line)

    def by_name(totals: dict[int, AgencyTotal]) -> list[AgencyTotal]:
        return sorted(totals.values(), key=lambda t: (t.agency_name, t.agency_id))

    return TrackerTotals(agreed=by_name(agreed), awaiting=by_name(awaiting))


OUTCOME_CHOICES = [(NO_DECISION, "Not decided yet"), *Outcome.choices]
