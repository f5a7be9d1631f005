"""Every read of pathway cases a page or the API needs, with its query shape.

`pathway_timeline_for_child` is what the child's page shows: the cases, their events, their key
dates and what is due next (overdue marked). Clocks and review intervals come from the partnership's
PathwaySettings row (or the default row), never constants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from casework.models import Agency, Child, User
from funding.access import packages_visible_to
from funding.models import FundingPackage
from pathways import access
from pathways.models import (
    LEVEL_RANK,
    CaseEvent,
    CaseKind,
    DSTDomain,
    DSTScore,
    Level,
    MDTMeeting,
    PathwayCase,
    PathwaySettings,
    Recommendation,
    Status,
)
from referrals.access import referrals_visible_to
from referrals.models import Referral

__all__ = [
    "CaseSummary",
    "DSTPrompt",
    "case_detail",
    "cases_for_child",
    "dst_prompt",
    "dst_rows",
    "dst_scores",
    "funding_packages_for_case",
    "is_funding_package_for_case",
    "mdt_meetings",
    "next_due",
    "open_continuing_care",
    "panel_referrals_for_case",
    "package_label",
    "pathway_timeline_for_child",
    "recorded_package",
    "settings_for",
    "transition_steps",
]


def _all_settings() -> dict[str, PathwaySettings]:
    return {row.partnership: row for row in PathwaySettings.objects.all()}


def settings_for(agency: Agency, *, rows: dict[str, PathwaySettings] | None = None) -> PathwaySettings:
    """The lead agency's partnership settings, else the default row, else the model defaults."""
    rows = rows if rows is not None else _all_settings()
    return rows.get(agency.partnership) or rows.get("") or PathwaySettings()


def open_continuing_care(*, child: Child) -> PathwayCase | None:
    """The child's Continuing Care case still in progress (not closed or ended), if any: while one
    is open, a Complex Lives case needs a reason (complex_lives_open)."""
    return (
        PathwayCase.objects.filter(child=child, kind=CaseKind.CONTINUING_CARE)
        .exclude(status__in=[Status.CLOSED, Status.ENDED])
        .order_by("pk")
        .first()
    )


# --- The DST prompt -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DSTPrompt:
    suggests_needs: bool
    summary: str
    reasons: list[str]


def dst_prompt(*, scores: Iterable[DSTScore], settings: PathwaySettings) -> DSTPrompt:
    """Whether the scores look like continuing care needs: at least `dst_prompt_priority` priority,
    or `dst_prompt_severe` severe-or-above, or `dst_prompt_high` high-or-above (settings; 0 = off).
    A prompt only: the assessor decides and gives reasons (National Framework 2016)."""
    ranks = [LEVEL_RANK[s.level] for s in scores]
    priority = sum(r >= LEVEL_RANK[Level.PRIORITY] for r in ranks)
    severe = sum(r >= LEVEL_RANK[Level.SEVERE] for r in ranks)
    high = sum(r >= LEVEL_RANK[Level.HIGH] for r in ranks)
    reasons = []
    if settings.dst_prompt_priority and priority >= settings.dst_prompt_priority:
        reasons.append(f"{priority} domain(s) at priority")
    if settings.dst_prompt_severe and severe >= settings.dst_prompt_severe:
        reasons.append(f"{severe} domain(s) at severe or above")
    if settings.dst_prompt_high and high >= settings.dst_prompt_high:
        reasons.append(f"{high} domain(s) at high or above")
    if reasons:
        return DSTPrompt(True, "Needs that look like continuing care needs", reasons)
    return DSTPrompt(False, "Needs that do not look like continuing care needs", [])


def dst_scores(*, cc) -> list[DSTScore]:
    """The continuing care case's DST scores, each with its domain."""
    return list(cc.scores.select_related("domain"))


def mdt_meetings(*, case: PathwayCase) -> QuerySet[MDTMeeting]:
    """A Complex Lives case's MDT meetings, each with its agencies."""
    return case.mdt_meetings.prefetch_related("agencies")


def dst_rows(*, cc) -> list[dict]:
    """Each domain with its allowed levels and the current score (two queries)."""
    scores = {s.domain_id: s for s in cc.scores.all()}
    return [{"domain": d, "score": scores.get(d.pk)} for d in DSTDomain.objects.all()]


# --- Transition to adult services ---------------------------------------------------------------

STEP_AGES = (
    ("adult_team_told_on", 14, "Tell the adult team"),
    ("adult_checklist_on", 16, "Adult NHS Continuing Healthcare checklist (at 16 to 17)"),
    ("decision_in_principle_on", 17, "Adult decision in principle"),
    ("adult_package_on", 18, "Adult package in place"),
)


