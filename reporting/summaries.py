"""The refresh of Time to decision's summary tables (reporting.models): the only writer of them.

What each field of a DecisionTimeline is, read from the referral's own records:

- started: when the referral was created (Referral.created_at);
- signed off: the first time it reached "ready to submit" (its second signature, referrals.services:
  the service manager's signature moves it there);
- submitted: the first time it reached "submitted" (Referral.submitted_at when no change says so);
- decided: the first time it reached "decided" (the chair signed an outcome that decides it:
  agreed, declined or escalated; a deferral or a return for information does not decide it);
- funding agreed: the earliest `agreed_at` of the funding packages made from it (every share approved);
- package starts: the earliest start date of those packages' first versions;
- each stage's length in working days (casework.working_days: Monday to Friday, not bank holidays in
  England and Wales, not the panel's closure days), a stage not reached being empty;
- its decisions: the current (not superseded) decisions on it, how many were deferrals and returns
  for more information, and the latest one's outcome;
- month: the month the referral was started (a row's month never changes, so a month's figures only
  grow as its referrals move on).

A RecommendationAnswer is one recommendation to an agency absent from the meeting (seeds 002: it
answers within Panel.absent_agency_response_working_days, 3 working days), on a current decision about
the referral: its due date, when it was answered, and the working days from the meeting to the answer.

Two ways in, both idempotent (run twice, the same rows; each row is written whole from its sources):
- `decision_times_refresh(partnership=...)` rewrites every row of one partnership (the panels'
  partnership): the nightly job (reporting.tasks) and after a change of closure days;
- `decision_times_refresh_changed()` reads the audit trail as the change feed: every write of the
  product records an audit event naming its child (referral moves, decisions, recommendations'
  answers, funding packages and shares), so the children with events since the last run are the
  ones whose rows may have changed; their referrals' rows are rewritten. Run every minute by the beat
  (reporting.tasks), it reads on from where it stopped with an overlap, so an event committed late
  is still seen. The reporting app sits on top of the import ladder (ADR 0011), so the domain apps'
  services cannot call it; the audit trail they already write is how it learns of their writes.

Queries per refresh: the referrals, their status changes, their packages, their decisions, their
recommendations, the panels' closure days, then the writes in batches: a fixed number whatever the
rows (tests/reporting/test_decision_times_refresh.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from casework.models import AuditEvent
from casework.working_days import is_working_day
from funding.models import FundingPackage, PackageVersion
from panels.models import AgencyRecommendation, Decision, DecisionStatus, Outcome
from panels.selectors import closures_by_panel
from referrals.models import Referral, StatusChange
from referrals.models import Status as ReferralStatus
from reporting.models import DecisionTimeline, RecommendationAnswer, RefreshMark

__all__ = [
    "CHANGE_FEED_OVERLAP",
    "decision_times_refresh",
    "decision_times_refresh_changed",
    "timeline_rows",
]

# How far back each run of the change feed reads again before its mark: an audit event written in a
# transaction that committed after a later one was read is still taken (its `at` is the insert time).
CHANGE_FEED_OVERLAP = dt.timedelta(minutes=5)
MARK = "decision_times"
BATCH = 2000

TIMELINE_FIELDS = [
    "partnership",
    "child",
    "panel",
    "agency",
    "pathway",
    "month",
    "status",
    "is_late_paper",
    "started_at",
    "signed_off_at",
    "submitted_at",
    "decided_at",
    "funding_agreed_at",
    "package_starts_on",
    "to_sign_off",
    "to_submission",
    "to_decision",
    "to_funding",
    "to_package_start",
    "started_to_decided",
    "outcome",
    "deferrals",
    "returns",
    "decisions",
    "refreshed_at",
]
ANSWER_FIELDS = [
    "timeline",
    "agency",
    "meeting_on",
    "due_on",
    "status",
    "answered_on",
    "answer_working_days",
    "on_time",
]


def _day(value: dt.datetime | dt.date | None) -> dt.date | None:
    """The local date of a moment (Europe/London); a date as it is."""
    if isinstance(value, dt.datetime):
        return value.astimezone(timezone.get_current_timezone()).date()
    return value


class WorkingDays:
    """working_days_between for many pairs of dates of one panel: a running count of its working
    days (casework.working_days.is_working_day, the panel's closure days) over the dates asked, so
    each pair is one subtraction, not a walk over the days between (a partnership's refresh counts
    six stages for each of tens of thousands of referrals)."""

    def __init__(self, closures: Iterable[dt.date] = ()):
        self.closed = frozenset(closures)
        self.start: dt.date | None = None
        self.counts: list[int] = []

    def _extend(self, day: dt.date) -> None:
        if self.start is None:
            self.start, self.counts = day, [0]
        if day < self.start:
            days = (self.start - day).days
            span = [day + dt.timedelta(days=i) for i in range(1, days + 1)]  # (day, old start]
            shift = sum(1 for d in span if is_working_day(d, self.closed))
            head, running = [0], 0
            for d in span[:-1]:
                running += is_working_day(d, self.closed)
                head.append(running)
            self.counts = head + [c + shift for c in self.counts]
            self.start = day
        last = self.start + dt.timedelta(days=len(self.counts) - 1)
        while last < day:
            last += dt.timedelta(days=1)
            self.counts.append(self.counts[-1] + is_working_day(last, self.closed))

    def _count(self, day: dt.date) -> int:
        self._extend(day)
        assert self.start is not None
        return self.counts[(day - self.start).days]

    def between(self, start: dt.date | None, end: dt.date | None) -> int | None:
        """The working days after `start` up to and including `end` (negative when `end` is
        earlier), as casework.working_days.working_days_between; None when either is missing."""
        if start is None or end is None:
            return None
        self._extend(min(start, end))  # both counted from the same first day
        return self._count(end) - self._count(start)


# Which referrals a refresh rewrites: one lookup on Referral and its value, ("panel__partnership",
# "Hampshire and Isle of Wight") or ("child_id__in", [ids]).
Scope = tuple[str, object]


def _scoped(scope: Scope, prefix: str = "") -> Q:
    """The scope as a filter on Referral, or from a related model (`prefix` "referral__" and the like)."""
    lookup, value = scope
    return Q(**{prefix + lookup: value})


def timeline_rows(scope: Scope) -> tuple[list[DecisionTimeline], list[RecommendationAnswer]]:
    """The summary rows of the referrals in `scope`, computed from their
    records as the module's docstring says: unsaved, for the refresh to write and the tests to
    compare."""
    referrals = list(
        Referral.objects.filter(_scoped(scope))
        .order_by("pk")
        .values(
            "pk",
            "child_id",
            "panel_id",
            "panel__partnership",
            "referrer_agency_id",
            "pathway",
            "status",
            "created_at",
            "submitted_at",
            "is_late_paper",
        )
    )
    if not referrals:
        return [], []
    firsts: dict[tuple[int, str], dt.datetime] = {
        (row["referral_id"], row["new_status"]): row["first"]
        for row in StatusChange.objects.filter(
            _scoped(scope, "referral__"),
            new_status__in=[ReferralStatus.READY_TO_SUBMIT, ReferralStatus.SUBMITTED, ReferralStatus.DECIDED],
        )
        .order_by()
        .values("referral_id", "new_status")
        .annotate(first=Min("at"))
    }
    packages = {
        row["referral_id"]: row
        for row in FundingPackage.objects.filter(_scoped(scope, "referral__"))
        .order_by()
        .values("referral_id")
        .annotate(agreed=Min("agreed_at"))
    }
    starts = {
        row["package__referral_id"]: row["starts"]
        for row in PackageVersion.objects.filter(_scoped(scope, "package__referral__"), number=1)
        .order_by()
        .values("package__referral_id")
        .annotate(starts=Min("starts_on"))
    }
    decisions: dict[int, list[tuple[dt.datetime, int, str]]] = defaultdict(list)
    for referral_id, recorded_at, pk, outcome in (
        Decision.objects.filter(_scoped(scope, "referral__"))
        .exclude(status=DecisionStatus.SUPERSEDED)
        .values_list("referral_id", "recorded_at", "pk", "outcome")
    ):
        decisions[referral_id].append((recorded_at, pk, outcome))
    recommendations = list(
        AgencyRecommendation.objects.filter(_scoped(scope, "decision__referral__"))
        .exclude(decision__status=DecisionStatus.SUPERSEDED)
        .order_by("pk")
        .values(
            "pk",
            "decision__referral_id",
            "agency_id",
            "decision__agenda_item__meeting__date",
            "due_on",
            "status",
            "responded_at",
        )
    )
    closures = closures_by_panel(panel_ids={row["panel_id"] for row in referrals})
    counters = {panel_id: WorkingDays(days) for panel_id, days in closures.items()}
    now = timezone.now()

    timelines: list[DecisionTimeline] = []
    panel_of: dict[int, int] = {}
    for row in referrals:
        pk = row["pk"]
        wd = counters[row["panel_id"]].between
        panel_of[pk] = row["panel_id"]
        started = row["created_at"]
        signed = firsts.get((pk, ReferralStatus.READY_TO_SUBMIT))
        submitted = firsts.get((pk, ReferralStatus.SUBMITTED)) or row["submitted_at"]
        decided = firsts.get((pk, ReferralStatus.DECIDED))
        package = packages.get(pk)
        agreed = package["agreed"] if package else None
        starts_on = starts.get(pk)
        made = sorted(decisions.get(pk, []))
        start_day = _day(started)
        signed_day, submitted_day, decided_day, agreed_day = map(_day, (signed, submitted, decided, agreed))
        assert start_day is not None
        timelines.append(
            DecisionTimeline(
                referral_id=pk,
                partnership=row["panel__partnership"],
                child_id=row["child_id"],
                panel_id=row["panel_id"],
                agency_id=row["referrer_agency_id"],
                pathway=row["pathway"],
                month=start_day.replace(day=1),
                status=row["status"],
                is_late_paper=row["is_late_paper"],
                started_at=started,
                signed_off_at=signed,
                submitted_at=submitted,
                decided_at=decided,
                funding_agreed_at=agreed,
                package_starts_on=starts_on,
                to_sign_off=wd(start_day, signed_day),
                to_submission=wd(signed_day, submitted_day),
                to_decision=wd(submitted_day, decided_day),
                to_funding=wd(decided_day, agreed_day),
                to_package_start=wd(agreed_day, starts_on),
                started_to_decided=wd(start_day, decided_day),
                outcome=made[-1][2] if made else "",
                deferrals=sum(1 for *_, outcome in made if outcome == Outcome.DEFERRED),
                returns=sum(1 for *_, outcome in made if outcome == Outcome.RETURNED),
                decisions=len(made),
                refreshed_at=now,
            )
        )
    answers = []
    for rec in recommendations:
        referral_id = rec["decision__referral_id"]
        meeting_on = rec["decision__agenda_item__meeting__date"]
        answered = _day(rec["responded_at"])
        answers.append(
            RecommendationAnswer(
                recommendation_id=rec["pk"],
                timeline_id=referral_id,
                agency_id=rec["agency_id"],
                meeting_on=meeting_on,
                due_on=rec["due_on"],
                status=rec["status"],
                answered_on=answered,
                answer_working_days=counters[panel_of[referral_id]].between(meeting_on, answered),
                on_time=None if answered is None else answered <= rec["due_on"],
            )
        )
    return timelines, answers


@transaction.atomic
def _write(scope: Scope) -> int:
    timelines, answers = timeline_rows(scope)
    DecisionTimeline.objects.bulk_create(
        timelines,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["referral"],
        update_fields=TIMELINE_FIELDS,
    )
    # A recommendation whose decision was superseded since the last refresh is no longer counted.
    kept = [answer.recommendation_id for answer in answers]
    stale = RecommendationAnswer.objects.filter(_scoped(scope, "timeline__referral__"))
    stale.exclude(recommendation_id__in=kept).delete()
    RecommendationAnswer.objects.bulk_create(
        answers,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["recommendation"],
        update_fields=ANSWER_FIELDS,
    )
    return len(timelines)


def decision_times_refresh(*, partnership: str) -> int:
    """Rewrite every Time to decision row of one partnership's referrals (those of its panels);
    returns how many referrals. Idempotent: the rows depend only on the referrals' records."""
    return _write(("panel__partnership", partnership))


def decision_times_refresh_for_children(*, child_ids: Iterable[int]) -> int:
    """Rewrite the rows of these children's referrals (after writes about them)."""
    ids = sorted(set(child_ids))
    return _write(("child_id__in", ids)) if ids else 0


def decision_times_refresh_changed(*, now: Callable[[], dt.datetime] = timezone.now) -> int:
    """The change feed: rewrite the rows of the children named by audit events since the last run
        (less CHANGE_FEED_OVERLAP), then move the mark to when this run started: an event is read by
    every run within CHANGE_FEED_OVERLAP of it (the same rows again), then no more. The first run has no mark:
        it rewrites every partnership. Returns how many referrals' rows were written."""
    with transaction.atomic():
        mark = RefreshMark.objects.select_for_update().filter(name=MARK).first()
        started = now()
        if mark is None:
            partnerships = Referral.objects.order_by().values_list("panel__partnership", flat=True).distinct()
            written = sum(_write(("panel__partnership", p)) for p in partnerships)
            RefreshMark.objects.create(name=MARK, upto=started)
            return written
        events = AuditEvent.objects.filter(at__gt=mark.upto - CHANGE_FEED_OVERLAP, child__isnull=False)
        child_ids = list(events.order_by().values_list("child_id", flat=True).distinct())
        written = decision_times_refresh_for_children(child_ids=child_ids)
        RefreshMark.objects.filter(name=MARK).update(upto=max(started, mark.upto))
        return written
