"""Time to decision (issue 18): how long referrals take from started to signed off, submitted,
decided, funding agreed and the package starting, as the median and 90th percentile in working days,
overall and by panel, referring agency, pathway or month; late papers, deferrals, returns for more
information, the latest outcome of each referral, and recommendations to absent agencies with their
answer times.

Reads only the precomputed summaries (reporting.models, written by reporting.summaries), never the
referrals, decisions or packages themselves, and aggregates them in PostgreSQL (percentile_cont): a
fixed number of statements whatever the rows, each over the person's rows of the summary alone.

Access: the rows of the children the person's agency is involved with (casework.access.visible_child_q
on the summary's child): the issue's rule "an agency sees figures for the children it is involved
with". Another partnership's referrals, and those of children the agency is not involved with, are
never counted.

Small numbers (issue 18: "numbers below 5 in cross-agency breakdowns are suppressed", statistical
disclosure control): every count on the report from 1 to 4 is shown as "fewer than 5", and a median
or 90th percentile is shown only when 5 or more referrals (or answers) are behind it. The report's
figures cover several agencies' children, so the rule applies to all of them. The downloads list the
rows behind every figure: each is a referral of a child the person's agency is involved with, whom
they may see already.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Aggregate, Count, FloatField, Max, Q, QuerySet, Sum
from django.utils import timezone

from casework.access import is_usable, visible_child_q
from casework.models import User
from panels.access import panels_visible_to
from panels.models import Outcome, Panel
from referrals.models import Pathway
from reporting.models import DecisionTimeline, RecommendationAnswer

__all__ = [
    "DIMENSIONS",
    "STAGES",
    "SUPPRESS_BELOW",
    "DecisionTimes",
    "Figure",
    "TimeFilters",
    "answer_rows",
    "decision_times",
    "panel_choices",
    "timeline_rows",
]

# Statistical disclosure control: counts from 1 to SUPPRESS_BELOW - 1 are not shown.
SUPPRESS_BELOW = 5

STAGES = {
    "to_sign_off": "Started to signed off",
    "to_submission": "Signed off to submitted",
    "to_decision": "Submitted to decided",
    "to_funding": "Decided to funding agreed",
    "to_package_start": "Funding agreed to package starts",
    "started_to_decided": "Started to decided (the whole way)",
}
DIMENSIONS = {
    "panel": "Panel",
    "agency": "Referring agency",
    "pathway": "Pathway",
    "month": "Month the referral was started",
}
OUTCOMES = dict(Outcome.choices)


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY value): the value at that
    fraction, interpolated between the two nearest (nulls, stages not reached, are left out)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile's fraction is from 0 to 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


@dataclass(frozen=True)
class TimeFilters:
    """The panel, the pathway, the months started (first days, inclusive), and the breakdown."""

    panel: int | None = None
    pathway: str | None = None
    month_from: dt.date | None = None
    month_to: dt.date | None = None
    by: str = "panel"

    def as_dict(self) -> dict[str, object]:
        return {
            "panel": self.panel,
            "pathway": self.pathway,
            "month_from": f"{self.month_from:%Y-%m}" if self.month_from else None,
            "month_to": f"{self.month_to:%Y-%m}" if self.month_to else None,
            "by": self.by,
        }


@dataclass(frozen=True)
class Figure:
    """A count, or a median or 90th percentile in working days, with the disclosure rule applied:
    `value` is None when it is suppressed (`suppressed`) or there is nothing to measure."""

    value: float | int | None
    suppressed: bool = False

    @classmethod
    def count(cls, n: int | None) -> Figure:
        n = n or 0
        return cls(None, True) if 0 < n < SUPPRESS_BELOW else cls(n)

    @classmethod
    def measure(cls, value: float | None, n: int | None) -> Figure:
        n = n or 0
        if 0 < n < SUPPRESS_BELOW:
            return cls(None, True)
        return cls(None if value is None else round(value, 1))

    def __str__(self) -> str:
        if self.suppressed:
            return f"fewer than {SUPPRESS_BELOW}"
        if self.value is None:
            return "–"
        return f"{self.value:g}"


@dataclass(frozen=True)
class StageFigures:
    stage: str
    label: str
    referrals: Figure  # how many reached the stage's end from its start
    median: Figure
    p90: Figure


@dataclass(frozen=True)
class Group:
    """One row of the breakdown: a panel, agency, pathway or month, and its stages."""

    key: str
    label: str
    referrals: Figure
    stages: list[StageFigures]


@dataclass(frozen=True)
class AnswerFigures:
    """Recommendations to absent agencies (all of them, or one answering agency's)."""

    key: str
    label: str
    made: Figure
    answered: Figure
    on_time: Figure
    overdue: Figure  # not answered, and past the date
    median: Figure
    p90: Figure


@dataclass
class DecisionTimes:
    referrals: Figure
    late_papers: Figure
    deferrals: Figure
    returns: Figure
    stages: list[StageFigures]
    outcomes: list[tuple[str, str, Figure]]
    groups: list[Group]
    answers: AnswerFigures
    answers_by_agency: list[AnswerFigures]
    by: str = "panel"
    refreshed_at: dt.datetime | None = None
    today: dt.date = field(default_factory=timezone.localdate)

    @property
    def by_label(self) -> str:
        return DIMENSIONS[self.by]


def panel_choices(*, user: User) -> QuerySet[Panel]:
    """The panels the filter offers: the person's own partnership's (panels.access)."""
    return panels_visible_to(user=user).order_by("name")


def timeline_rows(*, user: User, filters: TimeFilters | None = None) -> QuerySet[DecisionTimeline]:
    """The summary rows the person's figures are made of (and the download lists): the children
    their agency is involved with, narrowed by the filters."""
    filters = filters or TimeFilters()
    if not is_usable(user):
        return DecisionTimeline.objects.none()
    rows = DecisionTimeline.objects.filter(visible_child_q(user=user, field="child"))
    if filters.panel is not None:
        rows = rows.filter(panel_id=filters.panel)
    if filters.pathway:
        rows = rows.filter(pathway=filters.pathway)
    if filters.month_from is not None:
        rows = rows.filter(month__gte=filters.month_from)
    if filters.month_to is not None:
        rows = rows.filter(month__lte=filters.month_to)
    return rows


def answer_rows(*, user: User, filters: TimeFilters | None = None) -> QuerySet[RecommendationAnswer]:
    """The recommendations behind the answer figures: those about the person's rows (timeline_rows)."""
    timelines = timeline_rows(user=user, filters=filters)
    return RecommendationAnswer.objects.filter(timeline__in=timelines.values("pk"))


def _stage_aggregates() -> dict[str, Aggregate]:
    aggregates: dict[str, Aggregate] = {}
    for stage in STAGES:
        aggregates[f"{stage}__n"] = Count(stage)
        aggregates[f"{stage}__median"] = PercentileCont(stage, fraction=0.5)
        aggregates[f"{stage}__p90"] = PercentileCont(stage, fraction=0.9)
    return aggregates


def _stages(row: dict) -> list[StageFigures]:
    return [
        StageFigures(
            stage=stage,
            label=label,
            referrals=Figure.count(row[f"{stage}__n"]),
            median=Figure.measure(row[f"{stage}__median"], row[f"{stage}__n"]),
            p90=Figure.measure(row[f"{stage}__p90"], row[f"{stage}__n"]),
        )
        for stage, label in STAGES.items()
    ]


def _answer_aggregates() -> dict[str, Aggregate]:
    return {
        "made": Count("pk"),
        "answered": Count("answered_on"),
        "on_time": Count("pk", filter=Q(on_time=True)),
        "overdue": Count("pk", filter=Q(answered_on__isnull=True, due_on__lt=timezone.localdate())),
        "median": PercentileCont("answer_working_days", fraction=0.5),
        "p90": PercentileCont("answer_working_days", fraction=0.9),
    }


def _answers(key: str, label: str, row: dict) -> AnswerFigures:
    return AnswerFigures(
        key=key,
        label=label,
        made=Figure.count(row["made"]),
        answered=Figure.count(row["answered"]),
        on_time=Figure.count(row["on_time"]),
        overdue=Figure.count(row["overdue"]),
        median=Figure.measure(row["median"], row["answered"]),
        p90=Figure.measure(row["p90"], row["answered"]),
    )


_GROUP_FIELDS = {
    "panel": ("panel_id", "panel__name"),
    "agency": ("agency_id", "agency__name"),
    "pathway": ("pathway", "pathway"),
    "month": ("month", "month"),
}


def _group_label(by: str, value: object) -> str:
    if by == "pathway":
        return dict(Pathway.choices).get(str(value), str(value))
    if by == "month":
        assert isinstance(value, dt.date)
        return f"{value:%B %Y}"
    return str(value)


def decision_times(*, user: User, filters: TimeFilters | None = None) -> DecisionTimes:
    """The report's figures for this person and filters.

    Queries (4): the overall figures (counts, each stage's median and 90th percentile, the outcomes
    and the latest refresh, one aggregate), the breakdown (one GROUP BY), the recommendations' answers
    overall and by answering agency (one each)."""
    filters = filters or TimeFilters()
    rows = timeline_rows(user=user, filters=filters)
    overall = rows.aggregate(
        referrals=Count("pk"),
        late_papers=Count("pk", filter=Q(is_late_paper=True)),
        deferrals=Sum("deferrals"),
        returns=Sum("returns"),
        refreshed_at=Max("refreshed_at"),
        **{f"outcome__{value}": Count("pk", filter=Q(outcome=value)) for value in OUTCOMES},
        **_stage_aggregates(),
    )
    key, name = _GROUP_FIELDS[filters.by]
    grouped = (
        rows.order_by()
        .values(key, name)
        .annotate(referrals=Count("pk"), **_stage_aggregates())
        .order_by(name if filters.by != "pathway" else key, key)
    )
    groups = [
        Group(
            key=str(row[key]),
            label=_group_label(filters.by, row[name]),
            referrals=Figure.count(row["referrals"]),
            stages=_stages(row),
        )
        for row in grouped
    ]
    if filters.by == "pathway":
        groups.sort(key=lambda group: group.label)
    answers = answer_rows(user=user, filters=filters)
    answers_overall = answers.aggregate(**_answer_aggregates())
    by_agency = (
        answers.order_by()
        .values("agency_id", "agency__name")
        .annotate(**_answer_aggregates())
        .order_by("agency__name", "agency_id")
    )
    return DecisionTimes(
        referrals=Figure.count(overall["referrals"]),
        late_papers=Figure.count(overall["late_papers"]),
        deferrals=Figure.count(overall["deferrals"]),
        returns=Figure.count(overall["returns"]),
        stages=_stages(overall),
        outcomes=[
            (value, label, Figure.count(overall[f"outcome__{value}"])) for value, label in OUTCOMES.items()
        ],
        groups=groups,
        answers=_answers("all", "All agencies", answers_overall),
        answers_by_agency=[_answers(str(row["agency_id"]), row["agency__name"], row) for row in by_agency],
        by=filters.by,
        refreshed_at=overall["refreshed_at"],
    )
