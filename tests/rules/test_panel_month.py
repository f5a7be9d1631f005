"""Issue 15, "Tests that must exist": one month of the Leicestershire Joint Funding Panel, driven
through the services as the panel runs it, one test per clause of its terms of reference
(../shared/seeds/002, lines 280-492; the quorum rule is Leicester JSP's, line 754, which the panel
takes as its setting).

The month, in 2027 (Good Friday 26 March and Easter Monday 29 March fall between the meeting and
its letters, minutes and answers):

- Mon 1 March: the partnership administrator sets the panel up (papers 7 working days before,
  circulation 5, letters, minutes and an absent agency's answer within 3 after, quorum two members
  from each of the county council and the ICB; monthly on the last Thursday) and seats its members;
  the meetings of 25 March and 29 April are generated from the cadence.
- Wed 3 March: Mia's referral is written, signed off by both managers and submitted on time; Ben's
  waits for its service manager, and cannot be submitted until signed.
- Thu 11 March: Ben's referrer is reminded that papers are due on Tuesday 16 March.
- Wed 17 March: Ben's referral arrives late; the chair is told, the agenda is built without it,
  the chair accepts it and it is added.
- Thu 18 March: the papers are circulated (on time) and the pack is built.
- Wed 24 March: both ICB members send apologies.
- Thu 25 March: the meeting: the council quorate, the ICB absent; both items agreed with a 50/50
  split, so the ICB's part of each is a recommendation to it, due Thursday 1 April.
- Easter: no reminder goes on Good Friday, Easter Monday or Tuesday 30 March (due in 3 weekdays).
- Tue 30 March: Mia's letter goes; the ICB's share of her package cannot be approved yet.
- Thu 1 April: the due-day reminders; Ben's letter; the minutes approved and circulated; the ICB
  accepts for Mia and declines for Ben (back to the chair and onto 29 April's agenda, the council
  told); Mia's ICB share approved and her package Agreed.
- Fri 2 April: nothing is overdue.

How it runs: the month is built once per module (per xdist worker that runs any of its tests) by
the module-scoped `month` fixture, inside one transaction rolled back after the module's last test
(the audit tables are append-only: nothing made here could be deleted afterwards). Its steps run in
order, each recording what it did (its own facts, and the audit events, notices and e-mails it
caused); each test asserts on its step's record, so it gives the same answer whatever order the
tests run in, and a probe a test makes is rolled back with the test. If a step fails, the month
stops there and every test from that step on fails naming it. The clock is moved with
time-machine; the work owed "after the commit" (notices' e-mails, the pack, the letters' PDFs and
e-mails) runs at the end of each moment, at that moment's time.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.test import TestCase, override_settings

from casework.models import AgencyKind, AuditEvent, Notification, Role
from casework.reminders import registered_sweeps, send_once
from casework.services import InvalidTransition
from funding import services as funding_services
from funding.models import FundingPackage
from panels import services as panel_services
from panels.models import (
    AgencyRecommendation,
    AgendaItem,
    Attendance,
    Decision,
    MeetingPack,
    PapersGrant,
)
from panels.selectors import meeting_deadlines
from panels.selectors.actions import tracker_referrals, tracker_rows, tracker_totals
from panels.selectors.running import quorum
from referrals import services as referral_services
from referrals.models import Referral
from tests.factories import (
    AgencyFactory,
    AwaitingServiceManagerReferralFactory,
    ChildFactory,
    SubmittedReferralFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = dt.date
LONDON = ZoneInfo("Europe/London")
LLR = "Leicester, Leicestershire and Rutland"
MEETING_DAY = D(2027, 3, 25)  # the last Thursday of March, the day before Good Friday
NEXT_MEETING_DAY = D(2027, 4, 29)
PAPERS_DUE = D(2027, 3, 16)
CIRCULATION_DAY = D(2027, 3, 18)
# Three working days after Thursday 25 March, over Good Friday and Easter Monday (a count of
# weekdays alone would say Tuesday 30 March).
AFTER_MEETING_DUE = D(2027, 4, 1)
REVIEW = D(2027, 9, 23)


def at(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


# --- The month: steps run once, in order, each recording what it did ---------------------------------


@dataclass
class Step:
    """What one step did: the audit events, notices and e-mails it caused, and its own facts."""

    name: str
    events: list[AuditEvent] = field(default_factory=list)
    notices: list[Notification] = field(default_factory=list)
    emails: list[Any] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def actions(self) -> list[str]:
        return [event.action for event in self.events]

    def events_named(self, action: str) -> list[AuditEvent]:
        return [event for event in self.events if event.action == action]

    def notices_to(self, person) -> list[str]:
        return [notice.subject for notice in self.notices if notice.user_id == person.pk]

    def emails_to(self, person) -> list[Any]:
        return [message for message in self.emails if message.to == [person.email]]


class Month:
    def __init__(self) -> None:
        self.steps: dict[str, Step] = {}
        self.failed: dict[str, str] = {}
        self.who = SimpleNamespace()

    # The clock: one moment of the month, with the work owed after the commit run at its end.
    @contextmanager
    def moment(self, when: dt.datetime) -> Iterator[None]:
        with time_machine.travel(when, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
            yield

    def sweep(self, day: dt.date, hour: int = 7) -> list[tuple[str, str, list[int]]]:
        """The reminder sweep as the beat runs it on `day` (casework.reminders.run_sweeps): returns
        (kind, subject, people claimed now) per reminder, so the step can say what went out."""
        sent = []
        with self.moment(at(day, hour, 0)):
            for func in registered_sweeps().values():
                for due in func(day):
                    claimed = send_once(due)
                    if claimed:
                        sent.append((due.kind, due.subject, sorted(p.pk for p in claimed)))
        return sent

    def run_all(self) -> None:
        """Every step in order; the first that fails stops the month (its tests and the later
        steps' fail, naming it)."""
        for name, run in STEPS:
            try:
                self.steps[name] = self._run(name, run)
            except Exception:
                self.failed[name] = traceback.format_exc()
                return

    def reach(self, name: str) -> Step:
        if name not in self.steps:
            failed = next(iter(self.failed), None)
            pytest.fail(f"The month stopped at step {failed!r}:\n{self.failed.get(failed, '')}")
        return self.steps[name]

    def _run(self, name: str, run: Callable[[Month, Step], None]) -> Step:
        last_event = AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0
        last_notice = Notification.objects.aggregate(m=Max("id"))["m"] or 0
        sent = len(mail.outbox)
        step = Step(name)
        run(self, step)
        step.events = list(AuditEvent.objects.filter(id__gt=last_event).order_by("id"))
        step.notices = list(Notification.objects.filter(id__gt=last_notice).order_by("id"))
        step.emails = list(mail.outbox[sent:])
        return step


@contextmanager
def rolled_back() -> Iterator[None]:
    """A probe that must leave the month as it was, whatever the service does."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- The steps --------------------------------------------------------------------------------------


def set_up_the_panel(month: Month, step: Step) -> None:
    """Mon 1 March: the people (made directly: they are not the subject), then the panel, its seats
    and its meetings through the services."""
    w = month.who
    w.council = AgencyFactory(
        name="Leicestershire County Council Children and Family Services",
        kind=AgencyKind.CHILDRENS_SERVICES,
        partnership=LLR,
    )
    w.icb = AgencyFactory(
        name="NHS Leicester, Leicestershire and Rutland ICB",
        kind=AgencyKind.ICB,
        ods_code="QK1",
        partnership=LLR,
    )
    team = TeamFactory(agency=w.council, name="Disabled Children's Service (West)")

    def person(email, name, agency, *roles, limit=None):
        return UserFactory(
            email=email, full_name=name, agency=agency, roles=list(roles), delegated_limit=limit
        )

    lcc, icb = "leics.example.gov.uk", "llr.example.nhs.uk"
    w.partnership_admin = person(
        f"kit.admin@{lcc}", "Kit Lindqvist", w.council, Role.PARTNERSHIP_ADMINISTRATOR
    )
    w.social_worker = person(f"sian.worker@{lcc}", "Sian Adeyemi", w.council, Role.SOCIAL_WORKER)
    w.team_manager = person(f"tom.manager@{lcc}", "Tom Brackenbury", w.council, Role.TEAM_MANAGER)
    w.social_worker.teams.add(team)
    w.team_manager.teams.add(team)
    w.service_manager = person(f"sara.manager@{lcc}", "Sara Castellano", w.council, Role.SERVICE_MANAGER)
    w.chair = person(f"ann.chair@{lcc}", "Ann Dunmore", w.council, Role.PANEL_CHAIR, Role.PANEL_MEMBER)
    w.council_member = person(f"gail.member@{lcc}", "Gail Ellingham", w.council, Role.PANEL_MEMBER)
    w.admin = person(f"pat.clerk@{lcc}", "Pat Fairweather", w.council, Role.PANEL_ADMINISTRATOR)
    w.council_finance = person(
        f"fay.finance@{lcc}", "Fay Gallacher", w.council, Role.FINANCE_APPROVER, limit=Decimal("100000.00")
    )
    w.icb_member = person(f"irene.member@{icb}", "Irene Hollingsworth", w.icb, Role.PANEL_MEMBER)
    w.second_icb_member = person(f"ivan.member@{icb}", "Ivan Ibbotson", w.icb, Role.PANEL_MEMBER)
    w.icb_finance = person(
        f"ian.finance@{icb}", "Ian Jaworski", w.icb, Role.FINANCE_APPROVER, limit=Decimal("250000.00")
    )

    with month.moment(at(D(2027, 3, 1))):
        w.panel = panel_services.panel_create(
            actor=w.partnership_admin,
            name="Leicestershire Joint Funding Panel (Complex Cases)",
            kind="jfp",
            host_agency=w.council,
            cadence_rule="monthly",
            cadence_weekday=3,  # Thursday
            cadence_week_of_month=-1,  # the last one in the month
            meeting_starts_at=dt.time(12, 30),
            meeting_ends_at=dt.time(14, 0),
            meeting_location="County Hall, Glenfield, and Microsoft Teams",
            papers_due_working_days=7,
            circulation_working_days=5,
            decision_letter_working_days=3,
            minutes_working_days=3,
            absent_agency_response_working_days=3,
            quorum_members_per_agency=2,
        )
        w.panel = panel_services.panel_update_settings(
            actor=w.partnership_admin, panel=w.panel, fields={}, quorum_agencies=[w.council, w.icb]
        )
        w.seats = {}
        for who, role in [
            (w.chair, "chair"),
            (w.council_member, "member"),
            (w.icb_member, "member"),
            (w.second_icb_member, "member"),
            (w.admin, "administrator"),
        ]:
            w.seats[who.pk] = panel_services.membership_add(
                actor=w.partnership_admin, panel=w.panel, person=who, role=role
            )
        made = panel_services.meetings_generate(actor=w.admin, panel=w.panel, until=D(2027, 4, 30))
    w.meeting, w.next_meeting = made
    step.facts["dates"] = [m.date for m in made]
    step.facts["deadlines"] = meeting_deadlines(w.meeting)
    step.facts["submission_deadline"] = referral_services.submission_deadline(w.meeting)


def write_and_submit(month: Month, step: Step) -> None:
    """Wed 3 March: Mia's referral written, signed by both managers, submitted to 25 March. Ben's
    signed by the team manager only: submitting it is refused until the service manager signs."""
    w = month.who
    common = {
        "referrer": w.social_worker,
        "panel": w.panel,
        "council": w.council,
        "icb": w.icb,
        "team_manager": w.team_manager,
    }

    def child(given, family):
        return ChildFactory(
            given_name=given,
            family_name=family,
            owning_agency=w.council,
            created_by=w.social_worker,
            allocated_social_worker=w.social_worker,
            involved=[w.icb],
        )

    w.mia, w.ben = child("Mia", "Lowry"), child("Ben", "Ashcroft")
    with month.moment(at(D(2027, 3, 3), 10)):
        w.a = SubmittedReferralFactory(
            child=w.mia, meeting=w.meeting, service_manager=w.service_manager, **common
        )
    with month.moment(at(D(2027, 3, 3), 11)):
        w.b = AwaitingServiceManagerReferralFactory(child=w.ben, **common)
        with pytest.raises(InvalidTransition) as unsigned:
            referral_services.referral_submit(actor=w.social_worker, referral=w.b, meeting=w.meeting)
        step.facts["unsigned_refusal"] = str(unsigned.value)
    with month.moment(at(D(2027, 3, 3), 15)):
        w.b = referral_services.referral_sign(actor=w.service_manager, referral=w.b)
    step.facts["a"] = (w.a.status, w.a.is_late_paper, w.a.meeting_id)
    step.facts["a_signers"] = sorted(s.stage for s in referral_services.current_signatures(w.a))
    step.facts["b_status"] = Referral.objects.get(pk=w.b.pk).status


def papers_reminder(month: Month, step: Step) -> None:
    """Wed 10 and Thu 11 March: the beat's reminder sweep, 3 working days before the papers are due."""
    step.facts["wed_10"] = month.sweep(D(2027, 3, 10))
    step.facts["thu_11"] = month.sweep(D(2027, 3, 11))


def late_paper_and_agenda(month: Month, step: Step) -> None:
    """Wed 17 March, the day after the papers deadline: Ben's referral arrives late; the agenda is
    built (Mia's only); Ben's cannot be added until the chair accepts it; then it is, with the
    council member leading Mia's item."""
    w = month.who
    with month.moment(at(D(2027, 3, 17), 9)):
        w.b = referral_services.referral_submit(actor=w.social_worker, referral=w.b, meeting=w.meeting)
    step.facts["b_late"] = (w.b.status, w.b.is_late_paper)
    with month.moment(at(D(2027, 3, 17), 10)):
        w.meeting.refresh_from_db()
        built = panel_services.agenda_build(actor=w.admin, meeting=w.meeting, version=w.meeting.version)
        step.facts["built"] = [item.referral_id for item in built]
        w.meeting.refresh_from_db()
        with rolled_back(), pytest.raises(InvalidTransition) as waits:
            panel_services.agenda_item_add_referral(
                actor=w.admin, meeting=w.meeting, referral=w.b, version=w.meeting.version
            )
        step.facts["before_acceptance"] = str(waits.value)
    with month.moment(at(D(2027, 3, 17), 11)):
        referral_services.referral_accept_late(actor=w.chair, referral=w.b)
    with month.moment(at(D(2027, 3, 17), 12)):
        w.meeting.refresh_from_db()
        w.item_b = panel_services.agenda_item_add_referral(
            actor=w.admin, meeting=w.meeting, referral=w.b, version=w.meeting.version
        )
        w.item_a = AgendaItem.objects.get(meeting=w.meeting, referral=w.a)
        w.meeting.refresh_from_db()
        panel_services.agenda_item_set_lead(
            actor=w.admin, item=w.item_a, version=w.meeting.version, lead_member=w.seats[w.council_member.pk]
        )
    step.facts["agenda"] = list(
        AgendaItem.objects.filter(meeting=w.meeting)
        .order_by("position")
        .values_list("referral_id", flat=True)
    )
    step.facts["statuses"] = dict(
        Referral.objects.filter(pk__in=[w.a.pk, w.b.pk]).values_list("pk", "status")
    )


def circulate(month: Month, step: Step) -> None:
    """Thu 18 March, five working days before: the reminder, then the papers go and the pack is made."""
    w = month.who
    step.facts["reminders"] = month.sweep(CIRCULATION_DAY)
    with month.moment(at(CIRCULATION_DAY, 10)):
        w.meeting.refresh_from_db()
        panel_services.meeting_circulate(actor=w.admin, meeting=w.meeting, version=w.meeting.version)
    step.facts["grants"] = sorted(
        PapersGrant.objects.filter(meeting=w.meeting).values_list("person_id", "reason", "ends_at")
    )
    pack = MeetingPack.objects.filter(meeting=w.meeting).order_by("-version").first()
    step.facts["pack"] = (pack.status, pack.items_total) if pack else None


def apologies(month: Month, step: Step) -> None:
    """Wed 24 March: both ICB members send apologies; nobody can be recorded present yet."""
    w = month.who
    with month.moment(at(D(2027, 3, 24), 11)):
        for member in (w.icb_member, w.second_icb_member):
            panel_services.attendance_record(
                actor=w.admin, meeting=w.meeting, membership=w.seats[member.pk], status="apologies"
            )
        with rolled_back(), pytest.raises(ValidationError) as early:
            panel_services.attendance_record(
                actor=w.admin, meeting=w.meeting, membership=w.seats[w.chair.pk], status="present"
            )
        step.facts["present_too_early"] = early.value.message_dict["status"][0]


def the_meeting(month: Month, step: Step) -> None:
    """Thu 25 March 12:30: the chair and the council member present; the ICB absent."""
    w = month.who
    with month.moment(at(MEETING_DAY, 12, 35)):
        for member in (w.chair, w.council_member):
            panel_services.attendance_record(
                actor=w.admin, meeting=w.meeting, membership=w.seats[member.pk], status="present"
            )
    step.facts["quorum"] = {
        row.agency.pk: (row.present, row.required, row.met) for row in quorum(w.meeting).agencies
    }


def decide(month: Month, step: Step) -> None:
    """Thu 25 March 13:30: both items agreed as recommended, the costs split 50/50 between the
    council and the ICB; the chair signs."""
    w = month.who
    w.decisions = {}
    for referral, item, minute in ((w.a, w.item_a, 30), (w.b, w.item_b, 45)):
        with month.moment(at(MEETING_DAY, 13, minute)):
            draft = panel_services.decision_record(
                actor=w.admin,
                agenda_item=item,
                fields={
                    "outcome": "agreed_as_recommended",
                    "rationale": "Residential short breaks keep the family together; both agencies share the cost.",
                    "lead_agency": w.council,
                    "key_worker": w.social_worker,
                    "review_date": REVIEW,
                },
            )
            w.decisions[referral.pk] = panel_services.decision_sign(actor=w.chair, decision=draft)
    step.facts["statuses"] = dict(
        Referral.objects.filter(pk__in=[w.a.pk, w.b.pk]).values_list("pk", "status")
    )
    step.facts["recommendations"] = sorted(
        AgencyRecommendation.objects.filter(decision__in=w.decisions.values()).values_list(
            "decision__referral_id", "agency_id", "due_on", "why", "status"
        )
    )
    step.facts["packages"] = dict(
        FundingPackage.objects.filter(decision__in=w.decisions.values()).values_list("referral_id", "status")
    )
    tracked = tracker_referrals(user=w.chair, panel=w.panel)
    step.facts["tracker_lines"] = {
        row.referral.pk: [(line.agency_id, line.standing) for line in row.lines]
        for row in tracker_rows(tracked)
    }
    step.facts["tracker_totals"] = _weekly_agreed_and_awaiting(tracker_totals(tracked))


def _weekly_agreed_and_awaiting(totals) -> dict[str, tuple[Decimal, Decimal]]:
    """Per agency: what it agreed to pay a week, and what awaits its answer a week (the tracker's two
    tables of tracker_totals)."""
    awaiting = {total.agency_name: total.weekly for total in totals.awaiting}
    return {
        total.agency_name: (total.weekly, awaiting.get(total.agency_name, Decimal("0.00")))
        for total in totals.agreed
    }


def over_easter(month: Month, step: Step) -> None:
    """Good Friday, Easter Monday and Tuesday 30 March: what the beat sends each morning."""
    for day in (D(2027, 3, 26), D(2027, 3, 29), D(2027, 3, 30)):
        step.facts[day] = month.sweep(day)


def first_letter_and_waiting_share(month: Month, step: Step) -> None:
    """Tue 30 March: Mia's letter is prepared and sent; the minutes are drafted; the ICB's share of
    her package is refused while the recommendation awaits its answer; the council approves its own."""
    w = month.who
    decision = w.decisions[w.a.pk]
    with month.moment(at(D(2027, 3, 30), 10)):
        letter = panel_services.letter_prepare(actor=w.admin, decision=decision)
        w.letter_a = panel_services.letter_send(actor=w.admin, letter=letter)
    with month.moment(at(D(2027, 3, 30), 11)):
        w.minutes = panel_services.minutes_draft(actor=w.admin, meeting=w.meeting)
    w.package_a = FundingPackage.objects.get(decision=decision)
    shares = {share.agency_id: share for share in w.package_a.current_version.shares.all()}
    with month.moment(at(D(2027, 3, 30), 14)):
        with pytest.raises(ValidationError) as waiting:
            funding_services.share_approve(
                actor=w.icb_finance, share=shares[w.icb.pk], expected_version=w.package_a.version_number
            )
        step.facts["icb_refused"] = waiting.value.message_dict["share"][0]
        funding_services.share_approve(
            actor=w.council_finance, share=shares[w.council.pk], expected_version=w.package_a.version_number
        )
    w.package_a.refresh_from_db()
    step.facts["package_a"] = w.package_a.status
    step.facts["letter_recipients"] = sorted(w.letter_a.recipients.values_list("person_id", "capacity"))


def due_day(month: Month, step: Step) -> None:
    """Thu 1 April, 07:00: the beat's reminders on the day the letters, minutes and answers are due."""
    step.facts["reminders"] = month.sweep(AFTER_MEETING_DUE)


def second_letter_and_minutes(month: Month, step: Step) -> None:
    """Thu 1 April: Ben's letter goes; the chair approves the minutes and they are circulated."""
    w = month.who
    with month.moment(at(AFTER_MEETING_DUE, 9)):
        letter = panel_services.letter_prepare(actor=w.admin, decision=w.decisions[w.b.pk])
        panel_services.letter_send(actor=w.admin, letter=letter)
    with month.moment(at(AFTER_MEETING_DUE, 10)):
        w.minutes.refresh_from_db()
        minutes = panel_services.minutes_approve(actor=w.chair, minutes=w.minutes, version=w.minutes.version)
        w.minutes = panel_services.minutes_circulate(actor=w.admin, minutes=minutes)
    step.facts["minutes"] = (w.minutes.status, w.minutes.circulated_at)
    step.facts["minutes_body"] = w.minutes.body


def icb_answers(month: Month, step: Step) -> None:
    """Thu 1 April, on the due day: the ICB accepts for Mia and declines for Ben."""
    w = month.who
    recommendations = {
        r.decision.referral_id: r
        for r in AgencyRecommendation.objects.filter(agency=w.icb).select_related("decision")
    }
    with month.moment(at(AFTER_MEETING_DUE, 11)):
        panel_services.recommendation_respond(
            actor=w.icb_finance, recommendation=recommendations[w.a.pk], accept=True
        )
    with month.moment(at(AFTER_MEETING_DUE, 11, 30)):
        panel_services.recommendation_respond(
            actor=w.icb_finance,
            recommendation=recommendations[w.b.pk],
            accept=False,
            reason="The ICB funds this under continuing care instead",
        )
    step.facts["answers"] = dict(
        AgencyRecommendation.objects.filter(agency=w.icb).values_list("decision__referral_id", "status")
    )
    step.facts["next_agenda"] = list(
        AgendaItem.objects.filter(meeting=w.next_meeting).values_list("kind", "title", "description")
    )


def funding_agreed(month: Month, step: Step) -> None:
    """Thu 1 April 14:00: once the ICB has accepted, its share of Mia's package is approved."""
    w = month.who
    w.package_a.refresh_from_db()
    share = w.package_a.current_version.shares.get(agency=w.icb)
    with month.moment(at(AFTER_MEETING_DUE, 14)):
        funding_services.share_approve(
            actor=w.icb_finance, share=share, expected_version=w.package_a.version_number
        )
    w.package_a.refresh_from_db()
    step.facts["package_a"] = w.package_a.status


def day_after(month: Month, step: Step) -> None:
    """Fri 2 April: the working day after the deadlines."""
    step.facts["reminders"] = month.sweep(D(2027, 4, 2))


STEPS: list[tuple[str, Callable[[Month, Step], None]]] = [
    ("set_up", set_up_the_panel),
    ("submitted", write_and_submit),
    ("papers_reminder", papers_reminder),
    ("late_paper", late_paper_and_agenda),
    ("circulated", circulate),
    ("apologies", apologies),
    ("meeting", the_meeting),
    ("decided", decide),
    ("easter", over_easter),
    ("first_letter", first_letter_and_waiting_share),
    ("due_day", due_day),
    ("second_letter_and_minutes", second_letter_and_minutes),
    ("answers", icb_answers),
    ("funding_agreed", funding_agreed),
    ("day_after", day_after),
]


@pytest.fixture(scope="module")
def month(django_db_setup, django_db_blocker, tmp_path_factory):
    """The month, in one transaction rolled back after the module's last test."""
    with (
        django_db_blocker.unblock(),
        override_settings(PRIVATE_STORAGE_ROOT=tmp_path_factory.mktemp("panel_month") / "private"),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            month = Month()
            month.run_all()
            yield month
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- The tests: one per clause -------------------------------------------------------------------------


def test_the_panel_meets_monthly_on_the_dates_its_cadence_gives(month):
    """seeds 002 line 320 (Joint Funding Panel 2.1): the panel "meets on a monthly basis". Set up
    by the partnership administrator with its terms as settings, its meetings are generated from
    its cadence (the last Thursday): 25 March and 29 April 2027."""
    step, w = month.reach("set_up"), month.who
    assert step.facts["dates"] == [MEETING_DAY, NEXT_MEETING_DAY]
    assert (w.meeting.starts_at, w.meeting.ends_at) == (dt.time(12, 30), dt.time(14, 0))
    assert step.actions() == [
        "panel.created",
        "panel.settings_changed",
        *["panel.member_added"] * 5,
        "meeting.scheduled",
        "meeting.scheduled",
        "panel.meetings_generated",
    ]
    [generated] = step.events_named("panel.meetings_generated")
    assert generated.actor_id == w.admin.pk
    assert generated.changes["dates"] == [None, ["2027-03-25", "2027-04-29"]]
    [quorum_set] = step.events_named("panel.settings_changed")
    assert quorum_set.changes["quorum_agencies"][1] == sorted([w.council.pk, w.icb.pk])


def test_papers_are_due_seven_working_days_before_the_meeting(month):
    """seeds 002 line 420 (3.7): "Completed referral forms and supporting documentation should be
    sent seven working days in advance of the next meeting"; line 476: "received by the meeting
    administrator before the deadline for each meeting". For Thursday 25 March: Tuesday 16 March.
    Mia's referral, submitted on Wednesday 3 March, is on time."""
    step, w = month.reach("set_up"), month.who
    assert step.facts["deadlines"].papers_due == PAPERS_DUE == step.facts["submission_deadline"]
    submitted = month.reach("submitted")
    assert submitted.facts["a"] == ("submitted", False, w.meeting.pk)
    [event] = [e for e in submitted.events_named("referral.submitted") if e.object_id == str(w.a.pk)]
    assert event.changes["status"] == ["ready_to_submit", "submitted"]
    assert event.at == at(D(2027, 3, 3), 10)


def test_a_referral_is_approved_by_a_service_manager_before_it_is_submitted(month):
    """seeds 002 line 492: "ALL REFERRALS MUST BE APPROVED BY A SERVICE MANAGER OR JOINT FUNDING
    PANEL MEMBER PRIOR TO BEING SUBMITTED FOR PANEL." Mia's referral carries both signatures; Ben's,
    signed by the team manager only, is refused until the service manager signs."""
    step, w = month.reach("submitted"), month.who
    assert step.facts["a_signers"] == ["service_manager", "team_manager"]
    assert step.facts["unsigned_refusal"] == (
        "The referral needs both signatures on its current content before it is submitted"
    )
    assert step.facts["b_status"] == "ready_to_submit"
    assert step.notices_to(w.service_manager) == [
        "Referral for ML is waiting for your signature",
        "Referral for BA is waiting for your signature",
    ]
    assert [m.subject for m in step.emails_to(w.social_worker)] == [
        "Referral for ML is signed and ready to submit",
        "Referral for BA is signed and ready to submit",
    ]
    assert step.actions().count("referral.ready_to_submit") == 2
    assert step.actions().count("referral.submitted") == 1


def test_the_referrer_is_reminded_before_the_papers_deadline(month):
    """seeds 002 line 420 (3.7): papers seven working days before the meeting. A referral not yet
    submitted gets its referrer a reminder three working days before the deadline (the panel's
    papers_reminder_working_days): Thursday 11 March, not the day before."""
    step, w = month.reach("papers_reminder"), month.who
    assert step.facts["wed_10"] == []
    subject = f"Papers for {w.panel.name} on 25 March are due on 16 March 2027"
    assert step.facts["thu_11"] == [("papers_due", subject, [w.social_worker.pk])]
    [email] = step.emails_to(w.social_worker)
    assert email.subject == subject and "BA" in email.body and "Ben" not in email.body


def test_a_late_paper_waits_for_the_chair_to_accept_it(month):
    """seeds 002 line 476: "Referrals and related documentation should be received by the meeting
    administrator before the deadline for each meeting"; line 480: "After a pre-meeting with the
    Chair, the meeting administrator will circulate the agenda and all papers". Ben's referral,
    submitted the day after the deadline, is a late paper: the chair is told at once, the agenda
    built that day leaves it out, and it joins the agenda only once the chair has accepted it."""
    step, w = month.reach("late_paper"), month.who
    assert step.facts["b_late"] == ("submitted", True)
    late = f"Late paper for {w.meeting}: referral for BA"
    assert step.notices_to(w.chair) == [late]
    assert [m.subject for m in step.emails_to(w.chair)] == [late]
    assert step.facts["built"] == [w.a.pk]
    assert step.facts["before_acceptance"] == (
        "This is a late paper: the chair must accept it for this meeting first"
    )
    assert step.facts["agenda"] == [w.a.pk, w.b.pk]
    assert step.facts["statuses"] == {w.a.pk: "on_agenda", w.b.pk: "on_agenda"}
    assert step.actions() == [
        "referral.submitted",
        "referral.on_agenda",
        "agenda.built",
        "referral.late_accepted",
        "referral.on_agenda",
        "agenda.referral_added",
        "agenda.lead_member_set",
    ]
    [accepted] = step.events_named("referral.late_accepted")
    assert (accepted.actor_id, accepted.object_id) == (w.chair.pk, str(w.b.pk))


def test_papers_are_circulated_five_working_days_before_the_meeting(month):
    """seeds 002 line 424 (3.9): "The agenda and copies of referrals with their accompanying
    supportive documentation is circulated to members of the Joint Funding Panel five working days
    prior to the meeting". Thursday 18 March: the administrators are reminded that morning, the
    papers go on time, every member is told, and the pack (agenda and both papers) is built."""
    w = month.who
    assert month.reach("set_up").facts["deadlines"].circulation == CIRCULATION_DAY
    step = month.reach("circulated")
    due = f"Papers for {w.meeting} are due to be circulated on 18 March"
    assert step.facts["reminders"] == [("circulation_due", due, sorted([w.chair.pk, w.admin.pk]))]
    [circulated] = step.events_named("meeting.papers_circulated")
    assert circulated.actor_id == w.admin.pk
    assert {k: circulated.changes[k][1] for k in ("due", "late", "items")} == {
        "due": "2027-03-18",
        "late": False,
        "items": 2,
    }
    ready = f"Papers for {w.panel.name} on 25 March 2027 are ready"
    members = [w.chair, w.council_member, w.icb_member, w.second_icb_member, w.admin]
    for member in members:
        assert ready in step.notices_to(member)
        assert ready in [m.subject for m in step.emails_to(member)]
    assert step.facts["pack"] == ("ready", 2)
    assert "meeting.pack_requested" in step.actions()


def test_papers_are_not_held_after_the_meeting_but_by_the_chair_and_the_lead_member(month):
    """seeds 002 line 342 (3.3): "Information made available to the Joint Funding Panel is not held
    longer than necessary ... One copy of documentation is held on file by The Chair for reference
    and, by the member of the panel taking a lead on the particular referral." Every member's papers
    end with the meeting day; the chair's copy and the lead member's item stay."""
    step, w = month.reach("circulated"), month.who
    end_of_meeting_day = at(D(2027, 3, 26), 0, 0)
    grants = step.facts["grants"]
    members = {w.chair.pk, w.council_member.pk, w.icb_member.pk, w.second_icb_member.pk, w.admin.pk}
    assert {(person, ends) for person, reason, ends in grants if reason == "member"} == {
        (person, end_of_meeting_day) for person in members
    }
    assert {(person, reason, ends) for person, reason, ends in grants if reason != "member"} == {
        (w.chair.pk, "chair", None),
        (w.council_member.pk, "lead_member", None),
    }


def test_a_member_who_cannot_attend_sends_apologies(month):
    """seeds 002 line 388: "If any Panel representatives are unable to attend a scheduled panel
    meeting, they must send an appropriate representative on their behalf." The ICB's two members
    send apologies the day before; nobody is recorded present before the meeting day."""
    step, w = month.reach("apologies"), month.who
    assert step.facts["present_too_early"] == (
        "You can record who is present from the day of the meeting: record apologies now"
    )
    recorded = step.events_named("meeting.attendance_recorded")
    assert [e.changes["status"] for e in recorded] == [[None, "apologies"], [None, "apologies"]]
    assert [e.changes["member"][1] for e in recorded] == [
        w.seats[w.icb_member.pk].pk,
        w.seats[w.second_icb_member.pk].pk,
    ]


def test_quorum_is_two_members_from_each_organisation(month):
    """seeds 002 line 754 (the Leicester JSP's rule, this panel's setting): "Quorate will be a
    minimum of two members from each organisation." On the day the council has its two; the ICB
    none of its two."""
    step, w = month.reach("meeting"), month.who
    assert step.facts["quorum"] == {w.council.pk: (2, 2, True), w.icb.pk: (0, 2, False)}
    assert [e.changes["status"] for e in step.events_named("meeting.attendance_recorded")] == [
        [None, "present"],
        [None, "present"],
    ]
    rows = dict(Attendance.objects.filter(meeting=w.meeting).values_list("membership__person", "status"))
    assert rows == {
        w.chair.pk: "present",
        w.council_member.pk: "present",
        w.icb_member.pk: "apologies",
        w.second_icb_member.pk: "apologies",
    }


def test_a_decision_records_the_course_the_lead_the_costs_and_a_review_date(month):
    """seeds 002 lines 432-446 (3.11): the discussion results in "Agreement to accept the
    recommended course of action", "The nomination of a key worker o[r] lead service", "Identification
    of location(s) for the costs" and "Agreement of a review date". Both decisions say each; the
    referrals are decided and each agreed split is a funding package awaiting approval."""
    step, w = month.reach("decided"), month.who
    for referral in (w.a, w.b):
        decision = Decision.objects.get(pk=w.decisions[referral.pk].pk)
        assert (decision.status, decision.outcome, decision.signed_by_id) == (
            "signed",
            "agreed_as_recommended",
            w.chair.pk,
        )
        assert decision.option == referral.options.get(is_recommended=True)
        assert (decision.lead_agency_id, decision.key_worker_id) == (w.council.pk, w.social_worker.pk)
        assert (decision.cost, decision.cost_period, decision.review_date) == (
            Decimal("1234.56"),
            "weekly",
            REVIEW,
        )
        assert sorted(decision.shares.values_list("agency_id", "amount")) == sorted(
            [(w.council.pk, Decimal("617.28")), (w.icb.pk, Decimal("617.28"))]
        )
    assert step.facts["statuses"] == {w.a.pk: "decided", w.b.pk: "decided"}
    assert step.facts["packages"] == {w.a.pk: "awaiting_approval", w.b.pk: "awaiting_approval"}
    assert step.actions().count("decision.signed") == 2
    assert step.actions().count("funding.package.created") == 2


def test_the_absent_agencys_part_is_a_recommendation_it_answers_within_three_working_days(month):
    """seeds 002 line 392 (and 890): "Decisions and recommendations are not to be made if they impact
    upon one of the agencies who may not be present. The recommendations made to an absence agency
    will require a response within 3 working days." The ICB's half of each split is a recommendation
    to it, due Thursday 1 April (three working days after Thursday 25 March, over Good Friday and
    Easter Monday); its members and finance approver are told; the council's part stands."""
    step, w = month.reach("decided"), month.who
    why = "no member of the agency was present"
    assert step.facts["recommendations"] == [
        (w.a.pk, w.icb.pk, AFTER_MEETING_DUE, why, "awaiting"),
        (w.b.pk, w.icb.pk, AFTER_MEETING_DUE, why, "awaiting"),
    ]
    made = step.events_named("decision.recommendation_made")
    assert [e.changes["due_on"][1] for e in made] == ["2027-04-01", "2027-04-01"]
    for initials in ("ML", "BA"):
        subject = f"{w.panel.name} made a recommendation for {initials} that your agency must answer"
        for person in (w.icb_member, w.second_icb_member, w.icb_finance):
            assert subject in step.notices_to(person)
            assert subject in [m.subject for m in step.emails_to(person)]
        assert not any(subject in step.notices_to(p) for p in (w.council_finance, w.council_member))
    assert "by 1 April 2027" in step.emails_to(w.icb_finance)[0].body


def test_the_deadlines_after_the_meeting_count_working_days_over_easter(month):
    """seeds 002 line 452 (3.13) "within three working days", line 456 (3.14) "within three working
    days", line 392 "a response within 3 working days": from Thursday 25 March, Good Friday and
    Easter Monday do not count, so all three fall on Thursday 1 April. The beat sends nothing about
    them on Good Friday, Easter Monday or Tuesday 30 March (when counting weekdays alone would
    have made them due)."""
    deadlines = month.reach("set_up").facts["deadlines"]
    assert (
        deadlines.decision_letters_due,
        deadlines.minutes_due,
        deadlines.absent_agency_response_due,
    ) == (AFTER_MEETING_DUE,) * 3
    step = month.reach("easter")
    assert step.facts == {D(2027, 3, 26): [], D(2027, 3, 29): [], D(2027, 3, 30): []}
    assert step.notices == [] and step.emails == []


def test_the_decision_letter_goes_to_the_referrer_and_their_service_manager_in_time(month):
    """seeds 002 line 452 (3.13): "The considered opinion of the Joint Funding Panel will be
    communicated in writing to the referrer(s) within three working days"; line 484: "a formal
    response will be made by email to the referrers and their Service Manager and/or budget holder".
    Mia's letter goes on Tuesday 30 March; Ben's is still owed on the due day, so the
    administrators are reminded that morning and it goes that day; nothing is overdue after."""
    w = month.who
    first = month.reach("first_letter")
    assert first.facts["letter_recipients"] == [
        (w.social_worker.pk, "Referrer"),
        (w.service_manager.pk, "Service manager (budget holder)"),
    ]
    subject = f"{w.panel.name}: decision on referral {w.a.pk} for ML"
    assert [(m.to, m.subject) for m in first.emails] == [
        ([w.social_worker.email], subject),
        ([w.service_manager.email], subject),
    ]
    assert "Mia" not in first.emails[0].body
    assert first.actions()[:3] == ["letter.prepared", "letter.sent", "letter.pdf_stored"]
    [sent] = first.events_named("letter.sent")
    assert sent.at.date() <= AFTER_MEETING_DUE

    reminder = f"Decision letters for {w.meeting} are due: due 1 April"
    assert ("decision_letters_due", reminder, sorted([w.chair.pk, w.admin.pk])) in month.reach(
        "due_day"
    ).facts["reminders"]
    second = month.reach("second_letter_and_minutes")
    ben = f"{w.panel.name}: decision on referral {w.b.pk} for BA"
    assert [m.subject for m in second.emails_to(w.social_worker)] == [ben]
    assert [m.subject for m in second.emails_to(w.service_manager)] == [ben]
    assert not any(
        kind.startswith("decision_letters") for kind, *_ in month.reach("day_after").facts["reminders"]
    )


def test_the_letter_never_shows_the_absent_agencys_part_as_agreed(month):
    """seeds 002 line 392: "Decisions are not to be made if they impact upon one of the agencies who
    may not be present. The recommendations made to an absent agency will require a response within
    3 working days." Ben's letter goes on the morning of 1 April, before the ICB answers: where the
    costs fall, the council's part is decided and the ICB's is a recommendation awaiting its answer
    by the due date, in the e-mail as in the letter."""
    w = month.who
    step = month.reach("second_letter_and_minutes")
    [email] = step.emails_to(w.social_worker)
    lines = {line for line in email.body.splitlines() if line.startswith("- ")}
    council = next(line for line in lines if line.startswith(f"- {w.council.name}:"))
    icb = next(line for line in lines if line.startswith(f"- {w.icb.name}:"))
    assert "recommendation" not in council and "awaiting" not in council
    assert icb.endswith(
        f": a recommendation to {w.icb.name}, which was not present, not yet agreed: "
        "awaiting its answer by 1 April 2027"
    )


def test_members_receive_the_minutes_within_three_working_days(month):
    """seeds 002 line 456 (3.14): "Members of the Joint Funding Panel will receive minutes of the
    meetings within three working days." Drafted on Tuesday 30 March, reminded on the due day,
    approved by the chair and circulated that day to every member, the children by initials only."""
    w = month.who
    assert "minutes.drafted" in month.reach("first_letter").actions()
    reminder = f"Minutes for {w.meeting} are due: due 1 April"
    assert ("minutes_due", reminder, sorted([w.chair.pk, w.admin.pk])) in month.reach("due_day").facts[
        "reminders"
    ]
    step = month.reach("second_letter_and_minutes")
    status, circulated_at = step.facts["minutes"]
    assert status == "circulated" and circulated_at == at(AFTER_MEETING_DUE, 10)
    assert step.actions()[3:] == ["minutes.approved", "minutes.circulated", "minutes.pdf_stored"]
    [approved] = step.events_named("minutes.approved")
    assert approved.actor_id == w.chair.pk
    subject = f"Minutes of {w.panel.name}, 25 March 2027"
    for member in (w.chair, w.council_member, w.icb_member, w.second_icb_member, w.admin):
        assert [m.subject for m in step.emails_to(member)][-1] == subject
    body = step.facts["minutes_body"]
    assert "Apologies\n- Irene Hollingsworth" in body and "(0 of 2)" in body
    assert "NHS Leicester, Leicestershire and Rutland ICB: to respond by 1 April 2027" in body
    assert f"Referral {w.a.pk} for ML" in body and "Mia" not in body and "Lowry" not in body
    assert not any(kind.startswith("minutes") for kind, *_ in month.reach("day_after").facts["reminders"])


def test_the_agencys_share_waits_while_its_answer_is_open(month):
    """seeds 002 line 392: "Decisions and recommendations are not to be made if they impact upon
    one of the agencies who may not be present": the ICB's share of Mia's package cannot be
    approved while the recommendation awaits its answer (the refusal names the agency and the due
    date); the council approves its own share, and the package is still not Agreed."""
    step, w = month.reach("first_letter"), month.who
    refusal = step.facts["icb_refused"]
    assert refusal.startswith(
        f"{w.icb.name} could not decide this at the panel (no member of the agency was present)"
    )
    assert "due 1 April 2027" in refusal
    assert step.facts["package_a"] == "awaiting_approval"
    [approved] = step.events_named("funding.share.approved")
    assert approved.actor_id == w.council_finance.pk


def test_the_agency_is_reminded_on_the_day_its_answer_is_due(month):
    """seeds 002 line 392: "will require a response within 3 working days": on Thursday 1 April the
    ICB's members and finance approver are reminded of each recommendation still open."""
    step, w = month.reach("due_day"), month.who
    responders = sorted([w.icb_member.pk, w.second_icb_member.pk, w.icb_finance.pk])
    subject = f"{w.panel.name} needs {w.icb.name}'s answer to a recommendation"
    assert [r for r in step.facts["reminders"] if r[0] == "recommendation_due"] == [
        ("recommendation_due", subject, responders)
    ] * 2
    assert "The answer is due on 1 April 2027." in step.emails_to(w.icb_finance)[0].body


def test_an_accepted_recommendation_stands_and_the_chair_is_told(month):
    """seeds 002 line 392: the absent agency's response to the recommendation: the ICB accepts for
    Mia on the due day, and the chair who signed is told."""
    step, w = month.reach("answers"), month.who
    assert step.facts["answers"][w.a.pk] == "accepted"
    assert f"{w.icb.name} accepted the panel's recommendation" in step.notices_to(w.chair)
    [accepted] = step.events_named("decision.recommendation_accepted")
    assert (accepted.actor_id, accepted.changes["status"]) == (w.icb_finance.pk, ["awaiting", "accepted"])


def test_a_declined_recommendation_goes_back_to_the_chair_and_the_next_agenda(month):
    """seeds 002 line 392: a recommendation to an absent agency is not a decision for it. The ICB
    declines for Ben with its reason: the item goes back to the chair and onto the agenda of 29
    April with the reason, and the council's people on the decision are told."""
    step, w = month.reach("answers"), month.who
    reason = "The ICB funds this under continuing care instead"
    assert step.facts["answers"][w.b.pk] == "declined"
    assert step.facts["next_agenda"] == [
        (
            "other_business",
            f"Recommendation declined: {w.icb.name}, BA",
            f"{w.icb.name} declined the panel's recommendation: {reason}",
        )
    ]
    declined = f"{w.icb.name} declined the panel's recommendation for BA"
    for council_person in (w.chair, w.council_member, w.service_manager, w.council_finance, w.admin):
        assert declined in step.notices_to(council_person)
        [email] = [m for m in step.emails_to(council_person) if m.subject == declined]
        assert reason in email.body and "29 April 2027" in email.body
    assert not any(declined in step.notices_to(p) for p in (w.icb_member, w.icb_finance))
    assert step.actions()[1:] == ["decision.recommendation_declined", "decision.recommendation_returned"]


def test_funding_is_agreed_only_once_the_agency_has_accepted(month):
    """seeds 002 line 392: once the ICB has accepted, the panel's recommendation is its decision too:
    its share of Mia's package is approved and the package is Agreed."""
    step, w = month.reach("funding_agreed"), month.who
    assert step.facts["package_a"] == "agreed"
    assert step.actions() == ["funding.share.approved", "funding.package.agreed"]
    assert step.events[0].actor_id == w.icb_finance.pk


def test_a_declined_recommendation_holds_the_package_until_the_panel_decides_again(month):
    """seeds 002 line 392: "Decisions and recommendations are not to be made if they impact upon one
    of the agencies who may not be present". The ICB declined its part of Ben's package: until the
    panel decides again, that share is not approved and the package is not Agreed, though the
    council approves its own (a probe, rolled back with the test)."""
    month.reach("answers")
    w = month.who
    package = FundingPackage.objects.get(referral=w.b)
    shares = {share.agency_id: share for share in package.current_version.shares.all()}
    with time_machine.travel(at(D(2027, 4, 2), 10), tick=False):
        funding_services.share_approve(
            actor=w.council_finance, share=shares[w.council.pk], expected_version=package.version_number
        )
        with pytest.raises(ValidationError) as refused:
            funding_services.share_approve(
                actor=w.icb_finance, share=shares[w.icb.pk], expected_version=package.version_number
            )
    assert refused.value.message_dict["share"] == [
        f"{w.icb.name} declined the panel's recommendation (The ICB funds this under continuing care "
        "instead): the panel decides again, so the share can be approved only once the chair has "
        "signed a corrected decision"
    ]
    package.refresh_from_db()
    assert package.status == "awaiting_approval"
    assert package.current_version.shares.get(agency=w.icb).status == "awaiting"


def test_the_tracker_logs_each_referral_with_its_decision_and_budgets(month):
    """seeds 002 line 488: "A log (or tracker) will be updated after each meeting of all referrals made
    to the Joint Funding Panel and the decisions made at the meeting and budgets to be used." Both
    referrals, each with its meeting, its signed decision and each agency's part, weekly and a year."""
    month.reach("day_after")
    w = month.who
    rows = {row.referral.pk: row for row in tracker_rows(tracker_referrals(user=w.chair, panel=w.panel))}
    assert set(rows) == {w.a.pk, w.b.pk}
    for row in rows.values():
        assert (row.meeting_date, row.outcome_label, row.decision.status) == (
            MEETING_DAY,
            "Agreed as recommended",
            "signed",
        )
        assert [(line.agency_id, line.weekly, line.annual) for line in row.lines] == [
            (w.council.pk, Decimal("617.28"), Decimal("32098.56")),
            (w.icb.pk, Decimal("617.28"), Decimal("32098.56")),
        ]
    # The ICB accepted its part of Mia's package and declined its part of Ben's (seeds 002 line 392).
    assert [line.standing for line in rows[w.a.pk].lines] == ["agreed", "agreed"]
    assert [line.standing for line in rows[w.b.pk].lines] == ["agreed", "declined"]


def test_the_trackers_totals_leave_out_a_part_the_agency_declined(month):
    """seeds 002 line 488 ("budgets to be used") with line 392 (a recommendation to an absent agency
    is not a decision for it): the ICB accepted its part of Mia's package and declined its part of
    Ben's, so the ICB has agreed to pay Mia's share only; the council both of its own."""
    month.reach("day_after")
    w = month.who
    totals = _weekly_agreed_and_awaiting(tracker_totals(tracker_referrals(user=w.chair, panel=w.panel)))
    assert totals == {
        w.council.name: (Decimal("1234.56"), Decimal("0.00")),
        w.icb.name: (Decimal("617.28"), Decimal("0.00")),
    }


def test_before_its_answer_the_absent_agencys_part_is_awaiting_not_agreed(month):
    """seeds 002 line 392 ("The recommendations made to an absence agency will require a response
    within 3 working days") with line 488: on the meeting day, once both decisions are
    signed, the ICB's half of each package is a recommendation to it, so the tracker shows it as
    awaiting the ICB's answer, not as what the ICB has agreed to pay; the council's halves stand."""
    step = month.reach("decided")
    w = month.who
    assert step.facts["tracker_lines"] == {
        w.a.pk: [(w.council.pk, "agreed"), (w.icb.pk, "awaiting")],
        w.b.pk: [(w.council.pk, "agreed"), (w.icb.pk, "awaiting")],
    }
    assert step.facts["tracker_totals"] == {
        w.council.name: (Decimal("1234.56"), Decimal("0.00")),
        w.icb.name: (Decimal("0.00"), Decimal("1234.56")),
    }


def test_nothing_is_overdue_the_working_day_after(month):
    """seeds 002 lines 392, 452 and 456: with the letters sent, the minutes circulated and both
    answers in by Thursday 1 April, the beat has nothing overdue to send on Friday 2 April."""
    step = month.reach("day_after")
    assert step.facts["reminders"] == []
    assert step.notices == [] and step.emails == []


def test_an_accepted_referral_closes_only_once_the_child_has_suitable_provision(month):
    """seeds 002 line 448 (3.12): "No referral accepted by the Joint Funding Panel will be closed until
    the family has accessed a suitable programme or they are no longer in need of a response by the
    forum." Closing Mia's decided referral needs one of those two reasons (a probe, rolled back)."""
    month.reach("funding_agreed")
    w = month.who
    with time_machine.travel(at(D(2027, 4, 19), 10), tick=False):
        with pytest.raises(ValidationError) as no_reason:
            referral_services.referral_close(actor=w.social_worker, referral=w.a, reason="")
        assert no_reason.value.message_dict["reason"] == ["Choose why the referral is being closed"]
        closed = referral_services.referral_close(
            actor=w.social_worker, referral=w.a, reason=referral_services.CloseReason.PROVISION_ACCESSED
        )
    assert closed.status == "closed"
    [event] = AuditEvent.objects.filter(action="referral.closed", object_id=str(w.a.pk))
    assert event.changes["reason"] == [None, "The child has accessed suitable provision"]
