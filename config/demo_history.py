"""A year of panel history for the demo, at the volume a partnership works at: about 150 referrals
each, every meeting of the past year held with its agenda, attendance, signed decisions, absent
agencies' recommendations, minutes, letters and action log, and the funding packages the decisions
agreed with their shares approved (or, lately, still awaiting finance), so My work, the tracker,
commitments and reports look like a working month.

Deterministic (a fixed random seed per partnership; dates counted back from today) and idempotent
(a partnership whose history children exist is left alone). Run by `manage.py seed_demo` (so
`make run`) after the rest of the demo, not by the tests' load_demo().

Why rows are written here and not through the services: the services keep the clock (an agenda is
built and papers circulated only before a meeting ends; decisions and letters carry the moment they
were made) and tell people what happened (notices and e-mails). A year ago cannot be replayed
through them without faking time and sending hundreds of e-mails, so this module writes the rows
those services would have written, on the dates they would have written them, by the same rules:
the amounts from casework.money (the penny rule), the deadlines from the panel's working days, a
recommendation to every impacted agency that was absent (seeds 002, Joint Funding Panel terms of
reference), shares approved by the finance approver whose delegated limit covers them, and an audit
event for each step (at its date), so every record's trail reads as it happened.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Max
from django.utils import timezone
from faker import Faker

from casework.cetr import child_needs_cetr, valid_until_for
from casework.demo import HISTORY_CASE_PREFIX, email_for
from casework.models import (
    Agency,
    AuditEvent,
    CetrRecord,
    Child,
    DSRRating,
    Gender,
    Involvement,
    InvolvementRole,
    LegalStatus,
    ParentCarer,
    ProviderKind,
    Role,
    SchoolType,
    User,
)
from casework.money import SplitLine, split_amounts, year_worth
from casework.nhs import synthetic_nhs_number
from casework.services import involvement_add_for_funding
from casework.working_days import add_working_days
from funding.models import (
    FundingCategory,
    FundingPackage,
    PackageEvent,
    PackageStatus,
    PackageVersion,
    Provider,
    ShareLine,
    ShareStatus,
)
from panels import services as panel_services
from panels.cadence import meeting_dates
from panels.models import (
    Action,
    ActionStatus,
    ActionUpdate,
    AgencyRecommendation,
    AgendaItem,
    AgendaItemKind,
    Attendance,
    AttendanceStatus,
    Decision,
    DecisionLetter,
    DecisionShare,
    DecisionStatus,
    LetterRecipient,
    Meeting,
    MeetingStatus,
    Membership,
    Minutes,
    MinutesStatus,
    Outcome,
    Panel,
    RecommendationStatus,
)
from referrals.models import (
    Option,
    OptionShare,
    Referral,
    RequestType,
    SignOff,
    SignOffDecision,
    SignOffStage,
    Status,
    StatusChange,
)
from referrals.services.state import content_hash

LONDON = ZoneInfo("Europe/London")
REFERRALS_PER_PARTNERSHIP = 155  # agenda items come to a little more: some referrals come back
RECENT = dt.timedelta(days=35)  # decisions this recent may still be waiting for finance


@dataclass(frozen=True)
class Partnership:
    key: str  # the council's key in casework/demo.py
    council: str
    sen: str
    icb: str
    panels: tuple[str, ...]


PARTNERSHIPS = [
    Partnership(
        "hants",
        "Hampshire County Council Children's Services",
        "Hampshire County Council SEN Service",
        "NHS Hampshire and Isle of Wight ICB",
        ("Hampshire Integrated Resource Allocation Panel",),
    ),
    Partnership(
        "leics",
        "Leicestershire County Council Children and Family Services",
        "Leicestershire County Council SEND Service",
        "NHS Leicester, Leicestershire and Rutland ICB",
        ("Leicestershire Joint Funding Panel (Complex Cases)", "Leicestershire Joint Solutions Panel"),
    ),
]
DOMAINS = {"hants": ("hants", "hants-sen", "hiow-icb"), "leics": ("leics", "leics-sen", "llr-icb")}

# (description, provider, provider kind, weekly cost range in pounds, weeks a year)
SERVICES = [
    (
        "Overnight support at home, {n} nights a week",
        "Solent Care at Home Ltd",
        ProviderKind.DOMICILIARY,
        (600, 1900),
        52,
    ),
    (
        "Short breaks: {n} nights a month at a short-break unit",
        "Willow Short Breaks",
        ProviderKind.HEALTH,
        (350, 1200),
        52,
    ),
    (
        "Specialist therapeutic foster placement",
        "Foster Care Associates",
        ProviderKind.FOSTERING,
        (900, 1700),
        52,
    ),
    (
        "Two-to-one support in the community, {n} hours a week",
        "Community Support Partners",
        ProviderKind.DOMICILIARY,
        (700, 2400),
        52,
    ),
    (
        "Independent special school day placement",
        "Oakfield Specialist School",
        ProviderKind.EDUCATION,
        (1200, 2300),
        38,
    ),
    (
        "Positive behaviour support from a specialist team",
        "PBS Associates",
        ProviderKind.HEALTH,
        (300, 900),
        52,
    ),
    (
        "Speech and language therapy and occupational therapy",
        "Therapy Partners CIC",
        ProviderKind.HEALTH,
        (150, 500),
        38,
    ),
    ("Home care package with night sitting", "Bluebird Care", ProviderKind.DOMICILIARY, (800, 2100), 52),
]
NEEDS = [
    "Autistic, with high anxiety and distressed behaviour at home; night-time waking most nights.",
    "Complex epilepsy with rescue medication; needs trained carers at all times.",
    "Severe learning disability and self-injury; parents report exhaustion.",
    "Eating disorder below the threshold for inpatient care; weight monitored weekly.",
    "ADHD and attachment difficulties; the foster placement is under strain.",
    "Cerebral palsy with a gastrostomy; needs two carers for moving and handling.",
    "Emotionally based school avoidance; out of school for two terms.",
    "Mental health crisis after a hospital admission; needs a stepped discharge.",
]
RATIONALES = [
    "Keeps the child at home and in school, at a fraction of the cost of a residential placement.",
    "The assessments agree on the need; the option is the least restrictive that meets it.",
    "The family's views and the child's wishes support this option; the costs are proportionate.",
    "The provider has capacity now; the alternatives would leave the child without support for months.",
]
NOT_AGREED = {
    Outcome.DECLINED: "The needs can be met from universal and targeted services already in place.",
    Outcome.DEFERRED: "The panel will decide when the health assessment due this month is available.",
    Outcome.RETURNED: "The panel needs the updated EHC plan and a costed alternative before it can decide.",
}
ACTIONS = [
    ("Send the panel the updated health assessment", "The panel can decide at its next meeting"),
    ("Confirm the provider can start on the agreed date", "The package starts on time"),
    ("Agree the education contribution with the SEN service", "A written agreement on the costs"),
    ("Arrange a review meeting with the family", "The family's views inform the review"),
    ("Share the placement search results with the ICB", "A joint view of the options"),
    ("Complete the transition plan for the move to adult services", "A plan in place by 17½"),
]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


@dataclass
class _Plan:
    """One referral as it went through the panel: its child, its options and each agenda item."""

    child_index: int
    panel: Panel
    created: dt.date
    submitted: dt.date
    urgency: str
    service: int
    nights: int
    weekly: Decimal
    splits: list[tuple[str, Decimal]]  # (agency key, percentage)
    review_weeks: int = 52  # an agreed package is reviewed this long after it starts
    review_of: _Plan | None = None
    target: Meeting | None = None  # submitted on time to a meeting still to come
    items: list[tuple[Meeting, str]] = field(default_factory=list)  # (meeting, outcome)
    referral: Referral | None = None
    reviewed: bool = False
    decisions: list[Decision] = field(default_factory=list)


class _Audit:
    """Audit events at the dates the steps happened, written in one go."""

    def __init__(self) -> None:
        self.rows: list[AuditEvent] = []

    def add(self, *, at, actor, action, obj, child=None, changes=None) -> None:
        self.rows.append(
            AuditEvent(
                at=at,
                actor=actor,
                action=action,
                object_type=obj._meta.label,
                object_id=str(obj.pk),
                object_repr=str(obj)[:300],
                child=child,
                changes=changes or {},
            )
        )

    def save(self) -> int:
        self.rows.sort(key=lambda row: row.at)
        AuditEvent.objects.bulk_create(self.rows, batch_size=2000)
        return len(self.rows)


def load_history(today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    made: dict[str, int] = defaultdict(int)
    for spec in PARTNERSHIPS:
        for what, n in _partnership(spec, today).items():
            made[what] += n
    return dict(made)


def _partnership(spec: Partnership, today: dt.date) -> dict[str, int]:
    council = Agency.objects.filter(name=spec.council).first()
    panels = list(Panel.objects.filter(name__in=spec.panels).order_by("name"))
    if council is None or len(panels) != len(spec.panels):
        return {}
    if Child.objects.filter(owning_agency=council, case_number__startswith=HISTORY_CASE_PREFIX).exists():
        return {}  # loaded on an earlier run
    agencies = {
        "council": council,
        "sen": Agency.objects.get(name=spec.sen),
        "icb": Agency.objects.get(name=spec.icb),
    }
    c, s, i = DOMAINS[spec.key]
    emails = {
        "worker": email_for("social.worker", c),
        "tm": email_for("team.manager", c),
        "sm": email_for("service.manager", c),
        "admin": email_for("panel.admin", c),
        "chair": email_for("panel.chair", c),
        "sen": email_for("sen.officer", s),
        "sen_finance": email_for("sen.finance", s),
        "nurse": email_for("nurse.assessor", i),
        "commissioner": email_for("icb.commissioner", i),
    }
    by_email = {u.email: u for u in User.objects.filter(email__in=emails.values())}
    people = {key: by_email[email] for key, email in emails.items()}
    rng = random.Random(f"casework-demo-history-{spec.key}")  # noqa: S311 - repeatable demo data
    audit = _Audit()
    meetings = _meetings(panels, today, people["admin"], audit)
    if not meetings:
        return {}
    plans = _plan(meetings, rng)
    upcoming = _upcoming(panels, today)
    _submitted_to(upcoming, plans, rng)
    children = _children(spec, plans, rng, people, agencies, audit)
    counts = {"children": len(children), "meetings": len(meetings)}
    counts["referrals"] = _referrals(plans, children, rng, people, agencies, audit)
    counts.update(_panel_business(meetings, plans, rng, today, people, agencies, audit))
    counts["packages"] = _packages(plans, rng, today, people, agencies, audit)
    counts["actions"] = _actions(meetings, rng, today, people, audit)
    counts["audit events"] = audit.save()
    # Their agendas are built now, through the panel service (it may: the meetings are to come);
    # circulating them is the administrator's next job.
    for meeting in upcoming:
        meeting.refresh_from_db()
        panel_services.agenda_build(actor=people["admin"], meeting=meeting, version=meeting.version)
    counts["referrals"] += _pipeline(panels, children, today, people)
    return counts


def _pipeline(panels: list[Panel], children: list[Child], today: dt.date, people) -> int:
    """Referrals being written and signed now, through the referral services (a partnership whose
    demo has none): a draft, one waiting for each signature, and one submitted to the next meeting
    (a late paper, as its deadline has passed). Children neither autistic nor with a learning
    disability, so no CETR is asked for (seeds 002 s3)."""
    from referrals import services as referral_services
    from referrals.demo import referral_at_stage

    council = people["worker"].agency
    in_flight = Referral.objects.filter(
        child__owning_agency=council,
        status__in=[
            Status.DRAFT,
            Status.AWAITING_TEAM_MANAGER,
            Status.AWAITING_SERVICE_MANAGER,
            Status.READY_TO_SUBMIT,
        ],
    )
    if in_flight.exists():
        return 0
    panel = panels[0]
    meeting = (
        Meeting.objects.filter(panel=panel, status=MeetingStatus.SCHEDULED, date__gt=today)
        .order_by("date")
        .first()
    )
    # A draft, one waiting for each signature, and one submitted to the next meeting.
    stages = [
        Status.DRAFT,
        Status.AWAITING_TEAM_MANAGER,
        Status.AWAITING_SERVICE_MANAGER,
        Status.READY_TO_SUBMIT,
    ]
    quiet = [c for c in children if not c.autism and not c.learning_disability][: len(stages)]
    if meeting is None or len(quiet) < len(stages):
        return 0
    for child, stage in zip(quiet, stages, strict=True):
        referral = referral_at_stage(child=child, panel=panel, stage=stage)
        if stage == Status.READY_TO_SUBMIT:
            referral_services.referral_submit(actor=people["worker"], referral=referral, meeting=meeting)
    return len(stages)


# --- Meetings ---------------------------------------------------------------------------------------


def _meetings(panels: list[Panel], today: dt.date, admin: User, audit: _Audit) -> list[Meeting]:
    """Every meeting of the past year, held: one the demo scheduled ahead (panels/demo.py) that has
    passed with nothing on it is used; the rest are added."""
    start = today - dt.timedelta(days=365)
    out: list[Meeting] = []
    for panel in panels:
        closures = frozenset(panel.closure_days.values_list("day", flat=True))
        existing = {m.date: m for m in Meeting.objects.filter(panel=panel, date__gte=start, date__lt=today)}
        new = []
        for day in meeting_dates(panel, start=start, until=today - dt.timedelta(days=1), closures=closures):
            meeting = existing.get(day)
            if meeting is not None:
                if meeting.status != MeetingStatus.SCHEDULED or meeting.agenda_items.exists():
                    continue
            else:
                meeting = Meeting(panel=panel, date=day)
                new.append(meeting)
            meeting.starts_at, meeting.ends_at = panel.meeting_starts_at, panel.meeting_ends_at
            meeting.location = panel.meeting_location
            meeting.status = MeetingStatus.HELD
            circulated = add_working_days(day, -panel.circulation_working_days, closures)
            meeting.circulated_at, meeting.circulated_by = _at(circulated, 9, 30), admin
            out.append(meeting)
        Meeting.objects.bulk_create(new)
        reused = [m for m in out if m.panel_id == panel.pk and m not in new]
        Meeting.objects.bulk_update(
            reused, ["starts_at", "ends_at", "location", "status", "circulated_at", "circulated_by"]
        )
        for meeting in new:
            audit.add(
                at=_at(meeting.date - dt.timedelta(days=120), 10),
                actor=admin,
                action="meeting.scheduled",
                obj=meeting,
                changes={"date": [None, str(meeting.date)]},
            )
    out.sort(key=lambda m: (m.date, m.panel_id))
    return out


# --- The plan: which referral goes to which meeting, and what the panel decided ------------------------

OUTCOMES = [
    (Outcome.AGREED_AS_RECOMMENDED, 34),
    (Outcome.AGREED_PREFERRED_OPTION, 14),
    (Outcome.AGREED_WITH_CONDITIONS, 16),
    (Outcome.DECLINED, 9),
    (Outcome.DEFERRED, 12),
    (Outcome.RETURNED, 15),
]
AGREED = {Outcome.AGREED_AS_RECOMMENDED, Outcome.AGREED_PREFERRED_OPTION, Outcome.AGREED_WITH_CONDITIONS}


def _plan(meetings: list[Meeting], rng: random.Random) -> list[_Plan]:
    """Which referral each agenda item is and what the panel decided, meeting by meeting: a
    deferred or returned referral comes back to a later meeting of its panel (decided by its third
    time round); an agreed package comes back as a review when its review date nears; the rest are
    new referrals, each for a child of its own."""
    plans: list[_Plan] = []
    waiting: dict[int, list[_Plan]] = defaultdict(list)  # deferred or returned, by panel
    per_meeting = REFERRALS_PER_PARTNERSHIP * 1.15 / max(1, len(meetings))
    children = 0
    for meeting in meetings:
        panel = meeting.panel
        papers_due = add_working_days(meeting.date, -panel.papers_due_working_days)
        for _ in range(max(2, round(per_meeting + rng.uniform(-1.5, 1.5)))):
            back = [p for p in waiting[panel.pk] if p.items[-1][0] is not meeting]
            if back and rng.random() < 0.85:
                plan = back[0]
                waiting[panel.pk].remove(plan)
            else:
                reviewable = [
                    p
                    for p in plans
                    if not p.reviewed
                    and p.items
                    and p.items[-1][1] in AGREED
                    and p.panel == panel
                    # Its review is due by the next meeting (it starts 2 to 4 weeks after the
                    # decision), so the review comes back to the panel in time.
                    and p.items[-1][0].date + dt.timedelta(weeks=p.review_weeks + 4)
                    <= meeting.date + dt.timedelta(days=35)
                ]
                review_of = reviewable[0] if reviewable and rng.random() < 0.95 else None
                if review_of is not None:
                    review_of.reviewed = True
                    child_index = review_of.child_index
                else:
                    child_index, children = children, children + 1
                created = papers_due - dt.timedelta(days=rng.randrange(12, 40))
                plan = _Plan(
                    child_index=child_index,
                    panel=panel,
                    created=created,
                    submitted=papers_due - dt.timedelta(days=rng.randrange(1, 6)),
                    urgency=rng.choices(["routine", "urgent", "emergency"], [80, 15, 5])[0],
                    service=rng.randrange(len(SERVICES)),
                    nights=rng.randrange(2, 5),
                    weekly=Decimal(0),
                    splits=rng.choice(
                        [
                            [("council", Decimal("50")), ("icb", Decimal("50"))],
                            [("council", Decimal("40")), ("sen", Decimal("20")), ("icb", Decimal("40"))],
                            [("council", Decimal("60")), ("icb", Decimal("40"))],
                            [("council", Decimal("50")), ("sen", Decimal("50"))],
                            [("council", Decimal("100"))],
                            [("council", Decimal("34")), ("sen", Decimal("33")), ("icb", Decimal("33"))],
                        ]
                    ),
                    review_of=review_of,
                    review_weeks=rng.choice([26, 52, 52]),
                )
                low, high = SERVICES[plan.service][3]
                plan.weekly = Decimal(rng.randrange(low * 100, high * 100)) / 100
                if len(plan.splits) == 1:
                    # The council alone pays: within its finance approver's delegated limit
                    # (casework/demo.py: £100,000 a year), so the share can be approved.
                    plan.weekly = min(plan.weekly, Decimal("1750.00"))
                plans.append(plan)
            outcome = rng.choices([o for o, _w in OUTCOMES], [w for _o, w in OUTCOMES])[0]
            if len(plan.items) >= 2 and outcome in (Outcome.DEFERRED, Outcome.RETURNED):
                outcome = Outcome.AGREED_WITH_CONDITIONS  # a third time round, the panel decides
            plan.items.append((meeting, outcome))
            if outcome in (Outcome.DEFERRED, Outcome.RETURNED):
                waiting[panel.pk].append(plan)
    # The latest meeting agreed a package the SEN service pays part of: it sent apologies to that
    # meeting, so its recommendation is still to answer whatever the draws (_panel_business).
    last = [(plan, n) for plan in plans for n, (m, _o) in enumerate(plan.items) if m is meetings[-1]]
    if last:
        plan, n = next(((p, n) for p, n in last if p.items[n][1] in AGREED), last[0])
        plan.items[n] = (meetings[-1], Outcome.AGREED_AS_RECOMMENDED)
        if all(key != "sen" for key, _v in plan.splits):
            plan.splits = [("council", Decimal("40")), ("sen", Decimal("20")), ("icb", Decimal("40"))]
    return plans


def _upcoming(panels: list[Panel], today: dt.date) -> list[Meeting]:
    """Each panel's next meeting in the next three weeks whose papers deadline has passed and that
    nothing was submitted to (the demo prepares Hampshire's next meeting itself, panels/demo.py)."""
    found = []
    for panel in panels:
        meeting = (
            Meeting.objects.filter(panel=panel, status=MeetingStatus.SCHEDULED, date__gte=today)
            .order_by("date")
            .first()
        )
        if (
            meeting is not None
            and meeting.date <= today + dt.timedelta(days=21)
            and add_working_days(meeting.date, -panel.papers_due_working_days) < today
            and not meeting.referrals.exists()
        ):
            found.append(meeting)
    return found


def _submitted_to(upcoming: list[Meeting], plans: list[_Plan], rng: random.Random) -> None:
    """Referrals submitted before the papers deadline of a meeting still to come, each for a child
    of its own (added to `plans`)."""
    children = len({p.child_index for p in plans})
    for meeting in upcoming:
        papers_due = add_working_days(meeting.date, -meeting.panel.papers_due_working_days)
        for _ in range(rng.randrange(3, 6)):
            plan = _Plan(
                child_index=children,
                panel=meeting.panel,
                created=papers_due - dt.timedelta(days=rng.randrange(12, 30)),
                submitted=papers_due - dt.timedelta(days=rng.randrange(1, 5)),
                urgency="routine",
                service=rng.randrange(len(SERVICES)),
                nights=rng.randrange(2, 5),
                weekly=Decimal(0),
                splits=[("council", Decimal("50")), ("icb", Decimal("50"))],
                target=meeting,
            )
            low, high = SERVICES[plan.service][3]
            plan.weekly = Decimal(rng.randrange(low * 100, high * 100)) / 100
            plans.append(plan)
            children += 1


# --- Children ---------------------------------------------------------------------------------------


def _children(spec, plans, rng, people, agencies, audit) -> list[Child]:
    fake = Faker("en_GB")
    fake.seed_instance(f"casework-demo-history-{spec.key}")
    worker = people["worker"]
    team = worker.teams.order_by("pk").first()
    taken = set(Child.objects.filter(nhs_number__startswith="999").values_list("nhs_number", flat=True))
    first_seen: dict[int, dt.date] = {}
    for plan in plans:
        first_seen[plan.child_index] = min(plan.created, first_seen.get(plan.child_index, plan.created))
    children = []
    for index in range(len(first_seen)):
        registered = first_seen[index] - dt.timedelta(days=rng.randrange(30, 900))
        gender = rng.choice([Gender.FEMALE, Gender.MALE, Gender.MALE, Gender.FEMALE])
        given = fake.first_name_female() if gender == Gender.FEMALE else fake.first_name_male()
        nhs = synthetic_nhs_number(rng)
        while nhs in taken:
            nhs = synthetic_nhs_number(rng)
        taken.add(nhs)
        has_ehcp = rng.random() < 0.6
        school_type = rng.choice([SchoolType.MAINSTREAM, SchoolType.SPECIAL, SchoolType.SPECIAL])
        born = first_seen[index] - dt.timedelta(days=rng.randrange(365 * 4, 365 * 17))
        legal_status = rng.choice([s.value for s in LegalStatus])
        created_at = _at(registered, 11)
        children.append(
            Child(
                given_name=given,
                family_name=fake.last_name(),
                date_of_birth=born,
                nhs_number=nhs,
                case_number=f"{HISTORY_CASE_PREFIX}{spec.key.upper()[:2]}{rng.randrange(100000, 999999)}",
                gender=gender,
                legal_status=legal_status,
                has_ehc_plan=has_ehcp,
                ehc_plan_date=registered - dt.timedelta(days=rng.randrange(100, 900)) if has_ehcp else None,
                school_name=f"{fake.city()} {'Academy' if school_type == SchoolType.MAINSTREAM else 'School'}",
                school_type=school_type,
                learning_disability=rng.random() < 0.35,
                autism=rng.random() < 0.45,
                mental_health_needs=rng.random() < 0.4,
                dsr_rating=rng.choice(["", DSRRating.RED, DSRRating.AMBER, DSRRating.GREEN]),
                allocated_social_worker=worker,
                allocated_team=team,
                iro_name=fake.name() if legal_status in ("care_order_s31", "accommodated_s20") else "",
                owning_agency=agencies["council"],
                created_by=worker,
                created_at=created_at,
                updated_at=created_at,
            )
        )
    Child.objects.bulk_create(children)
    involvements, parents = [], []
    for child in children:
        on = child.created_at.date()
        involvements.append(
            Involvement(
                child=child,
                agency=agencies["council"],
                role=InvolvementRole.LEAD,
                started_on=on,
                added_by=worker,
            )
        )
        # The ICB is involved with every child here (their packages share costs with it), the SEN
        # service with those with an EHC plan: a share names only an agency involved (issue 12).
        involvements.append(
            Involvement(
                child=child,
                agency=agencies["icb"],
                role=InvolvementRole.HEALTH_COMMISSIONER,
                started_on=on,
                added_by=worker,
            )
        )
        involvements.append(
            Involvement(
                child=child,
                agency=agencies["sen"],
                role=InvolvementRole.EDUCATION,
                started_on=on,
                added_by=worker,
            )
        )
        parents.append(
            ParentCarer(
                child=child,
                name=fake.name(),
                relationship=rng.choice(["Mother", "Father", "Grandmother", "Aunt"]),
                parental_responsibility=True,
            )
        )
        audit.add(
            at=child.created_at,
            actor=worker,
            action="child.registered",
            obj=child,
            child=child,
            changes={"given_name": [None, child.given_name], "family_name": [None, child.family_name]},
        )
    Involvement.objects.bulk_create(involvements)
    ParentCarer.objects.bulk_create(parents)
    return children


# --- Referrals --------------------------------------------------------------------------------------


def _referrals(plans, children, rng, people, agencies, audit) -> int:
    worker, tm, sm = people["worker"], people["tm"], people["sm"]
    for plan in plans:
        child = children[plan.child_index]
        description, provider, _kind, _range, _weeks = SERVICES[plan.service]
        needs = rng.choice(NEEDS)
        plan.referral = Referral(
            child=child,
            panel=plan.panel,
            meeting=plan.target or plan.items[-1][0],
            pathway="joint_package",
            request_type=RequestType.REVIEW if plan.review_of else RequestType.NEW,
            urgency=plan.urgency,
            status=Status.SUBMITTED if plan.target else _referral_status(plan.items[-1][1]),
            referrer=worker,
            referrer_agency=agencies["council"],
            referrer_relationship="Allocated social worker",
            assessed_needs=needs,
            current_support="Short breaks one night a week; CAMHS appointments monthly.",
            iro_comments="The IRO supports the plan.",
            permanency_plan="To remain living at home with support."
            if child.legal_status not in ("care_order_s31", "accommodated_s20")
            else "Long-term foster care with the current carers.",
            education_change=False,
            education_has_ehc_plan=child.has_ehc_plan,
            education_current_school=child.school_name,
            education_school_type="special" if child.school_type == SchoolType.SPECIAL else "mainstream",
            considered_elsewhere="Short breaks panel: support increased within its resources.",
            child_voice="Wants to stay close to family and keep going to school.",
            parents_voice="The family ask for help to keep going.",
            reason_for_referral="The current arrangements cannot meet the child's assessed needs.",
            summary_of_circumstances=needs,
            created_by=worker,
            created_at=_at(plan.created, 10),
            updated_at=_at(plan.submitted if plan.target else plan.items[-1][0].date, 16),
            submitted_at=_at(plan.submitted, 15),
            submitted_by=worker,
        )
    # A review names the referral it reviews: the reviewed ones are written first.
    pending = list(plans)
    while pending:
        ready = [p for p in pending if p.review_of is None or p.review_of.referral.pk is not None]
        for plan in ready:
            plan.referral.review_of = plan.review_of.referral if plan.review_of else None
        Referral.objects.bulk_create([p.referral for p in ready])
        pending = [p for p in pending if p not in ready]
    options, shares = [], []
    for plan in plans:
        description, provider, kind, _range, weeks = SERVICES[plan.service]
        first = Option(
            referral=plan.referral,
            position=1,
            description=description.format(n=plan.nights),
            provider=provider,
            provider_kind=kind,
            weeks_per_year=weeks,
            cost=plan.weekly,
            period="weekly",
            benefits="Meets the assessed needs close to home.",
            risks="Recruitment of suitably trained staff.",
            is_recommended=True,
        )
        second = Option(
            referral=plan.referral,
            position=2,
            # The alternative appraised is not a residential placement: one of 38 weeks or more
            # would need a CETR for every referral (seeds 003 supplementary recommendation 4).
            description="Increased short breaks and a family support worker",
            provider="Willow Short Breaks",
            provider_kind=ProviderKind.HEALTH,
            cost=(plan.weekly * Decimal("0.6")).quantize(Decimal("0.01")),
            period="weekly",
            benefits="Builds on support the family already knows.",
            risks="May not be enough to prevent a crisis.",
        )
        options += [first, second]
    Option.objects.bulk_create(options)
    for option in options:
        plan_splits = next(p.splits for p in plans if p.referral is option.referral)
        for key, percent in plan_splits:
            shares.append(OptionShare(option=option, agency=agencies[key], basis="percentage", value=percent))
    OptionShare.objects.bulk_create(shares)

    sign_offs, changes = [], []
    for plan in plans:
        referral, child = plan.referral, plan.referral.child
        digest = content_hash(referral)
        start = plan.created
        steps = [
            (None, Status.DRAFT, worker, start, "Started"),
            (Status.DRAFT, Status.AWAITING_TEAM_MANAGER, worker, start + dt.timedelta(days=5), ""),
            (
                Status.AWAITING_TEAM_MANAGER,
                Status.AWAITING_SERVICE_MANAGER,
                tm,
                start + dt.timedelta(days=7),
                "",
            ),
            (Status.AWAITING_SERVICE_MANAGER, Status.READY_TO_SUBMIT, sm, start + dt.timedelta(days=9), ""),
            (Status.READY_TO_SUBMIT, Status.SUBMITTED, worker, plan.submitted, ""),
        ]
        sign_offs += [
            SignOff(
                referral=referral,
                stage=SignOffStage.TEAM_MANAGER,
                decision=SignOffDecision.SIGNED,
                signer=tm,
                comments="Agreed.",
                content_hash=digest,
                at=_at(start + dt.timedelta(days=7), 12),
            ),
            SignOff(
                referral=referral,
                stage=SignOffStage.SERVICE_MANAGER,
                decision=SignOffDecision.SIGNED,
                signer=sm,
                comments="Approved for panel.",
                content_hash=digest,
                at=_at(start + dt.timedelta(days=9), 12),
            ),
        ]
        before = Status.SUBMITTED
        for number, (meeting, outcome) in enumerate(plan.items):
            if number:
                papers_due = add_working_days(meeting.date, -meeting.panel.papers_due_working_days)
                steps.append(
                    (before, Status.SUBMITTED, worker, papers_due - dt.timedelta(days=2), "Resubmitted")
                )
                before = Status.SUBMITTED
            steps.append((before, Status.ON_AGENDA, people["admin"], meeting.circulated_at.date(), ""))
            after = _referral_status(outcome)
            steps.append(
                (
                    Status.ON_AGENDA,
                    after,
                    people["chair"],
                    meeting.date,
                    f"{Outcome(outcome).label} at {meeting}",
                )
            )
            before = after
        for old, new, actor, day, reason in steps:
            at = _at(day, 12) if new != Status.DRAFT else _at(day, 10)
            changes.append(
                StatusChange(
                    referral=referral, old_status=old or "", new_status=new, actor=actor, reason=reason, at=at
                )
            )
            audit.add(
                at=at,
                actor=actor,
                action="referral.created" if old is None else f"referral.{new}",
                obj=referral,
                child=child,
                changes={"status": [old, new]},
            )
    SignOff.objects.bulk_create(sign_offs)
    _cetrs(plans, rng, worker, audit)
    StatusChange.objects.bulk_create(changes, batch_size=2000)
    return len(plans)


def _cetrs(plans, rng, worker, audit) -> None:
    """seeds 002 s3: a referral to a Joint Solutions or Joint Funding Panel for an autistic child or
    a child with a learning disability has a CETR held before it was submitted (the rule
    referrals.services.submission keeps), counting for CETR_VALID_DAYS (casework.cetr)."""
    rows = []
    for plan in plans:
        child = plan.referral.child
        if plan.panel.kind not in ("jsp", "jfp") or not child_needs_cetr(child):
            continue
        held = plan.submitted - dt.timedelta(days=rng.randrange(7, 40))
        row = CetrRecord(
            child=child,
            referral=plan.referral,
            held_on=held,
            valid_until=valid_until_for(held),
            outcome="The CETR panel supports a community package and asks for a review in six months.",
            document=f"CETR report {held:%Y-%m}-{plan.child_index:03d}",
            recorded_by=worker,
            recorded_at=_at(held + dt.timedelta(days=1), 10),
        )
        rows.append(row)
    CetrRecord.objects.bulk_create(rows)
    for row in rows:
        audit.add(
            at=row.recorded_at,
            actor=worker,
            action="casework.cetr_recorded",
            obj=row,
            child=row.child,
            changes={"held_on": [None, str(row.held_on)]},
        )


def _referral_status(outcome: str) -> str:
    return {Outcome.DEFERRED: Status.DEFERRED, Outcome.RETURNED: Status.RETURNED}.get(outcome, Status.DECIDED)


# --- Agendas, attendance, decisions, recommendations, minutes and letters -------------------------------


def _panel_business(meetings, plans, rng, today, people, agencies, audit) -> dict[str, int]:
    """Each meeting as panels.services would have left it: the agenda (the action log review, then
    the referrals) circulated the panel's working days before; everyone present but the SEN
    service about one meeting in three; each item's decision recorded by the administrator and
    signed by the chair; a recommendation to each impacted agency that was absent, due the panel's
    working days after the meeting (seeds 002); minutes approved and circulated, and letters sent
    to the referrer and their service manager."""
    admin, chair = people["admin"], people["chair"]
    items_of: dict[int, list[tuple[_Plan, str]]] = defaultdict(list)
    for plan in plans:
        for meeting, outcome in plan.items:
            items_of[meeting.pk].append((plan, outcome))
    seats = defaultdict(list)
    for seat in Membership.objects.filter(panel__in={m.panel_id for m in meetings}).select_related("person"):
        seats[seat.panel_id].append(seat)
    # The partnership's latest meeting, if within the last month, still owes its minutes and
    # letters; the recommendations its absent agencies were sent are still open (the SEN service
    # sent apologies to it), and earlier ones were answered.
    last = meetings[-1]
    owes = last.date >= today - dt.timedelta(days=31)
    agenda, attendance, absent_of = [], [], {}
    for meeting in meetings:
        agenda.append(
            AgendaItem(
                meeting=meeting,
                kind=AgendaItemKind.ACTION_LOG,
                title="Action log review",
                description="Review the open actions on the panel's action log.",
                position=1,
                added_by=admin,
                added_at=meeting.circulated_at - dt.timedelta(hours=1),
            )
        )
        for position, (plan, _outcome) in enumerate(items_of[meeting.pk], start=2):
            agenda.append(
                AgendaItem(
                    meeting=meeting,
                    kind=AgendaItemKind.REFERRAL,
                    referral=plan.referral,
                    title=f"Referral for {plan.referral.child.initials}: {plan.referral.get_pathway_display()}",
                    position=position,
                    added_by=admin,
                    added_at=meeting.circulated_at - dt.timedelta(hours=1),
                )
            )
        # The SEN service sends apologies to about one meeting in three; everyone else comes.
        sen_away = rng.random() < 0.33 or meeting == last
        absent_of[meeting.pk] = {agencies["sen"].pk} if sen_away else set()
        for seat in seats[meeting.panel_id]:
            if seat.starts_on > meeting.date or (seat.ends_on and seat.ends_on < meeting.date):
                continue
            away = sen_away and seat.agency_id == agencies["sen"].pk
            attendance.append(
                Attendance(
                    meeting=meeting,
                    membership=seat,
                    status=AttendanceStatus.APOLOGIES if away else AttendanceStatus.PRESENT,
                    recorded_by=admin,
                    recorded_at=_at(meeting.date, meeting.starts_at.hour, 5),
                )
            )
    AgendaItem.objects.bulk_create(agenda)
    Attendance.objects.bulk_create(attendance)
    for meeting in meetings:
        audit.add(at=meeting.circulated_at, actor=admin, action="meeting.circulated", obj=meeting)

    item_for = {(a.meeting_id, a.referral_id): a for a in agenda if a.referral_id}
    meeting_of = {a.pk: a.meeting for a in agenda}
    decisions, shares, recommendations = [], [], []
    for plan in plans:
        for meeting, outcome in plan.items:
            item = item_for[(meeting.pk, plan.referral.pk)]
            agreed = outcome in AGREED
            starts = meeting.date + dt.timedelta(days=rng.randrange(14, 29))
            _d, _p, _k, _r, weeks = SERVICES[plan.service]
            time_limited = agreed and rng.random() < 0.25
            decision = Decision(
                agenda_item=item,
                referral=plan.referral,
                status=DecisionStatus.SIGNED,
                outcome=outcome,
                rationale=rng.choice(RATIONALES) if agreed else NOT_AGREED.get(outcome, RATIONALES[0]),
                conditions="Reviewed after twelve weeks; the provider confirms trained staff before the start."
                if outcome == Outcome.AGREED_WITH_CONDITIONS
                else "",
                lead_agency=agencies["council"] if agreed else None,
                key_worker=people["worker"] if agreed else None,
                cost=plan.weekly if agreed else None,
                cost_period="weekly" if agreed else "",
                weeks_per_year=weeks,
                starts_on=starts if agreed else None,
                ends_on=starts + dt.timedelta(weeks=rng.choice([12, 26])) if time_limited else None,
                review_date=starts + dt.timedelta(weeks=plan.review_weeks) if agreed else None,
                was_quorate=True,
                recorded_by=people["admin"],
                recorded_at=_at(meeting.date, meeting.starts_at.hour, 20 + item.position),
                signed_by=chair,
                signed_at=_at(meeting.date, meeting.ends_at.hour, 30),
            )
            decisions.append(decision)
            plan.decisions.append(decision)
    Decision.objects.bulk_create(decisions)
    options = {
        o.referral_id: o for o in Option.objects.filter(referral__in=[p.referral for p in plans], position=1)
    }
    for plan in plans:
        option = options[plan.referral.pk]
        for decision in plan.decisions:
            meeting = meeting_of[decision.agenda_item_id]
            if decision.outcome in AGREED:
                decision.option = option
                lines = [
                    SplitLine(agency_id=agencies[k].pk, basis="percentage", value=v) for k, v in plan.splits
                ]
                for (key, value), amount in zip(
                    plan.splits, split_amounts(decision.cost, lines), strict=True
                ):
                    shares.append(
                        DecisionShare(
                            decision=decision,
                            agency=agencies[key],
                            basis="percentage",
                            value=value,
                            amount=amount,
                        )
                    )
                    if agencies[key].pk in absent_of[meeting.pk]:
                        due = add_working_days(
                            meeting.date, meeting.panel.absent_agency_response_working_days
                        )
                        open_ = meeting == last
                        answered = None if open_ else _at(due - dt.timedelta(days=1), 11)
                        recommendations.append(
                            AgencyRecommendation(
                                decision=decision,
                                agency=agencies[key],
                                due_on=due,
                                why=f"{agencies[key].name} sent apologies",
                                status=RecommendationStatus.AWAITING
                                if open_
                                else RecommendationStatus.ACCEPTED,
                                responded_by=None if open_ else people["sen_finance"],
                                responded_at=answered,
                            )
                        )
            _decision_event(
                audit,
                decision,
                "recorded",
                at=decision.recorded_at,
                actor=people["admin"],
                changes={"outcome": [None, decision.outcome]},
            )
            _decision_event(
                audit,
                decision,
                "signed",
                at=decision.signed_at,
                actor=chair,
                changes={"status": [DecisionStatus.DRAFT, DecisionStatus.SIGNED]},
            )
    Decision.objects.bulk_update([d for d in decisions if d.option_id], ["option"])
    DecisionShare.objects.bulk_create(shares)
    AgencyRecommendation.objects.bulk_create(recommendations)
    for rec in recommendations:
        agency = {"agency": [None, rec.agency_id]}
        _decision_event(
            audit, rec.decision, "recommendation_made", at=rec.decision.signed_at, actor=chair, changes=agency
        )
        if rec.responded_at:
            _decision_event(
                audit,
                rec.decision,
                "recommendation_accepted",
                at=rec.responded_at,
                actor=rec.responded_by,
                changes=agency,
            )

    minutes, letters, recipients = [], [], []
    by_meeting = defaultdict(list)
    for decision in decisions:
        by_meeting[decision.agenda_item.meeting_id].append(decision)
    for meeting in meetings:
        approved = add_working_days(meeting.date, 2)
        owing = owes and meeting == last
        body = "\n".join(
            f"{d.agenda_item.position}. {d.referral.child.initials}: {d.get_outcome_display()}. {d.rationale}"
            for d in by_meeting[meeting.pk]
        )
        minutes.append(
            Minutes(
                meeting=meeting,
                body=f"Minutes of {meeting}\n\n{body}",
                status=MinutesStatus.DRAFT if owing else MinutesStatus.CIRCULATED,
                drafted_by=admin,
                drafted_at=_at(meeting.date + dt.timedelta(days=1), 10),
                updated_by=admin,
                updated_at=_at(meeting.date + dt.timedelta(days=1), 10),
                approved_by=None if owing else chair,
                approved_at=None if owing else _at(approved, 12),
                circulated_at=None if owing else _at(add_working_days(approved, 1), 9),
            )
        )
        if owing:
            continue
        for decision in by_meeting[meeting.pk]:
            sent = _at(add_working_days(meeting.date, rng.randrange(1, 4)), 15)
            letters.append(
                DecisionLetter(
                    decision=decision,
                    subject=f"Decision of {meeting}",
                    body=f"The panel's decision: {decision.get_outcome_display()}.\n\n{decision.rationale}",
                    created_by=admin,
                    created_at=sent - dt.timedelta(hours=2),
                    sent_at=sent,
                )
            )
    Minutes.objects.bulk_create(minutes)
    DecisionLetter.objects.bulk_create(letters)
    for letter in letters:
        for person, capacity in (
            (people["worker"], "Referrer"),
            (people["sm"], "Service manager (budget holder)"),
        ):
            recipients.append(
                LetterRecipient(
                    letter=letter,
                    person=person,
                    email=person.email,
                    capacity=capacity,
                    sent_at=letter.sent_at,
                )
            )
        audit.add(
            at=letter.sent_at,
            actor=admin,
            action="letter.sent",
            obj=letter,
            child=letter.decision.referral.child,
        )
    LetterRecipient.objects.bulk_create(recipients)
    for row in minutes:
        if row.circulated_at:
            audit.add(at=row.circulated_at, actor=admin, action="minutes.circulated", obj=row)
    return {
        "decisions": len(decisions),
        "recommendations": len(recommendations),
        "minutes": len(minutes),
        "letters": len(letters),
    }


def _decision_event(audit: _Audit, decision: Decision, action: str, *, at, actor, changes) -> None:
    """`decision.<action>` in the audit trail, under the child the decision is about, as the
    panels decision services write it."""
    audit.add(
        at=at,
        actor=actor,
        action=f"decision.{action}",
        obj=decision,
        child=decision.referral.child,
        changes=changes,
    )


# --- Funding packages -------------------------------------------------------------------------------


def _packages(plans, rng, today, people, agencies, audit) -> int:
    """A package for each agreed decision, as funding.services.package_create_from_decision makes it:
    version 1 from the decision's start, one share line per agency with its amount (the penny rule)
    and a year's worth, each approved by the approver whose limit covers it a few days later (a
    share waits while its agency's recommendation is unanswered), Agreed when all are; a
    time-limited package whose end date has passed is Ended."""
    admin = people["admin"]
    agreed = [(plan, d) for plan in plans for d in plan.decisions if d.outcome in AGREED]
    shares_of = defaultdict(list)
    for share in (
        DecisionShare.objects.filter(decision__in=[d for _p, d in agreed])
        .select_related("agency")
        .order_by("pk")
    ):
        shares_of[share.decision_id].append(share)
    waiting = set(
        AgencyRecommendation.objects.filter(
            decision__in=[d for _p, d in agreed], status=RecommendationStatus.AWAITING
        ).values_list("decision_id", "agency_id")
    )
    providers = {}
    for _desc, name, kind, _range, _weeks in SERVICES:
        providers[name] = Provider.objects.get_or_create(name=name, kind=kind)[0]
    approvers = list(
        User.objects.filter(
            agency__in=list(agencies.values()), is_active=True, roles__contains=[Role.FINANCE_APPROVER]
        ).order_by("delegated_limit", "pk")
    )
    packages, versions = [], []
    for plan, decision in agreed:
        packages.append(
            FundingPackage(
                child=plan.referral.child,
                decision=decision,
                referral=plan.referral,
                panel=plan.panel,
                pathway="joint_package",
                created_by=people["chair"],
                created_at=decision.signed_at,
            )
        )
    FundingPackage.objects.bulk_create(packages)
    for (plan, decision), package in zip(agreed, packages, strict=True):
        _desc, provider, _kind, _range, weeks = SERVICES[plan.service]
        versions.append(
            PackageVersion(
                package=package,
                number=1,
                effective_from=decision.starts_on,
                provider=providers[provider],
                service_description=decision.option.description,
                weeks_per_year=weeks,
                cost=decision.cost,
                cost_period="weekly",
                starts_on=decision.starts_on,
                ends_on=decision.ends_on,
                review_date=decision.review_date,
                created_by=people["chair"],
                created_at=decision.signed_at,
            )
        )
    PackageVersion.objects.bulk_create(versions)
    lines, events, approvals = [], [], []
    for (plan, decision), package, version in zip(agreed, packages, versions, strict=True):
        package.current_version = version
        recent = decision.signed_at.date() > today - RECENT
        decided: list[dt.datetime] = []
        for position, share in enumerate(shares_of[decision.pk], start=1):
            yearly = year_worth(share.amount, "weekly", version.weeks_per_year)
            approver = _approver(approvers, share.agency_id, yearly)
            held = (decision.pk, share.agency_id) in waiting
            approved = approver is not None and not held and (not recent or rng.random() < 0.5)
            at = decision.signed_at + dt.timedelta(days=rng.randrange(2, 12), hours=rng.randrange(0, 3))
            at = min(at, timezone.now() - dt.timedelta(hours=1))
            line = ShareLine(
                version=version,
                package=package,
                position=position,
                agency=share.agency,
                category=FundingCategory.for_agency(share.agency),
                basis=share.basis,
                value=share.value,
                amount=share.amount,
                annual_amount=yearly,
                status=ShareStatus.APPROVED if approved else ShareStatus.AWAITING,
                routed_to=None if approved else approver,
                decided_by=approver if approved else None,
                decided_at=at if approved else None,
                awaiting_since=decision.signed_at,
            )
            lines.append(line)
            if approved:
                decided.append(at)
                events.append(
                    _package_event(
                        package, "approved", "Share approved", actor=approver, at=at, agency=share.agency
                    )
                )
                approvals.append((line, plan.referral.child))
        events.insert(
            0,
            _package_event(
                package,
                "created",
                "Recorded from the panel decision",
                actor=people["chair"],
                at=decision.signed_at,
            ),
        )
        audit.add(
            at=decision.signed_at,
            actor=people["chair"],
            action="funding.package.created",
            obj=package,
            child=plan.referral.child,
            changes={
                "source": [None, "panel decision"],
                "cost": [None, str(decision.cost)],
                "period": [None, "weekly"],
            },
        )
        if len(decided) == len(shares_of[decision.pk]):
            package.status, package.agreed_at = PackageStatus.AGREED, max(decided)
            if version.ends_on and version.ends_on < today:
                package.status = PackageStatus.ENDED
                package.ended_on = version.ends_on
                package.end_reason = "The time-limited package ended on its agreed end date."
                package.ended_by = admin
                events.append(
                    _package_event(
                        package, "ended", package.end_reason, actor=admin, at=_at(version.ends_on, 17)
                    )
                )
    ShareLine.objects.bulk_create(lines)
    _involve_payers(agreed, packages, lines, people["chair"])
    for line, child in approvals:
        audit.add(
            at=line.decided_at,
            actor=line.decided_by,
            action="funding.share.approved",
            obj=line,
            child=child,
            changes={"status": [ShareStatus.AWAITING, ShareStatus.APPROVED]},
        )
    FundingPackage.objects.bulk_update(
        packages, ["current_version", "status", "agreed_at", "ended_on", "end_reason", "ended_by"]
    )
    PackageEvent.objects.bulk_create(events)
    return len(packages)


def _involve_payers(agreed, packages, lines, chair: User) -> None:
    """Each agency given a share is involved with the child, as package_create_from_decision makes
    it (docs/adr/0013): through casework's service, with the same reason and audit. Every payer here
    is involved already when its child is registered (a referral's split names only an agency
    involved, issue 12), so this adds nothing today; it keeps the rule if the demo's splits change
    rather than counting on that."""
    payers = defaultdict(list)
    for line in lines:
        payers[line.package_id].append(line.agency)
    for (plan, decision), package in zip(agreed, packages, strict=True):
        involvement_add_for_funding(
            actor=chair,
            child=plan.referral.child,
            agencies=payers[package.pk],
            reason=f"Funding share in package {package.pk} (panel decision {decision.pk})",
        )


def _package_event(package, action: str, text: str, *, actor, at, agency=None) -> PackageEvent:
    """A line of the package's history on its first version (a share's when `agency` is given)."""
    return PackageEvent(
        package=package, version_number=1, agency=agency, action=action, text=text, actor=actor, at=at
    )


def _approver(approvers: list[User], agency_id: int, annual_amount: Decimal) -> User | None:
    """funding.services.packages.approver_for without a query a share: the agency's finance approver
    with the lowest delegated limit that covers the share's year (`approvers` in that order)."""
    return next(
        (
            u
            for u in approvers
            if u.agency_id == agency_id
            and u.delegated_limit is not None
            and u.delegated_limit >= annual_amount
        ),
        None,
    )


# --- The action log ---------------------------------------------------------------------------------


def _actions(meetings, rng, today, people, audit) -> int:
    """The action log (seeds 003): one to three actions from each meeting, numbered on from the
    panel's last, each owned by a member with a due date; most closed by then with their impact,
    about a third of those due in the last two months still open and overdue."""
    admin = people["admin"]
    owners = [people["sen"], people["nurse"], people["sm"], people["worker"], people["commissioner"]]
    owner_agency = {u.pk: u.agency for u in owners}
    numbers = {
        row["panel"]: row["top"] or 0
        for row in Action.objects.filter(panel__in={m.panel_id for m in meetings})
        .values("panel")
        .annotate(top=Max("number"))
    }
    items = {
        a.meeting_id: a
        for a in AgendaItem.objects.filter(meeting__in=meetings, kind=AgendaItemKind.REFERRAL).order_by(
            "-position"
        )
    }
    overdue_from = max(
        (m for m in meetings if m.date <= today - dt.timedelta(days=21)), key=lambda m: m.date, default=None
    )
    rows, links, updates = [], [], []
    for meeting in meetings:
        for n in range(rng.choice([1, 2, 2, 3])):
            numbers[meeting.panel_id] = numbers.get(meeting.panel_id, 0) + 1
            text, outcome = rng.choice(ACTIONS)
            owner = rng.choice(owners)
            due = meeting.date + dt.timedelta(days=rng.randrange(14, 36))
            # Most are done by their date; about a third of those due in the last two months are not,
            # and always the first from the latest meeting at least three weeks ago.
            done = due < today and (rng.random() < 0.65 or due < today - dt.timedelta(days=60))
            if meeting == overdue_from and n == 0:
                due, done = meeting.date + dt.timedelta(days=14), False
            completed = min(due - dt.timedelta(days=rng.randrange(0, 10)), today) if done else None
            action = Action(
                panel=meeting.panel,
                number=numbers[meeting.panel_id],
                created_on=meeting.date,
                meeting=meeting,
                agenda_item=items.get(meeting.pk) if n == 0 else None,
                action=text,
                desired_outcome=outcome,
                due_on=due,
                completed_on=completed,
                actual_impact="Done: the panel had what it needed." if done else "",
                status=ActionStatus.CLOSED if done else ActionStatus.OPEN,
                created_by=admin,
            )
            rows.append(action)
            links.append((action, owner))
    Action.objects.bulk_create(rows)
    Action.owners.through.objects.bulk_create(
        [Action.owners.through(action_id=a.pk, user_id=u.pk) for a, u in links]
    )
    Action.owner_agencies.through.objects.bulk_create(
        [Action.owner_agencies.through(action_id=a.pk, agency_id=owner_agency[u.pk].pk) for a, u in links]
    )
    for action, owner in links:
        child = action.agenda_item.referral.child if action.agenda_item else None
        audit.add(
            at=_at(action.created_on, 17), actor=admin, action="action.created", obj=action, child=child
        )
        if action.due_on < today or action.status == ActionStatus.CLOSED:
            at = _at(min(action.due_on - dt.timedelta(days=3), today), 11)
            updates.append(
                ActionUpdate(
                    action=action, text="In hand; an update to the next meeting.", author=owner, at=at
                )
            )
            audit.add(at=at, actor=owner, action="action.update_added", obj=action, child=child)
        if action.completed_on:
            audit.add(
                at=_at(action.completed_on, 16), actor=admin, action="action.closed", obj=action, child=child
            )
    ActionUpdate.objects.bulk_create(updates)
    return len(rows)