def _birthday(born: dt.date, age: int) -> dt.date:
    return born + relativedelta(years=age)


def transition_steps(*, cc, child: Child, today: dt.date | None = None) -> dict:
    """Where the move to adult NHS Continuing Healthcare stands, from the child's date of birth."""
    today = today or timezone.localdate()
    steps = []
    for attr, age, label in STEP_AGES:
        from_date = _birthday(child.date_of_birth, age)
        done = getattr(cc, attr)
        state = "done" if done else ("due" if today >= from_date else "upcoming")
        steps.append({"step": attr, "label": label, "from": from_date, "done_on": done, "state": state})
    due = [s for s in steps if s["state"] == "due"]
    upcoming = [s for s in steps if s["state"] == "upcoming"]
    if due:
        stands = f"Due now: {due[0]['label'].lower()}"
    elif upcoming:
        stands = f"Next: {upcoming[0]['label'].lower()} from {upcoming[0]['from']:%-d %B %Y}"
    else:
        stands = "Transition complete"
    return {"steps": steps, "stands": stands, "age": child.age_on(today)}


# --- Case summaries -----------------------------------------------------------------------------


@dataclass
class Due:
    label: str
    on: dt.date
    overdue: bool


@dataclass
class CaseSummary:
    case: PathwayCase
    events: list[CaseEvent]
    key_dates: list[tuple[str, dt.date]] = field(default_factory=list)
    next_due: Due | None = None
    show_clinical: bool = False

    @property
    def kind(self) -> str:
        return self.case.get_kind_display()

    @property
    def status(self) -> str:
        return self.case.get_status_display()


def next_due(case: PathwayCase, settings: PathwaySettings, today: dt.date | None = None) -> Due | None:
    """What is due next on the case, and whether it is overdue. Uses prefetched reviews."""
    today = today or timezone.localdate()
    reviews = list(case.reviews.all())
    last_review = reviews[-1].held_on if reviews else None
    if case.kind == CaseKind.CONTINUING_CARE:
        cc = case.continuing_care
        if case.status in (Status.CHECKLIST, Status.ASSESSMENT, Status.RECOMMENDED):
            return Due("Decision", cc.decision_due_on, today > cc.decision_due_on)
        if case.status == Status.PACKAGE and cc.package_started_on:
            on = (
                last_review + relativedelta(months=settings.cc_review_interval_months)
                if last_review
                else cc.package_started_on + relativedelta(months=settings.cc_first_review_months)
            )
            return Due("Review", on, today > on)
    elif case.kind == CaseKind.SECTION_117 and case.status == Status.AFTERCARE:
        s117 = case.section_117
        start = last_review or s117.discharged_on or s117.detained_on
        on = start + relativedelta(months=settings.s117_review_interval_months)
        return Due("Review", on, today > on)
    elif case.kind == CaseKind.IFR and case.status in (Status.SUBMITTED, Status.APPEAL):
        on = case.ifr.decision_due_on
        return Due("IFR panel decision", on, today > on)
    return None


def _key_dates(case: PathwayCase) -> list[tuple[str, dt.date]]:
    out: list[tuple[str, dt.date | None]] = [("Opened", case.opened_on)]
    if case.kind == CaseKind.CONTINUING_CARE:
        cc = case.continuing_care
        out += [
            ("Referral received", cc.referral_received_on),
            ("Checklist", cc.checklist_completed_on),
            ("Recommendation", cc.recommended_on),
            ("Decision", cc.decided_on),
            ("Package started", cc.package_started_on),
        ]
    elif case.kind == CaseKind.SECTION_117:
        s117 = case.section_117
        out += [("Detained", s117.detained_on), ("Discharged", s117.discharged_on)]
    elif case.kind == CaseKind.IFR:
        out += [("Submitted", case.ifr.submitted_on), ("Decided", case.ifr.decided_on)]
    out += [("Review", r.held_on) for r in case.reviews.all()]
    return [(label, day) for label, day in out if day]


def _shaped(qs: QuerySet[PathwayCase]) -> QuerySet[PathwayCase]:
    return qs.select_related(
        "child",
        "lead_agency",
        "case_worker",
        "continuing_care",
        "continuing_care__panel_referral__panel",
        "section_117",
        "complex_lives",
        "ifr",
    ).prefetch_related(
        Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
        "reviews",
        # The DST's fingerprint (services.dst_fingerprint), shown to API clients to send back.
        Prefetch("continuing_care__scores", queryset=DSTScore.objects.select_related("domain")),
    )


