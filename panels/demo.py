"""Demo panels with their terms of reference, members, and a year of meetings; for the Hampshire
IRAP, a meeting held today run end to end and the next meeting being prepared (idempotent)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from casework import services as casework_services
from casework.demo import base_children
from casework.models import Agency, AgencyKind, Child, InvolvementRole, Role, User
from casework.working_days import add_working_days
from panels import services
from panels.cadence import meeting_dates
from panels.models import Meeting, MeetingStatus, MemberRole, Membership, Panel
from referrals import services as referral_services
from referrals.demo import ready_referral
from referrals.models import Referral

PANELS = [
    {
        "name": "Hampshire Integrated Resource Allocation Panel",
        "kind": "irap",
        "host": "Hampshire County Council Children's Services",
        "purpose": "Agrees joint packages for children with complex needs across children's services, SEN and "
        "the ICB, and how their cost is shared (Joint Working Arrangements, January 2026).",
        "cadence_rule": "monthly",
        "cadence_weekday": 3,
        "cadence_week_of_month": 2,
        "meeting_starts_at": dt.time(14, 0),
        "meeting_ends_at": dt.time(15, 30),
        "meeting_location": "Microsoft Teams",
    },
    {
        # seeds 002 2.1: "meets on a monthly basis"; 3.7: papers "seven working days in advance of
        # the next meeting"; 3.9: circulated "five working days prior to the meeting".
        "name": "Leicestershire Joint Funding Panel (Complex Cases)",
        "kind": "jfp",
        "host": "Leicestershire County Council Children and Family Services",
        "purpose": "Provides access for young people and their families to appropriate support programmes "
        "through multi-agency collaboration (Terms of Reference, September 2019).",
        "cadence_rule": "monthly",
        "cadence_weekday": 1,
        "cadence_week_of_month": 2,
        "meeting_starts_at": dt.time(12, 30),
        "meeting_ends_at": dt.time(14, 0),
        "meeting_location": "County Hall, Glenfield, and Microsoft Teams",
        "papers_due_working_days": 7,
        "circulation_working_days": 5,
    },
    {
        # seeds 002: "The Leicestershire meeting occurs every 4 weeks on a Thursday afternoon from
        # 2pm to 330pm on MS Teams. Papers are due 2 weeks in advance" (10 working days).
        "name": "Leicestershire Joint Solutions Panel",
        "kind": "jsp",
        "host": "Leicestershire County Council Children and Family Services",
        "purpose": "Agrees multi-agency solutions for children and young people with complex needs "
        "escalated from the Rapid Solutions Group (Complex Care Escalation Process, 2023).",
        "cadence_rule": "weekly",
        "cadence_weekday": 3,
        "cadence_interval_weeks": 4,
        "cadence_anchor": dt.date(2026, 1, 8),
        "meeting_starts_at": dt.time(14, 0),
        "meeting_ends_at": dt.time(15, 30),
        "meeting_location": "Microsoft Teams",
        "papers_due_working_days": 10,
    },
    {
        # seeds 002: "The Leicester meeting occurs monthly on a Tuesday from 1230 to 2pm. On MS
        # Teams. Papers are due 1 week in advance" (5 working days).
        "name": "Leicester Joint Solutions Panel",
        "kind": "jsp",
        "host": "Leicester City Council Social Care and Early Help",
        "purpose": "Agrees multi-agency solutions for Leicester's children and young people with "
        "complex needs (Joint Solutions Panel Terms of Reference).",
        "cadence_rule": "monthly",
        "cadence_weekday": 1,
        "cadence_week_of_month": 3,
        "meeting_starts_at": dt.time(12, 30),
        "meeting_ends_at": dt.time(14, 0),
        "meeting_location": "Microsoft Teams",
        "papers_due_working_days": 5,
    },
    {
        # seeds 000: an IFR is "Submitted to the IFR panel by the child's NHS clinician"; the ICB
        # runs the panel, so its NHS chair and administrator record the decisions.
        "name": "Hampshire and Isle of Wight ICB Individual Funding Request Panel",
        "kind": "other",
        "host": "NHS Hampshire and Isle of Wight ICB",
        "purpose": "Decides Individual Funding Requests for treatments not routinely commissioned, "
        "on the clinical exceptionality of the child's circumstances.",
        "cadence_rule": "monthly",
        "cadence_weekday": 2,
        "cadence_week_of_month": 3,
        "meeting_starts_at": dt.time(10, 0),
        "meeting_ends_at": dt.time(11, 30),
        "meeting_location": "Microsoft Teams",
    },
    {
        # Leicester, Leicestershire and Rutland's ICB decides its IFRs the same way.
        "name": "Leicester, Leicestershire and Rutland ICB Individual Funding Request Panel",
        "kind": "other",
        "host": "NHS Leicester, Leicestershire and Rutland ICB",
        "purpose": "Decides Individual Funding Requests for treatments not routinely commissioned, "
        "on the clinical exceptionality of the child's circumstances.",
        "cadence_rule": "monthly",
        "cadence_weekday": 3,
        "cadence_week_of_month": 1,
        "meeting_starts_at": dt.time(9, 30),
        "meeting_ends_at": dt.time(11, 0),
        "meeting_location": "Microsoft Teams",
    },
]

# An IFR panel is its ICB's alone: only its own people sit on it (and its chair and administrator
# sit on no other panel), and the ICB alone makes its quorum.
IFR_PANEL = PANELS[-2]["name"]  # Hampshire and Isle of Wight's
IFR_PANELS = {IFR_PANEL, PANELS[-1]["name"]}
IFR_PEOPLE = (
    "ifr.chair@hiow.demo.nhs.uk",
    "ifr.admin@hiow.demo.nhs.uk",
    "ifr.chair@llr.demo.nhs.uk",
    "ifr.admin@llr.demo.nhs.uk",
)

# Seats by role of the demo people (roles in casework/demo.py).
SEATS = {Role.PANEL_CHAIR: MemberRole.CHAIR, Role.PANEL_ADMINISTRATOR: MemberRole.ADMINISTRATOR}


def load_panels(*, start: dt.date, months: int = 12) -> dict[str, int]:
    made = {"panels": 0, "meetings": 0}
    for spec in PANELS:
        panel = Panel.objects.filter(name=spec["name"]).first()
        if panel is None:
            host = Agency.objects.get(name=spec["host"])
            settings = {k: v for k, v in spec.items() if k not in {"name", "kind", "host"}}
            panel = services.panel_create(
                actor=None, name=spec["name"], kind=spec["kind"], host_agency=host, **settings
            )
            made["panels"] += 1
        _set_quorum(panel)
        _seat_members(panel)
        until = start + dt.timedelta(days=31 * months)
        for day in meeting_dates(panel, start=start, until=until):
            # A date the panel met, or moved a meeting away from, is left alone (as meetings_generate).
            if not Meeting.objects.filter(Q(date=day) | Q(moved_from=day), panel=panel).exists():
                # The year runs from the reference day, so its first meetings may have been held.
                services.meeting_schedule(actor=None, panel=panel, date=day, in_the_past=True)
                made["meetings"] += 1
    return made


def _set_quorum(panel: Panel) -> None:
    """Quorate with two members present from the council and two from the ICB (seeds 002,
    Leicester JSP); the SEN service sits on the panel but is not needed for a quorum. Changed
    through the settings service only when it differs, so a second run writes nothing."""
    # The host council and the ICB (the IFR panel: the ICB alone).
    wanted = list(
        Agency.objects.filter(partnership=panel.partnership, kind=AgencyKind.ICB)
        | Agency.objects.filter(pk=panel.host_agency_id)
    )
    if sorted(a.pk for a in wanted) != sorted(panel.quorum_agencies.values_list("pk", flat=True)):
        services.panel_update_settings(actor=None, panel=panel, fields={}, quorum_agencies=wanted)


def _seat_members(panel: Panel) -> None:
    people = User.objects.filter(agency__partnership=panel.partnership, is_active=True).select_related(
        "agency"
    )
    # Seated before the year of history (config/demo_history.py) begins, so its meetings had them.
    seated_from = min(dt.date(2026, 1, 1), timezone.localdate() - dt.timedelta(days=400))
    if panel.name in IFR_PANELS:
        people = people.filter(agency=panel.host_agency)
    else:
        people = people.exclude(email__in=IFR_PEOPLE)
    for person in people:
        role = next((seat for role, seat in SEATS.items() if role in person.roles), None)
        if role is None and Role.PANEL_MEMBER in person.roles:
            role = MemberRole.MEMBER
        if role is not None and not Membership.objects.filter(panel=panel, person=person).exists():
            services.membership_add(actor=None, panel=panel, person=person, role=role, starts_on=seated_from)


# --- A meeting held today and the next one ---------------------------------------------------------
#
# Every record below goes through the panel services, so the audit trail, timelines and notices are
# real. The services check the clock: the agenda is built and circulated only before a meeting
# ends, decisions are made only on or after its day, and an action is closed only on or before
# today. Time is never faked (seed_demo also runs on installs without the dev tools), so the meeting
# whose business is done is the meeting held TODAY: it is scheduled for today with times around the
# moment the demo loads, its papers go out, then it is run, decided, minuted and followed up. Its
# referrals were submitted after the papers deadline, so they are late papers the chair accepted.

IRAP = PANELS[0]["name"]
HANTS = "Hampshire County Council Children's Services"
HANTS_SEN = "Hampshire County Council SEN Service"
HIOW_ICB = "NHS Hampshire and Isle of Wight ICB"
LONDON = ZoneInfo("Europe/London")
MOVE_REASON = "Brought forward: the original date clashes with the ICB board meeting"


def _person(local: str, domain: str) -> User:
    return User.objects.get(email=f"{local}@{domain}")


def _todays_times(panel: Panel, now: dt.datetime) -> tuple[dt.time, dt.time] | None:
    """A meeting today that has started and not yet ended, or None so late at night that no such
    meeting fits before midnight (the demo then leaves the meeting out rather than fake the clock)."""
    start_minutes = max(0, (now.hour * 60 + now.minute) // 30 * 30 - 60)
    end_minutes = min(23 * 60 + 59, max(start_minutes + 90, now.hour * 60 + now.minute + 60))
    if end_minutes <= now.hour * 60 + now.minute + 5:
        return None
    return dt.time(start_minutes // 60, start_minutes % 60), dt.time(end_minutes // 60, end_minutes % 60)


def load_meetings() -> dict[str, int]:
    """Hampshire IRAP: today's meeting run end to end and the next meeting being prepared.
    Idempotent: the demo's referrals for these meetings are made once (the whole load is one
    transaction), so a second run finds them and changes nothing."""
    made = {"decisions": 0, "actions": 0, "letters": 0}
    panel = Panel.objects.filter(name=IRAP).first()
    council = Agency.objects.filter(name=HANTS).first()
    if panel is None or council is None:
        return made
    children = list(
        base_children(Child.objects.filter(owning_agency=council)).order_by(
            "family_name", "given_name", "id"
        )[5:10]
    )
    if len(children) < 5 or Referral.objects.filter(child__in=children).exists():
        return made
    today_meeting = _run_todays_meeting(panel, children[:3], made)
    _prepare_next_meeting(panel, children[3:], today_meeting)
    return made


def _ensure_todays_meeting(panel: Panel, admin: User) -> Meeting | None:
    now = timezone.localtime(timezone.now(), LONDON)
    meeting = Meeting.objects.filter(panel=panel, date=now.date(), status=MeetingStatus.SCHEDULED).first()
    if meeting is not None:
        ends = dt.datetime.combine(meeting.date, meeting.ends_at, tzinfo=LONDON)
        return meeting if ends > now + dt.timedelta(minutes=5) else None
    times = _todays_times(panel, now)
    if times is None:
        return None
    return services.meeting_schedule(
        actor=admin, panel=panel, date=now.date(), starts_at=times[0], ends_at=times[1]
    )


def _run_todays_meeting(panel: Panel, children: list, made: dict[str, int]) -> Meeting | None:
    admin = _person("panel.admin", "hants.demo.gov.uk")
    chair = _person("panel.chair", "hants.demo.gov.uk")
    worker = _person("social.worker", "hants.demo.gov.uk")
    meeting = _ensure_todays_meeting(panel, admin)
    if meeting is None:
        return None
    today = timezone.localdate()
    council = Agency.objects.get(name=HANTS)
    sen = Agency.objects.get(name=HANTS_SEN)
    icb = Agency.objects.get(name=HIOW_ICB)

    # Papers in after the deadline; the chair accepts them for this meeting.
    referrals = []
    for child in children:
        referral = ready_referral(child=child, panel=panel)
        referral = referral_services.referral_submit(actor=worker, referral=referral, meeting=meeting)
        if referral.is_late_paper:
            referral = referral_services.referral_accept_late(actor=chair, referral=referral)
        referrals.append(referral)

    # The agenda, one item of other business, a lead member, and the papers circulated (one pack).
    seats = {
        m.person.email.split("@")[0] + "@" + m.agency.name: m
        for m in Membership.objects.current().filter(panel=panel).select_related("person", "agency")
    }
    seat = {
        "chair": seats[f"panel.chair@{HANTS}"],
        "service": seats[f"service.manager@{HANTS}"],
        "admin": seats[f"panel.admin@{HANTS}"],
        "nurse": seats[f"nurse.assessor@{HIOW_ICB}"],
        "commissioner": seats[f"icb.commissioner@{HIOW_ICB}"],
        "sen": seats[f"sen.officer@{HANTS_SEN}"],
    }
    services.agenda_build(actor=admin, meeting=meeting, version=meeting.version)
    meeting.refresh_from_db()
    services.agenda_item_add_other(
        actor=admin,
        meeting=meeting,
        version=meeting.version,
        title="Short breaks commissioning: update from the ICB",
        description="The ICB reports on the new overnight short breaks framework (no child's details).",
    )
    meeting.refresh_from_db()
    items = list(meeting.agenda_items.filter(referral__isnull=False).order_by("position"))
    services.agenda_item_set_lead(
        actor=admin, item=items[0], version=meeting.version, lead_member=seat["service"]
    )
    meeting.refresh_from_db()
    meeting = services.meeting_circulate(actor=admin, meeting=meeting, version=meeting.version)

    # Who came: the SEN service sent apologies, so the council and the ICB make the quorum.
    for key in ("chair", "service", "admin", "nurse", "commissioner"):
        services.attendance_record(actor=admin, meeting=meeting, membership=seat[key], status="present")
    services.attendance_record(actor=admin, meeting=meeting, membership=seat["sen"], status="apologies")
    services.declaration_record(
        actor=admin,
        agenda_item=items[1],
        membership=seat["nurse"],
        interest="Knows the family through her earlier role in the community children's nursing team",
        action="no_part_in_decision",
    )

    # Decisions, recorded by the administrator and signed by the chair. The SEN service pays part of
    # the first: a share names only an agency involved with the child (issue 12), so the social
    # worker records its involvement first, as on the child's page.
    if not referrals[0].child.involvements.filter(agency=sen, ended_on__isnull=True).exists():
        casework_services.involvement_add(
            actor=worker, child=referrals[0].child, agency=sen, role=InvolvementRole.EDUCATION
        )
    agreed_option = referrals[0].options.order_by("position").first()
    decisions = [
        services.decision_record(
            actor=admin,
            agenda_item=items[0],
            fields={
                "outcome": "agreed_with_conditions",
                "option": agreed_option,
                "rationale": "Overnight support four nights a week keeps the child at home and at "
                "Oakwood, at a fraction of the cost of a residential placement.",
                "conditions": "The provider confirms staff with autism training before the start date; "
                "reviewed after twelve weeks.",
                "lead_agency": council,
                "key_worker": worker,
                "starts_on": today + dt.timedelta(days=14),
                "review_date": today + dt.timedelta(weeks=12),
            },
            shares=[
                (council, "percentage", Decimal("40")),
                (sen, "percentage", Decimal("20")),
                (icb, "percentage", Decimal("40")),
            ],
        ),
        services.decision_record(
            actor=admin,
            agenda_item=items[1],
            fields={
                "outcome": "deferred",
                "rationale": "The CAMHS assessment is due this month; the panel will decide with it.",
                "review_date": today + dt.timedelta(weeks=4),
            },
        ),
        services.decision_record(
            actor=admin,
            agenda_item=items[2],
            fields={
                "outcome": "returned",
                "rationale": "The panel needs the updated EHC plan and a costed alternative to a "
                "residential placement before it can decide.",
            },
        ),
    ]
    for decision in decisions:
        services.decision_sign(actor=chair, decision=decision)
        made["decisions"] += 1

    _action_log(panel, meeting, items, made)

    # Minutes drafted from the record, approved by the chair and circulated.
    minutes = services.minutes_draft(actor=admin, meeting=meeting)
    minutes = services.minutes_approve(actor=chair, minutes=minutes, version=minutes.version)
    services.minutes_circulate(actor=admin, minutes=minutes)

    # Decision letters to the referrer and the service manager.
    for decision in decisions:
        letter = services.letter_prepare(actor=admin, decision=decision)
        services.letter_send(actor=admin, letter=letter)
        made["letters"] += 1
    return meeting


def _action_log(panel: Panel, meeting: Meeting, items: list, made: dict[str, int]) -> None:
    """seeds 003: the action log, with owners, due dates, updates and one closed with its impact."""
    admin = _person("panel.admin", "hants.demo.gov.uk")
    nurse = _person("nurse.assessor", "hiow.demo.nhs.uk")
    sen_officer = _person("sen.officer", "hants-sen.demo.gov.uk")
    manager = _person("service.manager", "hants.demo.gov.uk")
    today = timezone.localdate()
    sen = Agency.objects.get(name=HANTS_SEN)
    icb = Agency.objects.get(name=HIOW_ICB)

    camhs = services.action_create(
        actor=admin,
        panel=panel,
        action="Send the panel the CAMHS assessment for the deferred referral",
        desired_outcome="The panel can decide at its next meeting",
        owners=[nurse],
        owner_agencies=[icb],
        due_on=today + dt.timedelta(days=21),
        meeting=meeting,
        agenda_item=items[1],
    )
    services.action_add_update(
        actor=nurse, action=camhs, text="Assessment booked with the CAMHS learning disability team."
    )
    overdue = services.action_create(
        actor=admin,
        panel=panel,
        action="Carried over from the spreadsheet action log: agree the SEN contribution to "
        "jointly funded residential placements",
        desired_outcome="A written agreement on how education costs are shared",
        owners=[sen_officer],
        owner_agencies=[sen],
        partner_agency=Agency.objects.get(name=HANTS),
        due_on=today - dt.timedelta(days=10),
    )
    services.action_add_update(
        actor=admin, action=overdue, text="Chased by e-mail; the SEN service expects a draft next week."
    )
    closed = services.action_create(
        actor=admin,
        panel=panel,
        action="Confirm the short breaks provider can start within a fortnight",
        owners=[manager],
        due_on=today + dt.timedelta(days=7),
        meeting=meeting,
        agenda_item=items[0],
    )
    services.action_add_update(actor=manager, action=closed, text="Provider confirmed by telephone.")
    closed.refresh_from_db()
    services.action_close(
        actor=admin,
        action=closed,
        version=closed.version,
        completed_on=today,
        actual_impact="The package can start on the agreed date.",
    )
    made["actions"] += 3


def _prepare_next_meeting(panel: Panel, children: list, today_meeting: Meeting | None) -> None:
    """The next meeting: referrals submitted on time, one late paper awaiting the chair, the agenda
    built but not yet circulated, and apologies sent ahead."""
    from panels.selectors import meeting_deadlines

    admin = _person("panel.admin", "hants.demo.gov.uk")
    chair = _person("panel.chair", "hants.demo.gov.uk")
    worker = _person("social.worker", "hants.demo.gov.uk")
    today = timezone.localdate()
    meeting = (
        Meeting.objects.filter(panel=panel, status=MeetingStatus.SCHEDULED, date__gt=today)
        .order_by("date")
        .first()
    )
    if meeting is None:
        return
    on_time = ready_referral(child=children[0], panel=panel)
    on_time = referral_services.referral_submit(actor=worker, referral=on_time, meeting=meeting)
    if today <= meeting_deadlines(meeting).papers_due:
        # The papers above came in on time. A late paper exists only once the deadline has
        # passed, so the meeting is brought forward to a day whose deadline has gone (a move the
        # panel's administrators make through the service; the referrals move with it).
        closures = frozenset(panel.closure_days.values_list("day", flat=True))
        day = add_working_days(today, panel.papers_due_working_days - 1, closures)
        if day < meeting.date and not Meeting.objects.filter(panel=panel, date=day).exists():
            meeting = services.meeting_move(
                actor=admin, meeting=meeting, version=meeting.version, date=day, reason=MOVE_REASON
            )
    for referral in meeting.referrals.filter(is_late_paper=True, late_accepted_by__isnull=True):
        referral_services.referral_accept_late(actor=chair, referral=referral)
    late = ready_referral(child=children[1], panel=panel, urgency="urgent")
    referral_services.referral_submit(actor=worker, referral=late, meeting=meeting)
    meeting.refresh_from_db()
    services.agenda_build(actor=admin, meeting=meeting, version=meeting.version)
    sen_seat = Membership.objects.current().get(
        panel=panel, person__email="sen.officer@hants-sen.demo.gov.uk"
    )
    services.attendance_record(actor=admin, meeting=meeting, membership=sen_seat, status="apologies")