def cases_for_child(*, user: User, child: Child) -> QuerySet[PathwayCase]:
    """The child's cases the user may see (none for an outsider), newest first, fully shaped."""
    return _shaped(access.cases_visible_to(user=user).filter(child_id=child.pk))


def pathway_timeline_for_child(*, user: User, child: Child) -> list[CaseSummary]:
    """The child's pathway cases with events, key dates and what is due next.

    Queries: cases with their details and people (1), events with actors (1), reviews (1), the
    settings rows (1), Continuing Care's DST scores with their domains (1), plus the user's agency
    once for the IFR clinical-detail rule.
    """
    cases = list(cases_for_child(user=user, child=child))
    if not cases:
        return []
    rows = _all_settings()
    today = timezone.localdate()
    show_clinical = access.can_see_ifr_clinical(user=user)
    return [
        CaseSummary(
            case=case,
            events=list(case.events.all()),
            key_dates=_key_dates(case),
            next_due=next_due(case, settings_for(case.lead_agency, rows=rows), today),
            show_clinical=show_clinical,
        )
        for case in cases
    ]


def case_detail(*, user: User, pk: object, need: str = "view") -> CaseSummary:
    case = access.get_case_for_user(user=user, pk=pk, need=need, shape=_shaped)
    settings = settings_for(case.lead_agency)
    return CaseSummary(
        case=case,
        events=list(case.events.all()),
        key_dates=_key_dates(case),
        next_due=next_due(case, settings),
        show_clinical=access.can_see_ifr_clinical(user=user),
    )


def recommendation_label(value: str) -> str:
    return Recommendation(value).label if value else ""


def panel_referrals_for_case(*, user: User, case: PathwayCase) -> QuerySet[Referral]:
    """The case's child's panel referrals this person can see, newest first, with their panels (one
    query): a Continuing Care decision names the one whose panel made it by choosing it here."""
    return (
        referrals_visible_to(user=user)
        .filter(child_id=case.child_id)
        .select_related("panel")
        .order_by("-created_at", "-id")
    )


def funding_packages_for_case(*, user: User, case: PathwayCase) -> QuerySet[FundingPackage]:
    """The case's child's funding packages this person can see (funding.access), newest first, with
    their current version and its provider in the same query: a Continuing Care package or a Section
    117 plan names its funding package by choosing it here, never by typing its number."""
    return (
        packages_visible_to(user=user)
        .filter(child_id=case.child_id)
        .select_related("current_version__provider")
        .order_by("-created_at", "-id")
    )


def is_funding_package_for_case(*, user: User, case: PathwayCase, pk: int) -> bool:
    """Whether `pk` is one of funding_packages_for_case (one query): the API's check of a package id."""
    return packages_visible_to(user=user).filter(child_id=case.child_id, pk=pk).exists()


def _package_name(package: FundingPackage) -> str:
    """What a person recognises a package by: its service and provider (its current version's)."""
    version = package.current_version
    if version is None:
        return "Funding package without terms"
    service = Truncator(" ".join(version.service_description.split())).chars(80)
    return f"{service}, {version.provider.name}"


def package_label(package: FundingPackage) -> str:
    """E.g. "Residential placement, Oak House — agreed, from 1 May 2026" (package selected with
    funding_packages_for_case: no query)."""
    version = package.current_version
    since = f", from {version.starts_on:%-d %B %Y}" if version is not None else ""
    return f"{_package_name(package)} — {package.get_status_display().lower()}{since}"


@dataclass(frozen=True)
class RecordedPackage:
    """The funding package a case names, as this person may see it: `url` only when they may open it
    (else its name alone)."""

    text: str
    url: str = ""


NOT_THE_CHILDS = "Not one of this child's funding packages (it was recorded by number)"


def recorded_package(*, user: User, case: PathwayCase, ref: int | None) -> RecordedPackage | None:
    """The case's recorded funding package (`ref`, its id) for its page, in one query. A package of
    another child (only possible for one typed as a number before they were chosen) shows nothing of
    it."""
    if not ref:
        return None
    visible = packages_visible_to(user=user).filter(pk=OuterRef("pk"))
    package = (
        FundingPackage.objects.filter(pk=ref, child_id=case.child_id)
        .select_related("current_version__provider")
        .annotate(may_open=Exists(visible))
        .first()
    )
    if package is None:
        return RecordedPackage(text=NOT_THE_CHILDS)
    if package.may_open:
        return RecordedPackage(text=package_label(package), url=reverse("funding:detail", args=[package.pk]))
    return RecordedPackage(text=_package_name(package))
